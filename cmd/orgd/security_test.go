package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/admin"
	"github.com/orgd/orgd/internal/server"
)

// TestServeRefusesOpenBeyondLoopback: off loopback, without --credentials or
// --insecure-open, serve refuses to start and names both ways out.
func TestServeRefusesOpenBeyondLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:0", "[::]:0", ":0", "192.0.2.2:0", "orgd.example:0", "localhost.example:0"} {
		t.Run(listen, func(t *testing.T) {
			m := NewMain()
			m.Stderr = &bytes.Buffer{}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			listened := false
			m.Listening = func(string) { listened = true; cancel() }
			err := m.Run(ctx, []string{"serve", "--listen", listen, "--db", "memory"})
			m.Close()
			if err == nil || listened || !strings.Contains(err.Error(), "--credentials") || !strings.Contains(err.Error(), "--insecure-open") {
				t.Errorf("serve --listen %s: err %v, listened %v; want a refusal naming --credentials and --insecure-open", listen, err, listened)
			}
		})
	}
	// Loopback may run open.
	for _, listen := range []string{"127.0.0.1:0", "127.1.2.3:0", "[::1]:0", "localhost:0"} {
		if listen == "[::1]:0" || listen == "127.1.2.3:0" {
			if l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", listen); err != nil {
				continue // no IPv6, or no 127/8 beyond 127.0.0.1, on this machine
			} else {
				l.Close()
			}
		}
		url, _ := serveOrgd(t, "--listen", listen, "--db", "memory")
		if h := health(t, url); h.Mode != server.ModeOpen || len(h.Warnings) != 0 {
			t.Errorf("--listen %s: health %+v", listen, h)
		}
	}
}

func health(t *testing.T, url string) admin.Health {
	t.Helper()
	var h admin.Health
	getJSON(t, url+"/_orgd/health", &h)
	return h
}

// adminStatus is the status of an admin request with the given bearer token ("" for none).
func adminStatus(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/_orgd/accounts", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeInsecureOpen: --insecure-open serves beyond loopback, warns in the log and on the
// health check, and guards the admin API with a generated token in a 0600 file of the data
// directory, which the client commands read.
func TestServeInsecureOpen(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	a, logs, _ := serveOrgdLogs(t, "--listen", "0.0.0.0:0", "--insecure-open", "--db", "memory", "--data-dir", dataDir)
	url := "http://127.0.0.1:" + a[strings.LastIndex(a, ":")+1:]
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "--insecure-open") {
		t.Errorf("no warning in the log:\n%s", logs)
	}
	h := health(t, url)
	if h.Status != "ok" || h.Mode != server.ModeInsecureOpen || len(h.Warnings) != 1 {
		t.Errorf("health: %+v", h)
	}

	tokenFile := filepath.Join(dataDir, "admin-token")
	fi, err := os.Stat(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", tokenFile, fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(raw))
	if len(token) != 64 {
		t.Errorf("token %q is not 32 bytes in hex", token)
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the log shows the token")
	}
	if s := adminStatus(t, url, ""); s != http.StatusUnauthorized {
		t.Errorf("admin without the token: %d", s)
	}
	if s := adminStatus(t, url, strings.Repeat("0", 64)); s != http.StatusForbidden {
		t.Errorf("admin with a wrong token: %d", s)
	}
	if s := adminStatus(t, url, token); s != http.StatusOK {
		t.Errorf("admin with the token: %d", s)
	}
	// The client commands find the token in --data-dir, or take it from --admin-token or
	// ORGD_ADMIN_TOKEN.
	run(t, url, "accounts", "add", "--data-dir", dataDir, "--id", "222222222222", "--email", "juan@example.com")
	if out := run(t, url, "accounts", "--admin-token", token, "--data-dir", t.TempDir()); !strings.Contains(out, "juan@example.com") {
		t.Errorf("accounts: %s", out)
	}
	t.Setenv("ORGD_ADMIN_TOKEN", token)
	run(t, url, "clock", "--data-dir", t.TempDir())
	for _, args := range [][]string{{"outbox"}, {"reset"}, {"clock"}, {"accounts"}} {
		c := NewMain()
		c.Stdout, c.Stderr = io.Discard, io.Discard
		err := c.Run(t.Context(), append(args, "--endpoint", url, "--admin-token", "wrong", "--data-dir", dataDir))
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("orgd %s with a wrong token: %v", args[0], err)
		}
	}
}

// TestServeAdminToken: on loopback the admin API needs a token only when one is given; a
// generated one goes beside the database file.
func TestServeAdminToken(t *testing.T) {
	url := startOrgd(t, "--db", "memory", "--admin-token", "given-token")
	if s := adminStatus(t, url, ""); s != http.StatusUnauthorized {
		t.Errorf("--admin-token on loopback, none sent: %d", s)
	}
	if s := adminStatus(t, url, "given-token"); s != http.StatusOK {
		t.Errorf("--admin-token on loopback, sent: %d", s)
	}
	url = startOrgd(t, "--db", "memory")
	if s := adminStatus(t, url, ""); s != http.StatusOK {
		t.Errorf("loopback without --admin-token: %d", s)
	}

	dir := t.TempDir()
	db := filepath.Join(dir, "db", "orgd.db")
	os.MkdirAll(filepath.Dir(db), 0o755)
	creds := filepath.Join(dir, "credentials.json")
	if err := os.WriteFile(creds, []byte(`{"Credentials": [{"AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s", "AccountId": "111111111111"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	url, _ = serveOrgd(t, "--listen", "0.0.0.0:0", "--credentials", creds, "--db", db, "--data-dir", filepath.Join(dir, "data"))
	url = "http://127.0.0.1:" + url[strings.LastIndex(url, ":")+1:]
	if h := health(t, url); h.Mode != server.ModeVerified || len(h.Warnings) != 0 {
		t.Errorf("health with --credentials: %+v", h)
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(db), "admin-token"))
	if err != nil {
		t.Fatalf("token beside the database: %v", err)
	}
	if s := adminStatus(t, url, strings.TrimSpace(string(raw))); s != http.StatusOK {
		t.Errorf("generated token: %d", s)
	}
	if s := adminStatus(t, url, ""); s != http.StatusUnauthorized {
		t.Errorf("no token: %d", s)
	}
}
