package org_test

import (
	"testing"

	"github.com/orgd/orgd/internal/pgtest"
)

// With ORGD_TEST_STORE=postgres (see apitest.EnvStore) the API tests of this package run on
// PostgreSQL, whose server pgtest.Main stops at the end.
func TestMain(m *testing.M) { pgtest.Main(m) }
