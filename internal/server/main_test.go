package server_test

import (
	"testing"

	"github.com/orgd/orgd/internal/apitest"
)

// The readiness and metrics tests run on every store.
func TestMain(m *testing.M) { apitest.Main(m) }
