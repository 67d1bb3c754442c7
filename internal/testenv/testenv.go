// Package testenv decides what a test does when something it needs from the machine (the aws
// CLI, botocore, PostgreSQL) is missing: on a developer's machine it skips, with a SKIPPED:
// line that says what was not tested; under CI=true, as CI runs the suite, it fails, so that
// a CI run cannot pass without having run every test.
package testenv

import (
	"os"
	"strconv"
	"testing"
)

// EnvCI is the variable CI systems set (GitHub Actions, GitLab, ...) and .ci/run exports.
const EnvCI = "CI"

// CI reports whether the tests run under CI: CI is set to a true value ("true", "1").
func CI() bool {
	ci, err := strconv.ParseBool(os.Getenv(EnvCI))
	return err == nil && ci
}

// Require skips t when ok is false (fails it under CI), saying that the test needs what.
func Require(t testing.TB, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if CI() {
		t.Fatalf("%s=true, but this test needs %s", EnvCI, what)
	}
	t.Skipf("SKIPPED: this test needs %s", what)
}
