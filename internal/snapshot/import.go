package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
)

// Kinds of refusal, which an Import error wraps (test them with errors.Is).
var (
	// ErrInvalid: the document is not one this orgd can restore (not JSON, another format, a
	// newer version, or inconsistent); the *Error says what and where.
	ErrInvalid = errors.New("invalid snapshot")
	// ErrNotEmpty: the store already holds state; Import restores into an empty one only.
	ErrNotEmpty = errors.New("the store is not empty")
)

// Error is a document refused: Path names the place in the document (as a JSON path,
// organizations[0].accounts[3].parentId) and Problem what is wrong there.
type Error struct {
	Path    string
	Problem string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Problem
	}
	return e.Path + ": " + e.Problem
}

// Is makes every *Error an ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Options tune Import.
type Options struct {
	// Progress, when set, hears how many of the document's accounts are written, after each
	// one. A store may run the import's transaction more than once: done then starts again.
	Progress func(done, total int)
	// Now is the wall clock (time.Now when nil); Import starts each organization's SCP
	// version from it (see Import).
	Now func() time.Time
}

// Decode reads a document, refusing unknown fields (a misspelt field would otherwise be
// lost without a word) and anything after it, and checks its format and version.
func Decode(r io.Reader) (*Document, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return nil, &Error{Path: te.Field, Problem: fmt.Sprintf("a JSON %s does not fit here", te.Value)}
		case errors.As(err, &te), errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
			strings.HasPrefix(err.Error(), "json: unknown field"):
			return nil, &Error{Problem: "not a snapshot document: " + strings.TrimPrefix(err.Error(), "json: ")}
		}
		return nil, fmt.Errorf("snapshot: read: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Problem: "not a snapshot document: data after the JSON object"}
	}
	if err := checkVersion(&doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

func checkVersion(doc *Document) error {
	if doc.Format != Format {
		return &Error{Path: "format", Problem: fmt.Sprintf("%q is not %q: not an orgd snapshot", doc.Format, Format)}
	}
	if doc.Version > Version {
		return &Error{Path: "version", Problem: fmt.Sprintf("the document is version %d, newer than this orgd reads (version %d): upgrade orgd", doc.Version, Version)}
	}
	if doc.Version < 1 {
		return &Error{Path: "version", Problem: fmt.Sprintf("%d is not a snapshot version (1 to %d)", doc.Version, Version)}
	}
	return nil
}

// Import restores doc into store, which must be empty (no organization, account, handshake
// or transfer; the settings and the roles a server declares at start may be there), in one
// transaction: a document refused, or a store that fails, leaves the store as it was. Ids
// and timestamps are kept; the places the store assigns in its lists follow the document's
// order. Each organization's SCP version, a cache key rather than state, starts at
// opts.Now's nanoseconds, a value no cache of any replica holds for it.
func Import(ctx context.Context, store org.Store, doc *Document, opts Options) error {
	if err := checkVersion(doc); err != nil {
		return fmt.Errorf("snapshot: import: %w", err)
	}
	if err := validate(doc); err != nil {
		return fmt.Errorf("snapshot: import: %w", err)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	scpVersion := now().UnixNano()
	total := len(doc.Accounts)
	for _, o := range doc.Organizations {
		total += len(o.Accounts)
	}
	// Members take their places in their organization's creation order as they are
	// written: the document lists them in it.
	ctx = org.WithCreationOrder(ctx)
	err := store.Update(ctx, func(tx org.Tx) error {
		if err := checkEmpty(ctx, tx); err != nil {
			return err
		}
		w := &writer{ctx: ctx, tx: tx, progress: opts.Progress, total: total}
		return w.write(doc, scpVersion)
	})
	if err != nil {
		return fmt.Errorf("snapshot: import: %w", err)
	}
	return nil
}

// checkEmpty refuses a store that holds an organization, an account, a handshake or a
// transfer: rows that an import would mix with its own. Settings and roles do not count: a
// server writes its pagination key and declares its configured roles at start and at reset.
func checkEmpty(ctx context.Context, tx org.Tx) error {
	orgs, err := tx.ListOrganizations(ctx, "", 1)
	if err != nil {
		return err
	}
	if len(orgs) > 0 {
		return fmt.Errorf("%w: it holds organization %s; import into a new store, or reset it first", ErrNotEmpty, orgs[0].ID)
	}
	accounts, err := tx.ListAccounts(ctx, org.AccountQuery{Limit: 1})
	if err != nil {
		return err
	}
	if len(accounts) > 0 {
		return fmt.Errorf("%w: it holds account %s; import into a new store, or reset it first", ErrNotEmpty, accounts[0].ID)
	}
	hs, err := tx.ListHandshakes(ctx, org.HandshakeQuery{Limit: 1})
	if err != nil {
		return err
	}
	if len(hs) > 0 {
		return fmt.Errorf("%w: it holds handshake %s; import into a new store, or reset it first", ErrNotEmpty, hs[0].ID)
	}
	trs, err := tx.ListTransfers(ctx, org.TransferQuery{Limit: 1})
	if err != nil {
		return err
	}
	if len(trs) > 0 {
		return fmt.Errorf("%w: it holds transfer %s; import into a new store, or reset it first", ErrNotEmpty, trs[0].ID)
	}
	return nil
}

// writer writes a validated document.
type writer struct {
	ctx         context.Context
	tx          org.Tx
	progress    func(done, total int)
	done, total int
}

func (w *writer) write(doc *Document, scpVersion int64) error {
	ctx, tx := w.ctx, w.tx
	if doc.Settings.ClockOffsetMillis != 0 {
		if err := tx.PutSetting(ctx, org.SettingClockOffset, strconv.FormatInt(doc.Settings.ClockOffsetMillis, 10)); err != nil {
			return err
		}
	}
	for i := range doc.Organizations {
		if err := w.organization(&doc.Organizations[i], scpVersion); err != nil {
			return fmt.Errorf("organization %s: %w", doc.Organizations[i].ID, err)
		}
	}
	for i := range doc.Accounts {
		if err := w.account(&doc.Accounts[i], ""); err != nil {
			return err
		}
	}
	for _, h := range doc.Handshakes {
		if err := tx.PutHandshake(ctx, &org.Handshake{ID: h.ID, OrgID: h.OrganizationID, ManagementAccountID: h.ManagementAccountID,
			Partition: h.Partition, Action: h.Action, State: h.State, RecipientAccountID: h.RecipientAccountID,
			RecipientEmail: h.RecipientEmail, ParentID: h.ParentID, Parties: orgParties(h.Parties),
			Resources: orgResources(h.Resources), Tags: orgTags(h.Tags), RequestedAt: h.RequestedAt,
			ExpiresAt: h.ExpiresAt, ClosedAt: h.ClosedAt, VisibleUntil: h.VisibleUntil}); err != nil {
			return err
		}
	}
	for _, tr := range doc.Transfers {
		if err := tx.PutTransfer(ctx, &org.Transfer{ID: tr.ID, Type: tr.Type, Name: tr.Name, Status: tr.Status,
			HandshakeID: tr.HandshakeID, TargetOrgID: tr.TargetOrgID, TargetAccountID: tr.TargetAccountID,
			TargetEmail: tr.TargetEmail, SourceOrgID: tr.SourceOrgID, SourceAccountID: tr.SourceAccountID,
			SourceEmail: tr.SourceEmail, StartAt: tr.StartAt, EndAt: tr.EndAt, ExpiresAt: tr.ExpiresAt,
			CreatedAt: tr.CreatedAt}); err != nil {
			return err
		}
		if err := tx.PutTags(ctx, tr.ID, orgTags(tr.Tags)); err != nil {
			return err
		}
	}
	for _, r := range doc.Roles {
		if err := tx.PutRole(ctx, &org.Role{AccountID: r.AccountID, Name: r.Name, ID: r.ID,
			TrustedPrincipals: r.TrustedPrincipals, MaxSessionDuration: r.MaxSessionDuration, CreatedAt: r.CreatedAt,
			Policies: r.Policies, PermissionsBoundary: r.PermissionsBoundary, Tags: r.Tags}); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) account(a *Account, orgID string) error {
	if err := w.tx.PutAccount(w.ctx, &org.Account{ID: a.ID, Email: a.Email, Name: a.Name, SellerOfRecord: a.SellerOfRecord,
		PaymentInstrument: a.PaymentInstrument, EmailVerified: a.EmailVerified, OrgID: orgID, ParentID: a.ParentID,
		JoinedMethod: a.JoinedMethod, JoinedAt: a.JoinedAt, State: a.State, ClosedAt: a.ClosedAt}); err != nil {
		return err
	}
	if err := w.tx.PutTags(w.ctx, a.ID, orgTags(a.Tags)); err != nil {
		return err
	}
	w.done++
	if w.progress != nil {
		w.progress(w.done, w.total)
	}
	return nil
}

func (w *writer) organization(o *Organization, scpVersion int64) error {
	ctx, tx := w.ctx, w.tx
	// The organization's row first: the store's triggers count its members and invitations
	// on it as they are written.
	if err := tx.PutOrganization(ctx, &org.Organization{ID: o.ID, FeatureSet: o.FeatureSet, ManagementAccountID: o.ManagementAccountID,
		RootID: o.RootID, Partition: o.Partition, CreatedAt: o.CreatedAt, SCPVersion: scpVersion}); err != nil {
		return err
	}
	if err := tx.PutTags(ctx, o.RootID, orgTags(o.RootTags)); err != nil {
		return err
	}
	for _, e := range o.EnabledPolicyTypes {
		if err := tx.PutEnabledPolicyType(ctx, &org.EnabledPolicyType{OrgID: o.ID, RootID: o.RootID, Type: e.Type,
			Status: e.Status, EnabledAt: e.EnabledAt}); err != nil {
			return err
		}
	}
	for _, s := range o.TrustedServices {
		if err := tx.PutServiceAccess(ctx, &org.ServiceAccess{OrgID: o.ID, ServicePrincipal: s.ServicePrincipal, EnabledAt: s.EnabledAt}); err != nil {
			return err
		}
	}
	// An OU's path is its parent's and its own id: the document lists parents first.
	paths := map[string]string{o.RootID: o.ID + "/" + o.RootID + "/"}
	depths := map[string]int{o.RootID: 0}
	for _, u := range o.OUs {
		paths[u.ID], depths[u.ID] = paths[u.ParentID]+u.ID+"/", depths[u.ParentID]+1
		if err := tx.PutOU(ctx, &org.OU{ID: u.ID, OrgID: o.ID, ParentID: u.ParentID, Name: u.Name, Path: paths[u.ID],
			Depth: depths[u.ID], CreatedAt: u.CreatedAt}); err != nil {
			return err
		}
		if err := tx.PutTags(ctx, u.ID, orgTags(u.Tags)); err != nil {
			return err
		}
	}
	for i := range o.Accounts {
		if err := w.account(&o.Accounts[i], o.ID); err != nil {
			return err
		}
	}
	policyTypes := map[string]string{}
	for _, p := range o.Policies {
		policyTypes[p.ID] = p.Type
		if err := tx.PutPolicy(ctx, &org.Policy{ID: p.ID, OrgID: o.ID, Type: p.Type, Name: p.Name, Description: p.Description,
			Content: p.Content, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}); err != nil {
			return err
		}
		if err := tx.PutTags(ctx, p.ID, orgTags(p.Tags)); err != nil {
			return err
		}
	}
	for _, a := range o.Attachments {
		typ, ok := policyTypes[a.PolicyID]
		if !ok {
			typ, _ = org.AWSManagedPolicyType(a.PolicyID)
		}
		if err := tx.PutPolicyAttachment(ctx, &org.PolicyAttachment{OrgID: o.ID, PolicyID: a.PolicyID, TargetID: a.TargetID,
			PolicyType: typ, TargetType: targetType(o, a.TargetID), AttachedAt: a.AttachedAt}); err != nil {
			return err
		}
	}
	for _, d := range o.DelegatedAdministrators {
		if err := tx.PutDelegatedAdmin(ctx, &org.DelegatedAdmin{OrgID: o.ID, AccountID: d.AccountID,
			ServicePrincipal: d.ServicePrincipal, EnabledAt: d.EnabledAt}); err != nil {
			return err
		}
	}
	if rp := o.ResourcePolicy; rp != nil {
		if err := tx.PutResourcePolicy(ctx, &org.ResourcePolicy{ID: rp.ID, OrgID: o.ID, Content: rp.Content,
			CreatedAt: rp.CreatedAt, UpdatedAt: rp.UpdatedAt}); err != nil {
			return err
		}
		if err := tx.PutTags(ctx, rp.ID, orgTags(rp.Tags)); err != nil {
			return err
		}
	}
	for _, r := range o.CreateAccountStatuses {
		if err := tx.PutCreateAccountRequest(ctx, &org.CreateAccountRequest{ID: r.ID, OrgID: o.ID, AccountName: r.AccountName,
			Email: r.Email, RoleName: r.RoleName, IAMUserAccessToBilling: r.IAMUserAccessToBilling, Tags: orgTags(r.Tags),
			GovCloud: r.GovCloud, State: r.State, AccountID: r.AccountID, GovCloudAccountID: r.GovCloudAccountID,
			FailureReason: r.FailureReason, RequestedAt: r.RequestedAt, CompletesAt: r.CompletesAt, CompletedAt: r.CompletedAt}); err != nil {
			return err
		}
	}
	return nil
}

// targetType is the TargetType of a validated attachment's target.
func targetType(o *Organization, id string) string {
	switch {
	case id == o.RootID:
		return model.TargetTypeRoot
	case model.IsAccountID(id):
		return model.TargetTypeAccount
	}
	return model.TargetTypeOrganizationalUnit
}
