package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/orgd/orgd/internal/org"
)

// panicValue is what the suite's functions panic with: a pointer, so that the caller can
// tell it received this very value.
type panicValue struct{ what string }

// recovered runs f and returns what it panicked with, or nil.
func recovered(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

// testPanics pins what a panic inside a transaction does, the same on every store: the
// transaction is rolled back, the panic reaches the caller of Update or View on the caller's
// own goroutine with fn's value (the protocol layer turns it into a ServiceException), the
// writes committing beside it (a store's group commit) are unaffected, and the store stays
// usable.
func testPanics(t *testing.T, s org.Store) {
	ctx := t.Context()
	boom := &panicValue{"update"}
	p := recovered(func() {
		s.Update(ctx, func(tx org.Tx) error {
			must(t, "PutSetting", tx.PutSetting(ctx, "panicked", "v"))
			panic(boom)
		})
	})
	if p != boom {
		t.Fatalf("Update's caller recovered %v, want fn's panic value %v", p, boom)
	}
	boom = &panicValue{"view"}
	p = recovered(func() {
		s.View(ctx, func(tx org.Tx) error {
			tx.Setting(ctx, "panicked")
			panic(boom)
		})
	})
	if p != boom {
		t.Fatalf("View's caller recovered %v, want fn's panic value %v", p, boom)
	}
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Setting(ctx, "panicked")
		wantErr(t, "the panicking Update's write", err, org.ErrNotFound)
		return nil
	})

	// Writers running together, one of which panics each round: the others commit, each
	// caller hears of its own write alone.
	const writers, rounds = 8, 5
	for round := range rounds {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, writers)
		panics := make([]any, writers)
		boom := &panicValue{fmt.Sprintf("round %d", round)}
		for w := range writers {
			wg.Go(func() {
				<-start
				panics[w] = recovered(func() {
					errs[w] = s.Update(ctx, func(tx org.Tx) error {
						if err := tx.PutSetting(ctx, fmt.Sprintf("r%d-w%d", round, w), "v"); err != nil {
							return err
						}
						if w == round {
							panic(boom)
						}
						return nil
					})
				})
			})
		}
		close(start)
		wg.Wait()
		view(t, s, func(ctx context.Context, tx org.Tx) error {
			for w := range writers {
				_, err := tx.Setting(ctx, fmt.Sprintf("r%d-w%d", round, w))
				switch {
				case w == round && panics[w] != boom:
					t.Errorf("round %d: the panicking writer's caller recovered %v, want %v", round, panics[w], boom)
				case w == round && !errors.Is(err, org.ErrNotFound):
					t.Errorf("round %d: the panicking writer's write: %v, want it rolled back", round, err)
				case w != round && (panics[w] != nil || errs[w] != nil):
					t.Errorf("round %d: writer %d beside the panic: panic %v, error %v", round, w, panics[w], errs[w])
				case w != round && err != nil:
					t.Errorf("round %d: writer %d's acknowledged write: %v", round, w, err)
				}
			}
			return nil
		})
	}
	// The store goes on as before.
	update(t, s, func(ctx context.Context, tx org.Tx) error { return tx.PutSetting(ctx, "after", "v") })
	view(t, s, func(ctx context.Context, tx org.Tx) error {
		_, err := tx.Setting(ctx, "after")
		must(t, "Setting after the panics", err)
		return nil
	})
}
