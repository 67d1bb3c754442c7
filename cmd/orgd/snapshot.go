package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/snapshot"
)

// export writes the running server's whole state (GET /_orgd/export) to stdout or --out.
func (m *Main) export(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	out := fs.String("out", "", "file to write the snapshot to (default: standard output)")
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	raw, err := m.send(ctx, cf, http.MethodGet, "/_orgd/export", nil)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := m.Stdout.Write(raw)
		return err
	}
	if err := writeSnapshot(*out, raw); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// writeSnapshot writes a snapshot file beside path and renames it, so that an interruption
// leaves no half a snapshot under the name; readable by this user only, as the database is.
func writeSnapshot(path string, raw []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// importSnapshot restores a snapshot into an empty store: the running server's (POST
// /_orgd/import), or with --db a database no server runs on, written straight, with a
// progress line on a terminal.
func (m *Main) importSnapshot(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	db := fs.String("db", "", "write into this SQLite database file or postgres:// URL directly, instead of through a running server (which must not be running on it)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	// Flags may follow the file too ("orgd import state.json --db x.db").
	file, rest := fs.Arg(0), fs.Args()[min(1, fs.NArg()):]
	if len(rest) > 0 {
		if err := m.parseFlags(fs, rest); err != nil {
			return err
		}
		rest = fs.Args()
	}
	if file == "" || len(rest) > 0 {
		return fmt.Errorf("import takes one argument, the snapshot file: orgd import [flags] FILE")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	// Checked here first, so that a bad file is named before any server is called.
	doc, err := snapshot.Decode(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	if *db == "" {
		return m.request(ctx, cf, http.MethodPost, "/_orgd/import", json.RawMessage(raw))
	}
	store, err := server.OpenStore(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	p := newProgress(m.Stderr)
	err = snapshot.Import(ctx, store, doc, snapshot.Options{Progress: p.report})
	p.end()
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "imported %d organizations and %d accounts into %s\n", len(doc.Organizations), p.done, redacted(*db))
	return nil
}

// progress draws one line that an import rewrites as accounts are written, when w is a
// terminal; elsewhere (a log, a pipe) it draws nothing.
type progress struct {
	w           io.Writer
	on          bool
	start, last time.Time
	done        int
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, on: isTerminal(w), start: time.Now()}
}

// isTerminal tells whether w is a terminal, where a line may be redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && terminal(f)
}

// terminal reports whether f is a terminal. A character device is not enough: /dev/null is one.
func terminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// report redraws the line at most ten times a second, and for the last account.
func (p *progress) report(done, total int) {
	p.done = done
	now := time.Now()
	if !p.on || (now.Sub(p.last) < 100*time.Millisecond && done != total) {
		return
	}
	p.last = now
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "\rimporting: %d/%d accounts, %.0f accounts/s ", done, total, rate)
}

func (p *progress) end() {
	if p.on && !p.last.IsZero() {
		fmt.Fprintln(p.w)
	}
}
