package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orgd/orgd/internal/bootstrap"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/snapshot"
)

// bootstrapAtStart builds the bootstrap organization when the store is empty, and returns the
// state it made, which the admin API's resets restore. A store that holds accounts already (a
// database file from an earlier run, replicas' shared database) is left as it is: its state
// is the one to serve, and the log says so; the first reset builds the organization then.
func bootstrapAtStart(ctx context.Context, svc *org.Service, store org.Store, spec *bootstrap.Spec, logger *slog.Logger) (*snapshot.Document, error) {
	empty, err := bootstrap.Empty(ctx, svc)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if !empty {
		logger.Info("the store holds accounts already: the bootstrap file is not applied", "bootstrap", spec.Name)
		return nil, nil
	}
	start := time.Now()
	if err := bootstrap.Apply(ctx, svc, spec); err != nil {
		return nil, fmt.Errorf("server: bootstrap: %w", err)
	}
	doc, err := snapshot.Export(ctx, store)
	if err != nil {
		return nil, fmt.Errorf("server: keep the bootstrap organization's state: %w", err)
	}
	logger.Info("bootstrap applied", "bootstrap", spec.Name, "accounts", len(spec.Accounts)+1, "policies", len(spec.Policies),
		"duration", time.Since(start).Round(time.Millisecond))
	return doc, nil
}
