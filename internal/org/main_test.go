package org_test

import (
	"testing"

	"github.com/orgd/orgd/internal/apitest"
)

// The API tests of this package run on every store (see apitest.Main): the in-memory one,
// a database file as orgd serve opens it, and PostgreSQL, whose server pgtest stops at the
// end; ORGD_TEST_STORE=memory, file or postgres runs them on one.
func TestMain(m *testing.M) { apitest.Main(m) }
