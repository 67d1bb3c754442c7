package main

import (
	"context"
	"flag"
	"net/http"
)

// health asks a running orgd whether it is alive (GET /_orgd/health) and prints its answer;
// it fails when orgd does not answer 200. A container built FROM scratch has no shell or
// curl: its HEALTHCHECK runs this.
func (m *Main) health(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	cf := addClientFlags(fs)
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	return m.request(ctx, cf, http.MethodGet, "/_orgd/health", nil)
}
