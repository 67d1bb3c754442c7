package snapshot_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/pgtest"
	"github.com/orgd/orgd/internal/postgres"
	"github.com/orgd/orgd/internal/snapshot"
	"github.com/orgd/orgd/internal/sqlite"
)

// largeDocument is an organization of n member accounts in 20 OUs, each account with two
// tags and the SCP FullAWSAccess attached, as enabling SCPs leaves every target.
func largeDocument(n int) *snapshot.Document {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	o := snapshot.Organization{ID: "o-aaaaaaaaaa", FeatureSet: "ALL", Partition: "aws", ManagementAccountID: "100000000000",
		RootID: "r-aaaa", CreatedAt: t0,
		EnabledPolicyTypes: []snapshot.EnabledPolicyType{{Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED", EnabledAt: t0}}}
	o.Attachments = append(o.Attachments, snapshot.Attachment{PolicyID: "p-FullAWSAccess", TargetID: o.RootID, AttachedAt: t0})
	for i := range 20 {
		id := fmt.Sprintf("ou-aaaa-%08d", i)
		o.OUs = append(o.OUs, snapshot.OU{ID: id, ParentID: o.RootID, Name: fmt.Sprintf("ou %d", i), CreatedAt: t0})
		o.Attachments = append(o.Attachments, snapshot.Attachment{PolicyID: "p-FullAWSAccess", TargetID: id, AttachedAt: t0})
	}
	for i := range n {
		id := fmt.Sprintf("1%011d", i)
		parent := o.OUs[i%20].ID
		if i == 0 {
			parent = o.RootID
		}
		o.Accounts = append(o.Accounts, snapshot.Account{ID: id, Email: id + "@example.com", Name: "account " + id,
			SellerOfRecord: "AWS", PaymentInstrument: true, EmailVerified: true, State: "ACTIVE", ParentID: parent,
			JoinedMethod: "CREATED", JoinedAt: t0.Add(time.Duration(i) * time.Second),
			Tags: []snapshot.Tag{{Key: "team", Value: fmt.Sprint(i % 7)}, {Key: "env", Value: "prod"}}})
		o.Attachments = append(o.Attachments, snapshot.Attachment{PolicyID: "p-FullAWSAccess", TargetID: id, AttachedAt: t0})
	}
	return &snapshot.Document{Format: snapshot.Format, Version: snapshot.Version, Organizations: []snapshot.Organization{o},
		Accounts: []snapshot.Account{}, Handshakes: []snapshot.Handshake{}, Transfers: []snapshot.Transfer{}, Roles: []snapshot.Role{}}
}

// openers open an empty store of each kind: an SQLite file as orgd serve opens it, and
// PostgreSQL.
var openers = []struct {
	name string
	open func(tb testing.TB) org.Store
}{
	{"sqlite", func(tb testing.TB) org.Store {
		s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "orgd.db"), sqlite.Options{Synchronous: "FULL", Exclusive: true})
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}},
	{"postgres", func(tb testing.TB) org.Store {
		s, err := postgres.Open(tb.Context(), pgtest.URL(tb), postgres.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}},
}

// BenchmarkImport2000 imports an organization of 2,000 accounts into an empty store.
func BenchmarkImport2000(b *testing.B) {
	doc := largeDocument(2000)
	for _, o := range openers {
		b.Run(o.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s := o.open(b)
				b.StartTimer()
				if err := snapshot.Import(b.Context(), s, doc, snapshot.Options{}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkExport2000 exports an organization of 2,000 accounts and encodes it.
func BenchmarkExport2000(b *testing.B) {
	doc := largeDocument(2000)
	for _, o := range openers {
		b.Run(o.name, func(b *testing.B) {
			s := o.open(b)
			defer s.Close()
			if err := snapshot.Import(b.Context(), s, doc, snapshot.Options{}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				got, err := snapshot.Export(b.Context(), s)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := snapshot.Marshal(got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLargeRoundTrip: the benchmarks' organization, written by hand rather than by the
// API, exports as it was written, on each store.
func TestLargeRoundTrip(t *testing.T) {
	doc := largeDocument(300)
	want, err := snapshot.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			s := o.open(t)
			defer s.Close()
			if err := snapshot.Import(t.Context(), s, doc, snapshot.Options{}); err != nil {
				t.Fatal(err)
			}
			got, err := snapshot.Export(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			b, err := snapshot.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			requireSame(t, "export of the imported document", b, want)
		})
	}
}
