package apitest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
)

// recordingTB is a test whose Errorf is recorded instead of failing the real one.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// brokenStore fails every View once broken is set.
type brokenStore struct {
	org.Store
	broken *atomic.Bool
}

func (s brokenStore) View(ctx context.Context, fn func(org.Tx) error) error {
	if s.broken.Load() {
		return errors.New("disk on fire")
	}
	return s.Store.View(ctx, fn)
}

// An internal error the server logs (the cause of a ServiceException) fails the test that
// provoked it.
func TestServerErrorFailsTheTest(t *testing.T) {
	rec := &recordingTB{TB: t}
	broken := &atomic.Bool{}
	s := Start(rec, func(c *server.Config) {
		c.WrapStore = func(st org.Store) org.Store { return brokenStore{st, broken} }
	})
	broken.Store(true)
	_, err := s.Client("111111111111").DescribeOrganization(t.Context(), &organizations.DescribeOrganizationInput{})
	RequireCode(t, err, "ServiceException", "")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "disk on fire") {
		t.Errorf("the test's errors: %q, want one naming the store's error", rec.errors)
	}
}
