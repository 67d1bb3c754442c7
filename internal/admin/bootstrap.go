package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/orgd/orgd/internal/bootstrap"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/snapshot"
)

// maxBootstrap bounds a bootstrap request: a file of thousands of accounts and its policies'
// files fit well within it.
const maxBootstrap = 16 << 20

// resetState wipes the state and, when the server was started with a bootstrap file, returns
// to the organization it builds. The file is built once, through the domain's rules, and the
// state it made is kept (a snapshot): every later reset imports that, in one transaction. So
// the organization has the same ids and times after every reset, which a test suite can name
// (its OUs', its policies'), and a reset costs an import, not the file's hundreds of calls.
// With empty, the store is left empty even then (reset --empty, before an import).
func (h *Handler) resetState(ctx context.Context, empty bool) error {
	h.resetMu.Lock()
	defer h.resetMu.Unlock()
	if err := h.svc.Reset(ctx); err != nil {
		return err
	}
	if h.opts.Bootstrap == nil || empty {
		return nil
	}
	if h.bootstrapped != nil {
		if err := snapshot.Import(ctx, h.opts.Store, h.bootstrapped, snapshot.Options{}); err != nil {
			return fmt.Errorf("admin: restore the bootstrap organization after the reset: %w", err)
		}
		return nil
	}
	if err := bootstrap.Apply(ctx, h.svc, h.opts.Bootstrap); err != nil {
		return fmt.Errorf("admin: build the bootstrap organization again after the reset: %w", err)
	}
	doc, err := snapshot.Export(ctx, h.opts.Store)
	if err != nil {
		return fmt.Errorf("admin: keep the bootstrap organization's state: %w", err)
	}
	h.bootstrapped = doc
	return nil
}

// bootstrap builds the organization of a bootstrap file (bootstrap.Source: the file and the
// files its policies name) in the empty store. Its errors name the file's line and the rule
// broken, in the message: the __type is the API's exception when one was, else
// InvalidInputException (a file that cannot be parsed) or ConflictException (a store that is
// not empty).
func (h *Handler) bootstrap(w http.ResponseWriter, r *http.Request) {
	var src bootstrap.Source
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBootstrap))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&src); err != nil {
		h.fail(w, model.AdminAPI, model.Fail(model.CodeSerializationException, "", "POST /_orgd/bootstrap: %v", err))
		return
	}
	spec, err := src.Parse()
	if err == nil {
		err = bootstrap.Apply(r.Context(), h.svc, spec)
	}
	var me *model.Error
	switch {
	case err == nil:
		h.reply(w, struct{}{})
	case errors.Is(err, bootstrap.ErrNotEmpty):
		h.failMessage(w, model.CodeConflictException, err.Error(), err)
	case errors.As(err, &me):
		h.failMessage(w, me.Code, err.Error(), err)
	default:
		var be *bootstrap.Error
		if !errors.As(err, &be) && spec != nil {
			h.fail(w, model.AdminAPI, err) // the store failed: a 500
			return
		}
		h.failMessage(w, model.CodeInvalidInputException, err.Error(), err)
	}
}
