package mirror

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/snapshot"
)

const (
	management    = "111111111111"
	fullAWSAccess = "p-FullAWSAccess" // AWS-managed: its id is the same in every organization
)

// richOrganization is an organization of n member accounts besides the management account:
// levels of OUs (4, 4, 2: 4 OUs under the root, 4 under each, 2 under each of those), accounts spread over the root and every OU with two tags
// each, a suspended one, customer SCPs on OUs and accounts, FullAWSAccess everywhere, a tag
// policy on the root, trusted services, delegated administrators and a tagged resource
// policy. Ids grow in the order things were made, and times too, so that the orders the
// API lists in (by id) are the orders orgd keeps (by creation).
func richOrganization(n int, levels ...int) *snapshot.Document {
	if len(levels) == 0 {
		levels = []int{4, 4, 2}
	}
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tick := 0
	next := func() time.Time { tick++; return t0.Add(time.Duration(tick) * time.Second) }
	o := snapshot.Organization{ID: "o-mirror0test", FeatureSet: model.OrganizationFeatureSetAll, Partition: "aws",
		ManagementAccountID: management, RootID: "r-mi12", CreatedAt: t0,
		RootTags: []snapshot.Tag{{Key: "landing-zone", Value: "v3"}},
		EnabledPolicyTypes: []snapshot.EnabledPolicyType{
			{Type: model.PolicyTypeServiceControlPolicy, Status: model.PolicyTypeStatusEnabled, EnabledAt: next()},
			{Type: model.PolicyTypeTagPolicy, Status: model.PolicyTypeStatusEnabled, EnabledAt: next()}},
		TrustedServices: []snapshot.TrustedService{
			{ServicePrincipal: "config.amazonaws.com", EnabledAt: next()},
			{ServicePrincipal: "guardduty.amazonaws.com", EnabledAt: next()}},
		Accounts: []snapshot.Account{{ID: management, Email: "root@example.com", Name: "Management", SellerOfRecord: org.SellerAWS,
			PaymentInstrument: true, EmailVerified: true, State: model.AccountStateActive, ParentID: "r-mi12",
			JoinedMethod: model.AccountJoinedMethodInvited, JoinedAt: t0}},
	}
	ou := 0
	var addOUs func(parent string, counts []int)
	addOUs = func(parent string, counts []int) {
		if len(counts) == 0 {
			return
		}
		for range counts[0] {
			ou++
			u := snapshot.OU{ID: fmt.Sprintf("ou-mi12-%08d", ou), ParentID: parent, Name: fmt.Sprintf("Unit %d", ou), CreatedAt: next()}
			if ou%3 == 0 {
				u.Tags = []snapshot.Tag{{Key: "env", Value: fmt.Sprintf("e%d", ou)}}
			}
			o.OUs = append(o.OUs, u)
			addOUs(u.ID, counts[1:])
		}
	}
	addOUs(o.RootID, levels)
	parents := []string{o.RootID}
	for _, u := range o.OUs {
		parents = append(parents, u.ID)
	}
	for i := range n {
		a := snapshot.Account{ID: fmt.Sprintf("2%011d", i+1), Email: fmt.Sprintf("member-%d@example.com", i+1),
			Name: fmt.Sprintf("Member %d", i+1), SellerOfRecord: org.SellerAWS, PaymentInstrument: true, EmailVerified: true,
			State: model.AccountStateActive, ParentID: parents[i%len(parents)], JoinedMethod: model.AccountJoinedMethodCreated,
			JoinedAt: next(), Tags: []snapshot.Tag{{Key: "CostCenter", Value: fmt.Sprint(i % 7)}, {Key: "owner", Value: fmt.Sprintf("team-%d", i%5)}}}
		if i%2 == 1 {
			a.JoinedMethod = model.AccountJoinedMethodInvited
		}
		if i == 3 {
			a.State = model.AccountStateSuspended
		}
		o.Accounts = append(o.Accounts, a)
	}
	scp := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"%s","Resource":"*"}]}`
	for i, action := range []string{"organizations:LeaveOrganization", "s3:DeleteBucket", "ec2:*", "iam:CreateUser", "kms:ScheduleKeyDeletion"} {
		at := next()
		o.Policies = append(o.Policies, snapshot.Policy{ID: fmt.Sprintf("p-mi12scp%d", i), Type: model.PolicyTypeServiceControlPolicy,
			Name: fmt.Sprintf("deny-%d", i), Description: "denies " + action, Content: fmt.Sprintf(scp, action), CreatedAt: at, UpdatedAt: at,
			Tags: []snapshot.Tag{{Key: "kind", Value: "guardrail"}}})
	}
	at := next()
	o.Policies = append(o.Policies, snapshot.Policy{ID: "p-mi12tag0", Type: model.PolicyTypeTagPolicy, Name: "cost-center",
		Content: `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"}}}}`, CreatedAt: at, UpdatedAt: at})

	// Every target has FullAWSAccess, as AWS attaches it; each SCP guards some OUs and
	// accounts; the tag policy is on the root.
	var as []snapshot.Attachment
	for _, p := range parents {
		as = append(as, snapshot.Attachment{PolicyID: fullAWSAccess, TargetID: p})
	}
	for i, a := range o.Accounts {
		as = append(as, snapshot.Attachment{PolicyID: fullAWSAccess, TargetID: a.ID})
		if i%10 == 5 {
			as = append(as, snapshot.Attachment{PolicyID: o.Policies[i%5].ID, TargetID: a.ID})
		}
	}
	for i, u := range o.OUs {
		as = append(as, snapshot.Attachment{PolicyID: o.Policies[i%5].ID, TargetID: u.ID})
	}
	as = append(as, snapshot.Attachment{PolicyID: "p-mi12tag0", TargetID: o.RootID})
	slices.SortFunc(as, func(a, b snapshot.Attachment) int {
		return strings.Compare(a.PolicyID+"/"+a.TargetID, b.PolicyID+"/"+b.TargetID)
	})
	for i := range as {
		as[i].AttachedAt = next()
	}
	o.Attachments = as
	o.DelegatedAdministrators = []snapshot.DelegatedAdministrator{
		{AccountID: o.Accounts[2].ID, ServicePrincipal: "config.amazonaws.com", EnabledAt: next()},
		{AccountID: o.Accounts[2].ID, ServicePrincipal: "guardduty.amazonaws.com", EnabledAt: next()},
		{AccountID: o.Accounts[1].ID, ServicePrincipal: "guardduty.amazonaws.com", EnabledAt: next()}}
	at = next()
	o.ResourcePolicy = &snapshot.ResourcePolicy{ID: "rp-mi12pol0", CreatedAt: at, UpdatedAt: at,
		Content: `{"Version":"2012-10-17","Statement":[{"Sid":"read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
			o.Accounts[1].ID + `:root"},"Action":"organizations:DescribeOrganization","Resource":"*"}]}`,
		Tags: []snapshot.Tag{{Key: "owner", Value: "security"}}}
	return &snapshot.Document{Format: snapshot.Format, Version: snapshot.Version, Organizations: []snapshot.Organization{o},
		Accounts: []snapshot.Account{}, Handshakes: []snapshot.Handshake{}, Transfers: []snapshot.Transfer{}, Roles: []snapshot.Role{}}
}

// withoutUnrevealed blanks what the Organizations API does not reveal, and so what a mirror
// cannot keep: the times OUs, policies, attachments, enabled policy types and the resource
// policy were made (a mirror gives them all the organization's). This is the whole of the
// comparison's normalisation.
func withoutUnrevealed(doc *snapshot.Document) {
	for i := range doc.Organizations {
		o := &doc.Organizations[i]
		for j := range o.EnabledPolicyTypes {
			o.EnabledPolicyTypes[j].EnabledAt = time.Time{}
		}
		for j := range o.OUs {
			o.OUs[j].CreatedAt = time.Time{}
		}
		for j := range o.Policies {
			o.Policies[j].CreatedAt, o.Policies[j].UpdatedAt = time.Time{}, time.Time{}
		}
		for j := range o.Attachments {
			o.Attachments[j].AttachedAt = time.Time{}
		}
		if rp := o.ResourcePolicy; rp != nil {
			rp.CreatedAt, rp.UpdatedAt = time.Time{}, time.Time{}
		}
	}
}

// proxy stands between a mirror and its source: it records the X-Amz-Target of every
// request, and answers the ones throttle picks with the throttling error it names.
type proxy struct {
	URL       string
	mu        sync.Mutex
	targets   []string
	times     []time.Time
	throttle  func(operation string, n int) string // n: the operation's calls so far, this one included
	counts    map[string]int
	throttled int
}

func newProxy(t *testing.T, source string) *proxy {
	t.Helper()
	u, err := url.Parse(source)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{counts: map[string]int{}}
	// SetURL sends the source's own Host: orgd answers only requests that name it.
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		target := req.Header.Get("X-Amz-Target")
		op := target[strings.LastIndex(target, ".")+1:]
		p.mu.Lock()
		p.targets = append(p.targets, target)
		p.times = append(p.times, time.Now())
		p.counts[op]++
		code := ""
		if p.throttle != nil {
			code = p.throttle(op, p.counts[op])
		}
		if code != "" {
			p.throttled++
		}
		p.mu.Unlock()
		if code != "" {
			io.Copy(io.Discard, req.Body)
			// As AWS answers throttling: HTTP 400 with the code (spec §11).
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Header().Set("X-Amzn-ErrorType", code)
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":%q,"Message":"Rate exceeded"}`, code)
			return
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// source is a Source of the orgd at url, as its management account, with fast retries.
func source(url string, rate float64) Source {
	return Source{AWS: aws.Config{Region: "us-east-1", HTTPClient: apitest.HTTPClient(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: management, SecretAccessKey: "x"}, nil
		})}, Endpoint: url, Rate: rate, MaxBackoff: 20 * time.Millisecond}
}

// mirrored serves doc, mirrors it through a proxy and returns the proxy and the mirror's
// document, after checking that every request the source saw was a Describe or a List.
func mirrored(t *testing.T, doc *snapshot.Document, src func(url string) Source, throttle func(string, int) string) (*proxy, *Mirror, *snapshot.Document) {
	t.Helper()
	s := apitest.Start(t)
	s.Admin(http.MethodPost, "/_orgd/import", doc, nil)
	p := newProxy(t, s.URL)
	p.throttle = throttle
	m, err := New(src(p.URL))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Read(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range p.targets {
		op := strings.TrimPrefix(target, "AWSOrganizationsV20161128.")
		if op == target || !(strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "List")) {
			t.Errorf("the source was called with %q: not a Describe or List of Organizations", target)
		}
	}
	return p, m, got
}

// exported imports doc into a fresh orgd and returns that orgd's export.
func exported(t *testing.T, doc *snapshot.Document) *snapshot.Document {
	t.Helper()
	s := apitest.Start(t)
	s.Admin(http.MethodPost, "/_orgd/import", doc, nil)
	var out snapshot.Document
	s.Admin(http.MethodGet, "/_orgd/export", nil, &out)
	return &out
}

// requireSameOrganization fails unless the export of the orgd that serves want and the
// export of the one the mirror got were imported into are equal, unrevealed times aside.
func requireSameOrganization(t *testing.T, want, got *snapshot.Document) {
	t.Helper()
	a, b := exported(t, want), exported(t, got)
	withoutUnrevealed(a)
	withoutUnrevealed(b)
	wa, err := snapshot.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := snapshot.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wa, gb) {
		t.Fatalf("the mirror's export differs from the source's (unrevealed times blanked):\n%s", firstDifference(string(wa), string(gb)))
	}
}

func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(wl), len(gl)) {
		if wl[i] != gl[i] {
			lo := max(0, i-5)
			return fmt.Sprintf("line %d:\nsource:\n%s\nmirror:\n%s", i+1, strings.Join(wl[lo:min(len(wl), i+5)], "\n"), strings.Join(gl[lo:min(len(gl), i+5)], "\n"))
		}
	}
	return fmt.Sprintf("source has %d lines, mirror %d", len(wl), len(gl))
}

// TestMirrorKeepsWhatTheAPIReveals: a rich organization mirrored into another orgd exports
// the same document, but for the times the API does not reveal; only Describe* and List*
// calls reached the source.
func TestMirrorKeepsWhatTheAPIReveals(t *testing.T) {
	doc := richOrganization(60)
	p, m, got := mirrored(t, doc, func(url string) Source { return source(url, 1000) }, nil)
	requireSameOrganization(t, doc, got)
	calls := m.Calls()
	for _, op := range []string{"DescribeOrganization", "ListRoots", "ListOrganizationalUnitsForParent", "ListAccountsForParent",
		"ListTagsForResource", "ListPolicies", "DescribePolicy", "ListTargetsForPolicy", "ListAWSServiceAccessForOrganization",
		"ListDelegatedAdministrators", "ListDelegatedServicesForAccount", "DescribeResourcePolicy"} {
		if calls[op] == 0 || calls[op] != p.counts[op] {
			t.Errorf("%s: the mirror counted %d calls, the source saw %d", op, calls[op], p.counts[op])
		}
	}
	// The ARNs' parts are kept: the mirror's orgd answers the real organization's ARNs.
	o := got.Organizations[0]
	if o.Partition != "aws" || o.ID != "o-mirror0test" || o.RootID != "r-mi12" || o.ManagementAccountID != management {
		t.Errorf("organization %s root %s partition %s management %s", o.ID, o.RootID, o.Partition, o.ManagementAccountID)
	}
	// The unrevealed times are the organization's, so a second mirror gives the same bytes.
	if want := doc.Organizations[0].CreatedAt; !o.CreatedAt.Equal(want) || !o.OUs[0].CreatedAt.Equal(want) || !o.Attachments[0].AttachedAt.Equal(want) {
		t.Errorf("organization created %v, OU %v, attachment %v; want all %v", o.CreatedAt, o.OUs[0].CreatedAt, o.Attachments[0].AttachedAt, want)
	}
	again, err := m.Read(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := snapshot.Marshal(got)
	second, _ := snapshot.Marshal(again)
	if !bytes.Equal(first, second) {
		t.Errorf("a second mirror of the same organization differs:\n%s", firstDifference(string(first), string(second)))
	}
}

// TestMirrorOf2000Accounts: an organization of 2,000 member accounts in three levels of OUs,
// with tags and SCPs, mirrors to the same export (at a raised rate; BenchmarkMirror2000
// measures it and what AWS's rates would take).
func TestMirrorOf2000Accounts(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: -short: 2,000 accounts")
	}
	doc := richOrganization(2000)
	_, _, got := mirrored(t, doc, func(url string) Source { return source(url, 5000) }, nil)
	if n := len(got.Organizations[0].Accounts); n != 2001 {
		t.Fatalf("mirrored %d accounts, want 2001", n)
	}
	requireSameOrganization(t, doc, got)
}

// TestThrottledCallsAreRetried: a source that throttles calls (TooManyRequestsException, as
// Organizations answers, and ThrottlingException) is retried until it answers, and the mirror
// is whole.
func TestThrottledCallsAreRetried(t *testing.T) {
	doc := richOrganization(30)
	p, m, got := mirrored(t, doc, func(url string) Source { return source(url, 1000) }, func(op string, n int) string {
		switch {
		case op == "ListTagsForResource" && n%4 == 1:
			return "TooManyRequestsException"
		case op == "DescribeOrganization" && n <= 2:
			return "TooManyRequestsException"
		case op == "ListAccountsForParent" && n%3 == 0:
			return "ThrottlingException"
		}
		return ""
	})
	if p.throttled < 10 {
		t.Fatalf("the source throttled %d calls", p.throttled)
	}
	calls, tags := m.Calls(), p.counts["ListTagsForResource"]
	if calls["ListTagsForResource"] != tags || calls["DescribeOrganization"] != 3 {
		t.Errorf("calls %v; the source saw %d ListTagsForResource", calls, tags)
	}
	requireSameOrganization(t, doc, got)
}

// TestDefaultRateKeepsToAWSQuotas: with no rate given, no operation's requests ever exceed
// AWS's token bucket for it (its rate, with its burst at once).
func TestDefaultRateKeepsToAWSQuotas(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: -short: paced at AWS's rates, a few seconds")
	}
	// Few OUs: the tree walk lists each parent's OUs and accounts at 5 a second.
	doc := richOrganization(25, 2)
	p, _, _ := mirrored(t, doc, func(url string) Source { return source(url, 0) }, nil)
	byOp := map[string][]time.Time{}
	for i, target := range p.targets {
		op := strings.TrimPrefix(target, "AWSOrganizationsV20161128.")
		byOp[op] = append(byOp[op], p.times[i])
	}
	if len(byOp["ListTagsForResource"]) <= awsLimits["ListTagsForResource"].Burst {
		t.Fatalf("%d ListTagsForResource calls: too few to test the pace", len(byOp["ListTagsForResource"]))
	}
	for op, times := range byOp {
		lim := awsLimits[op]
		// Requests i..j (inclusive) need j-i+1 tokens: at most the burst plus what the rate
		// refilled between them (one more for the clock's grain between pacer and proxy).
		for i := range times {
			for j := i; j < len(times); j++ {
				if n, allowed := j-i+1, float64(lim.Burst)+lim.Rate*times[j].Sub(times[i]).Seconds()+1; float64(n) > allowed {
					t.Fatalf("%s: %d requests in %v, over AWS's %g/s with bursts of %d", op, n, times[j].Sub(times[i]), lim.Rate, lim.Burst)
				}
			}
		}
	}
}

// TestConsolidatedBillingOrganization: an organization without all features has no
// policies, trusted services or delegated administrators to read; its mirror is whole.
func TestConsolidatedBillingOrganization(t *testing.T) {
	doc := richOrganization(5)
	o := &doc.Organizations[0]
	o.FeatureSet = model.OrganizationFeatureSetConsolidatedBilling
	o.EnabledPolicyTypes, o.TrustedServices, o.Policies, o.Attachments, o.DelegatedAdministrators, o.ResourcePolicy = nil, nil, nil, nil, nil, nil
	p, _, got := mirrored(t, doc, func(url string) Source { return source(url, 1000) }, nil)
	if p.counts["ListPolicies"] != 0 {
		t.Errorf("ListPolicies was called %d times on a consolidated-billing organization", p.counts["ListPolicies"])
	}
	requireSameOrganization(t, doc, got)
}

// BenchmarkMirror2000 mirrors an organization of 2,000 member accounts at 5,000 requests a
// second, and reports the calls it made and how long AWS's per-operation quotas would make
// it take at the least (aws-s: each phase's slowest operation, calls over rate, summed).
func BenchmarkMirror2000(b *testing.B) {
	doc := richOrganization(2000)
	s := apitest.Start(b)
	s.Admin(http.MethodPost, "/_orgd/import", doc, nil)
	var m *Mirror
	for b.Loop() {
		var err error
		if m, err = New(source(s.URL, 5000)); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Read(b.Context(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
	calls, total := m.Calls(), 0
	for _, n := range calls {
		total += n
	}
	b.ReportMetric(float64(total), "calls")
	b.ReportMetric(awsSeconds(calls), "aws-s")
}

// awsSeconds is the least time AWS's quotas allow for these calls: the tree walk and the
// lists before the details are one call at a time, so their times add up; the details run
// together, so the slowest of them sets their time.
func awsSeconds(calls map[string]int) float64 {
	var serial, parallel float64
	for op, n := range calls {
		lim := awsLimits[op]
		s := max(0, float64(n-lim.Burst)) / lim.Rate
		switch op {
		case "ListTagsForResource", "DescribePolicy", "ListTargetsForPolicy":
			parallel = max(parallel, s)
		default:
			serial += s
		}
	}
	return serial + parallel
}
