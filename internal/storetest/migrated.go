package storetest

import (
	"context"
	"testing"

	"github.com/orgd/orgd/internal/org"
)

// CheckMigratedPartitions checks a store opened on a database made before partitions, into
// which a test put organization o-1111111111 and handshake h-1: both read as the commercial
// partition, aws, as every organization and handshake from before partitions was.
func CheckMigratedPartitions(t *testing.T, s org.Store) {
	t.Helper()
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		o, err := tx.Organization(ctx, "o-1111111111")
		must(t, "Organization", err)
		h, err := tx.Handshake(ctx, "h-1")
		must(t, "Handshake", err)
		if o.Partition != "aws" || h.Partition != "aws" {
			t.Errorf("after the migration: organization partition %q, handshake partition %q; want aws", o.Partition, h.Partition)
		}
		return nil
	})
}
