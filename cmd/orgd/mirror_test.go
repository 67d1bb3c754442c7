package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/mirror"
)

// awsEnv points the AWS SDK's configuration at files of the test's own, away from the
// machine's ~/.aws and instance metadata, with the given environment credentials ("" for
// none).
func awsEnv(t *testing.T, accessKey, config, credentials string) {
	t.Helper()
	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte(credentials), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := ""
	if accessKey != "" {
		secret = "x"
	}
	for k, v := range map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "",
		"AWS_DEFAULT_REGION": ""} {
		t.Setenv(k, v)
	}
}

// TestMirrorCommand: orgd mirror reads a source orgd with the AWS credentials of the
// environment, or of a --profile, and writes the organization into an empty orgd, a database
// or a file: each exports (or is) the source's export byte for byte. The source was imported
// with the times the API does not reveal set to the organization's creation, which is what
// a mirror gives them, so no normalisation is needed.
func TestMirrorCommand(t *testing.T) {
	dir := t.TempDir()
	src := startOrgd(t, "--db", filepath.Join(dir, "source.db"), "--data-dir", dir)
	run(t, src, "import", filepath.Join("testdata", "mirror-source.json"))
	want := run(t, src, "export")

	// Into a running orgd, with the environment's credentials (the management account's).
	awsEnv(t, "111111111111", "", "")
	target := startOrgd(t, "--db", filepath.Join(dir, "target.db"), "--data-dir", dir)
	out := run(t, target, "mirror", "--from-endpoint", src, "--rate", "1000")
	if !strings.Contains(out, "mirrored organization o-mirror0test (9 accounts, 6 OUs, 6 policies) into "+target) ||
		!strings.Contains(out, "mirror: details: ") || strings.Contains(out, "\r") {
		t.Errorf("orgd mirror printed:\n%s", out)
	}
	if got := run(t, target, "export"); got != want {
		t.Errorf("the mirror's export differs from the source's:\n%s", firstLineDiff(want, got))
	}

	// Into a database no server runs on.
	db := filepath.Join(dir, "direct.db")
	run(t, src, "mirror", "--from-endpoint", src, "--rate", "1000", "--db", db)
	if got := run(t, startOrgd(t, "--db", db, "--data-dir", dir), "export"); got != want {
		t.Errorf("the export of the database mirrored into differs from the source's:\n%s", firstLineDiff(want, got))
	}

	// Into a file, with a profile's credentials: the environment has none.
	awsEnv(t, "", "[profile mirror]\nregion = eu-west-1\n", "[mirror]\naws_access_key_id = 111111111111\naws_secret_access_key = x\n")
	file := filepath.Join(dir, "mirror.json")
	run(t, src, "mirror", "--from-endpoint", src, "--profile", "mirror", "--out", file)
	if got, err := os.ReadFile(file); err != nil || string(got) != want {
		t.Errorf("the file mirrored into (%v) differs from the source's export:\n%s", err, firstLineDiff(want, string(got)))
	}
}

// TestMirrorRefusesWhatItCannotWriteInto: a destination that holds state is refused before
// the source is read (the source here does not exist), as are two destinations at once and an
// unknown profile.
func TestMirrorRefusesWhatItCannotWriteInto(t *testing.T) {
	dir := t.TempDir()
	src := startOrgd(t, "--db", filepath.Join(dir, "source.db"), "--data-dir", dir)
	run(t, src, "import", filepath.Join("testdata", "mirror-source.json"))
	held := filepath.Join(dir, "held.db")
	run(t, src, "import", "--db", held, filepath.Join("testdata", "mirror-source.json"))
	awsEnv(t, "111111111111", "", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--endpoint", src}, "the store is not empty: it holds organization o-mirror0test"},
		{[]string{"--db", held}, "the store is not empty: it holds organization o-mirror0test"},
		{[]string{"--out", "x.json", "--db", "x.db"}, "--out and --db name two destinations"},
		{[]string{"--profile", "nosuch", "--out", filepath.Join(dir, "x.json")}, "nosuch"},
	} {
		m := NewMain()
		var out bytes.Buffer
		m.Stdout, m.Stderr = &out, &out
		err := m.Run(t.Context(), append([]string{"mirror", "--from-endpoint", "http://127.0.0.1:1"}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("orgd mirror %s: %v, want an error with %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// TestMirrorWithoutCredentials: with no credentials anywhere, mirror says so before its first
// call, naming where credentials come from.
func TestMirrorWithoutCredentials(t *testing.T) {
	awsEnv(t, "", "", "")
	m := NewMain()
	var out bytes.Buffer
	m.Stdout, m.Stderr = &out, &out
	err := m.Run(t.Context(), []string{"mirror", "--from-endpoint", "http://127.0.0.1:1", "--out", filepath.Join(t.TempDir(), "x.json")})
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials to read the organization with") {
		t.Errorf("orgd mirror without credentials: %v", err)
	}
}

// firstLineDiff shows the first line where two exports differ.
func firstLineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(wl), len(gl)) {
		if wl[i] != gl[i] {
			return fmt.Sprintf("line %d: want %s\n got %s", i+1, wl[i], gl[i])
		}
	}
	return "one is a prefix of the other"
}

// TestMirrorBar: on a terminal the progress is one line redrawn in place, with a bar, the
// reads done and an estimate of the time left; elsewhere a line per phase.
func TestMirrorBar(t *testing.T) {
	var term bytes.Buffer
	bar := &mirrorBar{w: &term, on: true, start: time.Now()}
	bar.report(mirror.Progress{Phase: "tree", Accounts: 40, OUs: 3, Calls: 9})
	bar.report(mirror.Progress{Phase: "details", Accounts: 80, OUs: 5, Policies: 2, Total: 10, Calls: 20})
	time.Sleep(110 * time.Millisecond)
	bar.report(mirror.Progress{Phase: "details", Accounts: 80, OUs: 5, Policies: 2, Done: 5, Total: 10, Calls: 25})
	bar.end()
	got := term.String()
	for _, want := range []string{"\rmirror tree: 40 accounts, 3 OUs, 0 policies, 9 calls", "\rmirror [##########----------] 5/10 reads, 80 accounts, 5 OUs, 2 policies, 25 calls", ", ETA "} {
		if !strings.Contains(got, want) {
			t.Errorf("the bar drew %q, without %q", got, want)
		}
	}
	if !strings.HasSuffix(got, "\n") {
		t.Errorf("the bar did not end its line: %q", got)
	}

	var log bytes.Buffer
	bar = &mirrorBar{w: &log, start: time.Now()}
	for _, p := range []mirror.Progress{{Phase: "tree"}, {Phase: "tree", Accounts: 20}, {Phase: "details", Accounts: 20, Total: 30}, {Phase: "details", Done: 1, Total: 30}, {Phase: "done", Accounts: 20}} {
		bar.report(p)
	}
	bar.end()
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if len(lines) != 3 || lines[0] != "mirror: tree" || !strings.HasPrefix(lines[1], "mirror: details: 30 reads") || !strings.HasPrefix(lines[2], "mirror: done: 20 accounts") {
		t.Errorf("the log got:\n%s", log.String())
	}
}
