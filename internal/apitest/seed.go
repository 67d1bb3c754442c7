package apitest

import (
	"context"
	"strconv"
	"testing"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sqlite"
)

// SeedFile writes rows straight into the SQLite database file at path (created if need be),
// in one transaction, and closes it: for tests that need more state than the API makes
// quickly, such as a thousand outbox messages. A server then opens the file (server.Config
// DB, or orgd serve --db).
func SeedFile(t testing.TB, path string, fn func(ctx context.Context, tx org.Tx) error) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("seed %s: %v", path, err)
	}
	defer st.Close()
	if err := st.Update(ctx, func(tx org.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("seed %s: %v", path, err)
	}
}

// SeedOutbox is SeedFile adding n outbox messages, addressed to 1@example.com, 2@example.com, ...
func SeedOutbox(t testing.TB, path string, n int) {
	t.Helper()
	SeedFile(t, path, func(ctx context.Context, tx org.Tx) error {
		for i := range n {
			m := &org.OutboxMessage{HandshakeID: "h-seeded", To: strconv.Itoa(i+1) + "@example.com", Subject: "seeded", Body: "seeded"}
			if err := tx.AddOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
}
