package snapshot

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/orgd/orgd/internal/org"
)

// page is how many rows each list read asks for: pages keep a read's memory bounded by
// what the document holds anyway, and every list pages on a key the store indexes.
const page = 500

// Export reads the whole state in one read transaction.
func Export(ctx context.Context, store org.Store) (*Document, error) {
	var doc *Document
	err := store.View(ctx, func(tx org.Tx) error {
		var err error
		doc, err = export(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot: export: %w", err)
	}
	return doc, nil
}

// Encode writes doc as export writes it: indented by two spaces, with a trailing newline.
// The same document always encodes to the same bytes.
func Encode(w io.Writer, doc *Document) error {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("snapshot: encode: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("snapshot: write: %w", err)
	}
	return nil
}

// Marshal is Encode into a byte slice.
func Marshal(doc *Document) ([]byte, error) {
	var buf bytes.Buffer
	err := Encode(&buf, doc)
	return buf.Bytes(), err
}

func export(ctx context.Context, tx org.Tx) (*Document, error) {
	doc := &Document{Format: Format, Version: Version, Organizations: []Organization{}, Accounts: []Account{},
		Handshakes: []Handshake{}, Transfers: []Transfer{}, Roles: []Role{}}
	offset, err := tx.Setting(ctx, org.SettingClockOffset)
	switch {
	case errors.Is(err, org.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if doc.Settings.ClockOffsetMillis, err = strconv.ParseInt(offset, 10, 64); err != nil {
			return nil, fmt.Errorf("clock offset %q: %w", offset, err)
		}
	}

	orgs, err := pages(func(after org.Organization) ([]org.Organization, error) {
		return tx.ListOrganizations(ctx, after.ID, page)
	})
	if err != nil {
		return nil, err
	}
	members := map[string][]org.Account{}
	accounts, err := pages(func(after org.Account) ([]org.Account, error) {
		return tx.ListAccounts(ctx, org.AccountQuery{AfterID: after.ID, Limit: page})
	})
	if err != nil {
		return nil, err
	}
	for _, a := range accounts {
		if a.OrgID == "" {
			ea, err := exportAccount(ctx, tx, &a)
			if err != nil {
				return nil, err
			}
			doc.Accounts = append(doc.Accounts, ea)
			continue
		}
		members[a.OrgID] = append(members[a.OrgID], a)
	}
	for i := range orgs {
		o, err := exportOrganization(ctx, tx, &orgs[i], members[orgs[i].ID])
		if err != nil {
			return nil, fmt.Errorf("organization %s: %w", orgs[i].ID, err)
		}
		delete(members, orgs[i].ID)
		doc.Organizations = append(doc.Organizations, *o)
	}
	for id := range members {
		return nil, fmt.Errorf("accounts belong to organization %s, which the store does not hold", id)
	}

	hs, err := pages(func(after org.Handshake) ([]org.Handshake, error) {
		return tx.ListHandshakes(ctx, org.HandshakeQuery{AfterSeq: after.Seq, Limit: page})
	})
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		doc.Handshakes = append(doc.Handshakes, Handshake{ID: h.ID, OrganizationID: h.OrgID,
			ManagementAccountID: h.ManagementAccountID, Partition: h.Partition, Action: h.Action, State: h.State,
			RecipientAccountID: h.RecipientAccountID, RecipientEmail: h.RecipientEmail, ParentID: h.ParentID,
			Parties: partiesOf(h.Parties), Resources: resourcesOf(h.Resources), Tags: tagsOf(h.Tags),
			RequestedAt: h.RequestedAt, ExpiresAt: h.ExpiresAt, ClosedAt: h.ClosedAt, VisibleUntil: h.VisibleUntil})
	}

	trs, err := pages(func(after org.Transfer) ([]org.Transfer, error) {
		return tx.ListTransfers(ctx, org.TransferQuery{AfterSeq: after.Seq, Limit: page})
	})
	if err != nil {
		return nil, err
	}
	for _, tr := range trs {
		tags, err := tx.Tags(ctx, tr.ID, org.ByCreation)
		if err != nil {
			return nil, err
		}
		doc.Transfers = append(doc.Transfers, Transfer{ID: tr.ID, Type: tr.Type, Name: tr.Name, Status: tr.Status,
			HandshakeID: tr.HandshakeID, TargetOrgID: tr.TargetOrgID, TargetAccountID: tr.TargetAccountID,
			TargetEmail: tr.TargetEmail, SourceOrgID: tr.SourceOrgID, SourceAccountID: tr.SourceAccountID,
			SourceEmail: tr.SourceEmail, StartAt: tr.StartAt, EndAt: tr.EndAt, ExpiresAt: tr.ExpiresAt,
			CreatedAt: tr.CreatedAt, Tags: tagsOf(tags)})
	}

	roles, err := tx.ListRoles(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		doc.Roles = append(doc.Roles, Role{AccountID: r.AccountID, Name: r.Name, ID: r.ID,
			TrustedPrincipals: r.TrustedPrincipals, MaxSessionDuration: r.MaxSessionDuration, CreatedAt: r.CreatedAt,
			Policies: r.Policies, PermissionsBoundary: r.PermissionsBoundary, Tags: r.Tags})
	}
	return doc, nil
}

// pages reads a list page after page: next returns the page after the last row of the one
// before (after the zero row for the first page).
func pages[T any](next func(after T) ([]T, error)) ([]T, error) {
	var out []T
	var last T
	for {
		rows, err := next(last)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if len(rows) < page {
			return out, nil
		}
		last = rows[len(rows)-1]
	}
}

func exportAccount(ctx context.Context, tx org.Tx, a *org.Account) (Account, error) {
	tags, err := tx.Tags(ctx, a.ID, org.ByCreation)
	if err != nil {
		return Account{}, err
	}
	return Account{ID: a.ID, Email: a.Email, Name: a.Name, SellerOfRecord: a.SellerOfRecord,
		PaymentInstrument: a.PaymentInstrument, EmailVerified: a.EmailVerified, State: a.State,
		ParentID: a.ParentID, JoinedMethod: a.JoinedMethod, JoinedAt: a.JoinedAt, ClosedAt: a.ClosedAt,
		Tags: tagsOf(tags)}, nil
}

func exportOrganization(ctx context.Context, tx org.Tx, o *org.Organization, members []org.Account) (*Organization, error) {
	out := &Organization{ID: o.ID, FeatureSet: o.FeatureSet, Partition: o.Partition,
		ManagementAccountID: o.ManagementAccountID, RootID: o.RootID, CreatedAt: o.CreatedAt, Accounts: []Account{}}
	tags, err := tx.Tags(ctx, o.RootID, org.ByCreation)
	if err != nil {
		return nil, err
	}
	out.RootTags = tagsOf(tags)

	types, err := tx.EnabledPolicyTypes(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range types {
		out.EnabledPolicyTypes = append(out.EnabledPolicyTypes, EnabledPolicyType{Type: e.Type, Status: e.Status, EnabledAt: e.EnabledAt})
	}
	services, err := tx.ListServiceAccess(ctx, org.ServiceAccessQuery{OrgID: o.ID, Order: org.ByCreation})
	if err != nil {
		return nil, err
	}
	for _, s := range services {
		out.TrustedServices = append(out.TrustedServices, TrustedService{ServicePrincipal: s.ServicePrincipal, EnabledAt: s.EnabledAt})
	}

	if err := exportOUs(ctx, tx, o, o.RootID, out); err != nil {
		return nil, err
	}

	// Members in the order they joined. One that joined without a place in that order (see
	// org.WithCreationOrder) comes after the others in the order NumberAccounts would give it,
	// so that Import, which numbers every member, keeps the order the moto profile shows.
	slices.SortFunc(members, func(a, b org.Account) int {
		return cmp.Or(boolOrder(a.Seq == 0, b.Seq == 0), cmp.Compare(a.Seq, b.Seq), a.JoinedAt.Compare(b.JoinedAt), cmp.Compare(a.ID, b.ID))
	})
	for i := range members {
		a, err := exportAccount(ctx, tx, &members[i])
		if err != nil {
			return nil, err
		}
		out.Accounts = append(out.Accounts, a)
	}

	policyIDs := org.AWSManagedPolicyIDs()
	for _, typ := range org.PolicyTypes() {
		ps, err := pages(func(after org.Policy) ([]org.Policy, error) {
			return tx.ListPolicies(ctx, org.PolicyQuery{OrgID: o.ID, Type: typ, Order: org.ByCreation, AfterSeq: after.Seq, Limit: page})
		})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			tags, err := tx.Tags(ctx, p.ID, org.ByCreation)
			if err != nil {
				return nil, err
			}
			out.Policies = append(out.Policies, Policy{ID: p.ID, Type: p.Type, Name: p.Name, Description: p.Description,
				Content: p.Content, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Tags: tagsOf(tags)})
			policyIDs = append(policyIDs, p.ID)
		}
	}
	var attachments []org.PolicyAttachment
	for _, id := range policyIDs {
		as, err := pages(func(after org.PolicyAttachment) ([]org.PolicyAttachment, error) {
			return tx.ListPolicyAttachments(ctx, org.PolicyAttachmentQuery{OrgID: o.ID, PolicyID: id, Order: org.ByCreation,
				AfterSeq: after.PolicySeq, Limit: page})
		})
		if err != nil {
			return nil, err
		}
		attachments = append(attachments, as...)
	}
	for _, a := range attachmentOrder(attachments) {
		out.Attachments = append(out.Attachments, Attachment{PolicyID: a.PolicyID, TargetID: a.TargetID, AttachedAt: a.AttachedAt})
	}

	admins, err := tx.ListDelegatedAdmins(ctx, org.DelegatedAdminQuery{OrgID: o.ID, Order: org.ByCreation})
	if err != nil {
		return nil, err
	}
	for _, admin := range admins {
		regs, err := tx.ListDelegatedAdmins(ctx, org.DelegatedAdminQuery{OrgID: o.ID, AccountID: admin.AccountID, Order: org.ByCreation})
		if err != nil {
			return nil, err
		}
		for _, d := range regs {
			out.DelegatedAdministrators = append(out.DelegatedAdministrators,
				DelegatedAdministrator{AccountID: d.AccountID, ServicePrincipal: d.ServicePrincipal, EnabledAt: d.EnabledAt})
		}
	}

	rp, err := tx.ResourcePolicy(ctx, o.ID)
	switch {
	case errors.Is(err, org.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		tags, err := tx.Tags(ctx, rp.ID, org.ByCreation)
		if err != nil {
			return nil, err
		}
		out.ResourcePolicy = &ResourcePolicy{ID: rp.ID, Content: rp.Content, CreatedAt: rp.CreatedAt, UpdatedAt: rp.UpdatedAt, Tags: tagsOf(tags)}
	}

	reqs, err := pages(func(after org.CreateAccountRequest) ([]org.CreateAccountRequest, error) {
		return tx.ListCreateAccountRequests(ctx, org.CreateAccountQuery{OrgID: o.ID, AfterSeq: after.Seq, Limit: page})
	})
	if err != nil {
		return nil, err
	}
	for _, r := range reqs {
		out.CreateAccountStatuses = append(out.CreateAccountStatuses, CreateAccountStatus{ID: r.ID, AccountName: r.AccountName,
			Email: r.Email, RoleName: r.RoleName, IAMUserAccessToBilling: r.IAMUserAccessToBilling, Tags: tagsOf(r.Tags),
			GovCloud: r.GovCloud, State: r.State, AccountID: r.AccountID, GovCloudAccountID: r.GovCloudAccountID,
			FailureReason: r.FailureReason, RequestedAt: r.RequestedAt, CompletesAt: r.CompletesAt, CompletedAt: r.CompletedAt})
	}
	return out, nil
}

// boolOrder orders false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// exportOUs appends the OUs under parent, depth first, siblings in creation order.
func exportOUs(ctx context.Context, tx org.Tx, o *org.Organization, parent string, out *Organization) error {
	ous, err := pages(func(after org.OU) ([]org.OU, error) {
		return tx.ListOUs(ctx, org.OUQuery{OrgID: o.ID, ParentID: parent, Order: org.ByCreation, AfterSeq: after.Seq, Limit: page})
	})
	if err != nil {
		return err
	}
	for _, u := range ous {
		tags, err := tx.Tags(ctx, u.ID, org.ByCreation)
		if err != nil {
			return err
		}
		out.OUs = append(out.OUs, OU{ID: u.ID, ParentID: u.ParentID, Name: u.Name, CreatedAt: u.CreatedAt, Tags: tagsOf(tags)})
		if err := exportOUs(ctx, tx, o, u.ID, out); err != nil {
			return err
		}
	}
	return nil
}

// attachmentOrder orders an organization's attachments so that writing them in that order
// gives each target's attachments of a type (Seq) and each policy's (PolicySeq) the order
// they have: the two orders are chains that the order of the original writes satisfies
// together, so one order satisfies both. Among the attachments free to come next it takes
// the earliest attached (then by policy and target), so that the same attachments always
// come out in the same order.
func attachmentOrder(as []org.PolicyAttachment) []org.PolicyAttachment {
	type key struct{ a, b string }
	byTarget, byPolicy := map[key][]int{}, map[string][]int{}
	for i, a := range as {
		k := key{a.TargetID, a.PolicyType}
		byTarget[k] = append(byTarget[k], i)
		byPolicy[a.PolicyID] = append(byPolicy[a.PolicyID], i)
	}
	// next[i] are the attachments that must follow i directly in one chain; waiting[i] counts
	// those that must precede it.
	next := make([][]int, len(as))
	waiting := make([]int, len(as))
	chain := func(ids []int, seq func(int) int64) {
		slices.SortFunc(ids, func(x, y int) int { return cmp.Compare(seq(x), seq(y)) })
		for j := 1; j < len(ids); j++ {
			next[ids[j-1]] = append(next[ids[j-1]], ids[j])
			waiting[ids[j]]++
		}
	}
	for _, ids := range byTarget {
		chain(ids, func(i int) int64 { return as[i].Seq })
	}
	for _, ids := range byPolicy {
		chain(ids, func(i int) int64 { return as[i].PolicySeq })
	}
	ready := &attachmentHeap{as: as}
	for i := range as {
		if waiting[i] == 0 {
			ready.ids = append(ready.ids, i)
		}
	}
	heap.Init(ready)
	out := make([]org.PolicyAttachment, 0, len(as))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, as[i])
		for _, j := range next[i] {
			if waiting[j]--; waiting[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	return out
}

// attachmentHeap holds the attachments free to come next, earliest attached first.
type attachmentHeap struct {
	as  []org.PolicyAttachment
	ids []int
}

func (h *attachmentHeap) Len() int { return len(h.ids) }
func (h *attachmentHeap) Less(i, j int) bool {
	a, b := h.as[h.ids[i]], h.as[h.ids[j]]
	return cmp.Or(a.AttachedAt.Compare(b.AttachedAt), cmp.Compare(a.PolicyID, b.PolicyID), cmp.Compare(a.TargetID, b.TargetID)) < 0
}
func (h *attachmentHeap) Swap(i, j int) { h.ids[i], h.ids[j] = h.ids[j], h.ids[i] }
func (h *attachmentHeap) Push(x any)    { h.ids = append(h.ids, x.(int)) }
func (h *attachmentHeap) Pop() any {
	n := len(h.ids)
	x := h.ids[n-1]
	h.ids = h.ids[:n-1]
	return x
}
