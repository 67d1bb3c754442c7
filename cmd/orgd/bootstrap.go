package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"

	"github.com/orgd/orgd/internal/bootstrap"
)

// loadBootstrap reads serve's --bootstrap file; "" is none.
func loadBootstrap(path string) (*bootstrap.Spec, error) {
	if path == "" {
		return nil, nil
	}
	spec, err := bootstrap.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--bootstrap: %w", err)
	}
	return spec, nil
}

// bootstrap sends a bootstrap file, with the files its policies name, to a running orgd,
// which builds its organization in its empty store. The file is parsed here first, so
// that a file orgd could not read fails before anything is sent.
func (m *Main) bootstrap(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return &UsageError{Command: "bootstrap", Err: fmt.Errorf("want one bootstrap file, not %q", fs.Args())}
	}
	src, err := bootstrap.ReadSource(fs.Arg(0))
	if err != nil {
		return err
	}
	return m.request(ctx, cf, http.MethodPost, "/_orgd/bootstrap", src)
}
