package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/snapshot"
)

// maxSnapshot bounds an imported document: an organization of 10,000 accounts with their
// tags, policies and handshakes takes a few megabytes, far below it.
const maxSnapshot = 256 << 20

// export answers the whole state as a snapshot document (internal/snapshot). It reads only;
// like every admin endpoint but the health checks, it takes the admin token when one is set.
func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	if h.opts.Store == nil {
		h.fail(w, model.AdminAPI, errors.New("admin: no store to export"))
		return
	}
	doc, err := snapshot.Export(r.Context(), h.opts.Store)
	if err != nil {
		h.fail(w, model.AdminAPI, err)
		return
	}
	b, err := snapshot.Marshal(doc)
	if err != nil {
		h.fail(w, model.AdminAPI, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// ImportResult is what POST /_orgd/import answers: how much it restored.
type ImportResult struct {
	Organizations int
	Accounts      int
	Handshakes    int
}

// importSnapshot restores a snapshot document into the store, which must be empty (after
// orgd reset): in one transaction, so that a document refused writes nothing.
func (h *Handler) importSnapshot(w http.ResponseWriter, r *http.Request) {
	if h.opts.Store == nil {
		h.fail(w, model.AdminAPI, errors.New("admin: no store to import into"))
		return
	}
	doc, err := snapshot.Decode(http.MaxBytesReader(w, r.Body, maxSnapshot))
	if err == nil {
		err = snapshot.Import(r.Context(), h.opts.Store, doc, snapshot.Options{})
	}
	var se *snapshot.Error
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.failMessageStatus(w, http.StatusRequestEntityTooLarge, model.CodeInvalidInputException,
			fmt.Sprintf("the document is larger than %d bytes", tooLarge.Limit), err)
		return
	case errors.As(err, &se):
		h.failMessage(w, model.CodeInvalidInputException, se.Error(), err)
		return
	case errors.Is(err, snapshot.ErrNotEmpty):
		h.failMessageStatus(w, http.StatusConflict, model.CodeConflictException, err.Error(), err)
		return
	case err != nil:
		h.fail(w, model.AdminAPI, err)
		return
	}
	out := ImportResult{Organizations: len(doc.Organizations), Accounts: len(doc.Accounts), Handshakes: len(doc.Handshakes)}
	for _, o := range doc.Organizations {
		out.Accounts += len(o.Accounts)
	}
	h.reply(w, out)
}
