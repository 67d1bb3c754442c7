// Package mirror reads one organization through the Organizations API, with read-only calls
// only (Describe*, List*), and makes of it a snapshot.Document that orgd can import (issue 14
// §4). Every id and ARN part is kept (organization, root, OUs, accounts, policies, the
// AWS-managed ones included, the partition), so Terraform state and scripts written for the
// real organization work unchanged against the mirror.
//
// What the API does not reveal gets a value chosen here (see Read): the creation times of
// OUs, policies, attachments, enabled policy types and the resource policy are the
// organization's (the management account's joining time), so that mirroring the same
// organization twice gives the same document; accounts have orgd's defaults for what only billing knows (seller of record,
// payment instrument, verified e-mail); lists are in the order the API gives them, members in
// the order they joined. Standalone accounts, handshakes, transfers, create-account
// requests and IAM roles are not read.
package mirror

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"golang.org/x/sync/errgroup"

	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/snapshot"
)

// Progress is how far a mirror is: the phase it is in, what it has found, and, in the last
// phase, how many of the phase's reads are done.
type Progress struct {
	Phase                   string // organization, tree, policies, services, details, done
	Accounts, OUs, Policies int
	Done, Total             int
	Calls                   int // API calls so far, retries included
}

// Options tune Read.
type Options struct {
	// Progress, when set, hears of each step; calls to it never overlap.
	Progress func(Progress)
	// Concurrency is how many calls may be in flight at once (default 4): they keep to the
	// pacer's rates all the same.
	Concurrency int
}

// Mirror reads an organization from a Source.
type Mirror struct {
	client *organizations.Client
	pacer  *pacer
}

// New returns a Mirror of src, paced as src.Rate says.
func New(src Source) (*Mirror, error) {
	p, err := newPacer(src.Rate)
	if err != nil {
		return nil, err
	}
	return &Mirror{client: src.client(p), pacer: p}, nil
}

// Calls are the API calls made so far, by operation, retries included.
func (m *Mirror) Calls() map[string]int { return m.pacer.Calls() }

// reader is one Read's state.
type reader struct {
	c        *organizations.Client
	opts     Options
	pacer    *pacer
	mu       sync.Mutex
	progress Progress
	o        *snapshot.Organization
}

// Read reads the organization of the source's credentials (they must be its management
// account's, or a delegated administrator's where AWS lets one read) into a document holding
// that organization only.
func (m *Mirror) Read(ctx context.Context, opts Options) (*snapshot.Document, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	r := &reader{c: m.client, opts: opts, pacer: m.pacer}
	o, err := r.read(ctx)
	if err != nil {
		return nil, fmt.Errorf("mirror: %w", err)
	}
	r.step(func(p *Progress) { p.Phase = "done" })
	return &snapshot.Document{Format: snapshot.Format, Version: snapshot.Version, Organizations: []snapshot.Organization{*o},
		Accounts: []snapshot.Account{}, Handshakes: []snapshot.Handshake{}, Transfers: []snapshot.Transfer{}, Roles: []snapshot.Role{}}, nil
}

// step changes the progress and reports it.
func (r *reader) step(change func(*Progress)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	change(&r.progress)
	calls := 0
	for _, n := range r.pacer.Calls() {
		calls += n
	}
	r.progress.Calls = calls
	if r.opts.Progress != nil {
		r.opts.Progress(r.progress)
	}
}

func (r *reader) read(ctx context.Context) (*snapshot.Organization, error) {
	r.step(func(p *Progress) { p.Phase = "organization" })
	d, err := r.c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, fmt.Errorf("describe the organization: %w", err)
	}
	// arn:PARTITION:organizations::MANAGEMENT:organization/o-…
	arn := strings.Split(aws.ToString(d.Organization.Arn), ":")
	if len(arn) < 2 {
		return nil, fmt.Errorf("the organization's ARN %q has no partition", aws.ToString(d.Organization.Arn))
	}
	r.o = &snapshot.Organization{ID: aws.ToString(d.Organization.Id), FeatureSet: string(d.Organization.FeatureSet),
		Partition: arn[1], ManagementAccountID: aws.ToString(d.Organization.MasterAccountId), Accounts: []snapshot.Account{}}
	o := r.o
	roots, err := r.c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return nil, fmt.Errorf("list roots: %w", err)
	}
	if len(roots.Roots) != 1 {
		return nil, fmt.Errorf("the organization has %d roots, not one", len(roots.Roots))
	}
	root := roots.Roots[0]
	o.RootID = aws.ToString(root.Id)
	known := org.PolicyTypes()
	for _, t := range root.PolicyTypes {
		// A type orgd does not know could not be imported; its policies are left out with it.
		if slices.Contains(known, string(t.Type)) {
			o.EnabledPolicyTypes = append(o.EnabledPolicyTypes, snapshot.EnabledPolicyType{Type: string(t.Type), Status: string(t.Status)})
		}
	}
	slices.SortFunc(o.EnabledPolicyTypes, func(a, b snapshot.EnabledPolicyType) int { return cmp.Compare(a.Type, b.Type) })

	r.step(func(p *Progress) { p.Phase = "tree" })
	if err := r.walk(ctx, o.RootID); err != nil {
		return nil, err
	}
	// Members in the order they joined, which is what orgd's creation order keeps for them;
	// the management account joined when the organization was created.
	slices.SortStableFunc(o.Accounts, func(a, b snapshot.Account) int {
		return cmp.Or(a.JoinedAt.Compare(b.JoinedAt), cmp.Compare(a.ID, b.ID))
	})
	for _, a := range o.Accounts {
		if a.ID == o.ManagementAccountID {
			o.CreatedAt = a.JoinedAt
		}
	}
	if o.CreatedAt.IsZero() {
		return nil, fmt.Errorf("the management account %s is not among the organization's accounts", o.ManagementAccountID)
	}
	// The times the API does not reveal are the organization's: no later one is known.
	for i := range o.EnabledPolicyTypes {
		o.EnabledPolicyTypes[i].EnabledAt = o.CreatedAt
	}
	for i := range o.OUs {
		o.OUs[i].CreatedAt = o.CreatedAt
	}

	// Policies, trusted access and delegated administrators exist only with all features
	// (spec §3): a consolidated-billing organization answers them with errors.
	var targets []string
	if o.FeatureSet == model.OrganizationFeatureSetAll {
		r.step(func(p *Progress) { p.Phase = "policies" })
		if targets, err = r.policies(ctx); err != nil {
			return nil, err
		}
		r.step(func(p *Progress) { p.Phase = "services" })
		if err := r.services(ctx); err != nil {
			return nil, err
		}
	}
	return o, r.details(ctx, targets)
}

// walk reads the OUs and accounts under parent, depth first, each OU after its parent.
func (r *reader) walk(ctx context.Context, parent string) error {
	var ous []types.OrganizationalUnit
	pg := organizations.NewListOrganizationalUnitsForParentPaginator(r.c, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the OUs of %s: %w", parent, err)
		}
		ous = append(ous, out.OrganizationalUnits...)
	}
	ap := organizations.NewListAccountsForParentPaginator(r.c, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
	for ap.HasMorePages() {
		out, err := ap.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the accounts of %s: %w", parent, err)
		}
		for _, a := range out.Accounts {
			state := string(a.State)
			if state == "" {
				// An older answer has only the deprecated Status, whose values are states.
				state = string(a.Status)
			}
			r.o.Accounts = append(r.o.Accounts, snapshot.Account{ID: aws.ToString(a.Id), Email: aws.ToString(a.Email),
				Name: aws.ToString(a.Name), SellerOfRecord: org.SellerAWS, PaymentInstrument: true, EmailVerified: true,
				State: state, ParentID: parent, JoinedMethod: string(a.JoinedMethod), JoinedAt: utc(a.JoinedTimestamp)})
		}
		r.step(func(p *Progress) { p.Accounts = len(r.o.Accounts) })
	}
	for _, u := range ous {
		r.o.OUs = append(r.o.OUs, snapshot.OU{ID: aws.ToString(u.Id), ParentID: parent, Name: aws.ToString(u.Name)})
		r.step(func(p *Progress) { p.OUs = len(r.o.OUs) })
		if err := r.walk(ctx, aws.ToString(u.Id)); err != nil {
			return err
		}
	}
	return nil
}

// policies lists the policies of every type orgd knows, and returns the ids of those whose
// targets to read: every policy of an enabled type, AWS-managed ones included.
func (r *reader) policies(ctx context.Context) ([]string, error) {
	o := r.o
	enabled := map[string]bool{}
	for _, t := range o.EnabledPolicyTypes {
		enabled[t.Type] = true
	}
	var targets []string
	for _, typ := range org.PolicyTypes() {
		pg := organizations.NewListPoliciesPaginator(r.c, &organizations.ListPoliciesInput{Filter: types.PolicyType(typ)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list the %s policies: %w", typ, err)
			}
			for _, p := range out.Policies {
				if enabled[typ] {
					targets = append(targets, aws.ToString(p.Id))
				}
				if p.AwsManaged {
					continue
				}
				o.Policies = append(o.Policies, snapshot.Policy{ID: aws.ToString(p.Id), Type: typ, Name: aws.ToString(p.Name),
					Description: aws.ToString(p.Description), CreatedAt: o.CreatedAt, UpdatedAt: o.CreatedAt})
			}
			r.step(func(p *Progress) { p.Policies = len(o.Policies) })
		}
	}
	return targets, nil
}

// services reads trusted access, the delegated administrators and the resource policy.
func (r *reader) services(ctx context.Context) error {
	o := r.o
	sp := organizations.NewListAWSServiceAccessForOrganizationPaginator(r.c, &organizations.ListAWSServiceAccessForOrganizationInput{})
	for sp.HasMorePages() {
		out, err := sp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list trusted services: %w", err)
		}
		for _, s := range out.EnabledServicePrincipals {
			o.TrustedServices = append(o.TrustedServices, snapshot.TrustedService{ServicePrincipal: aws.ToString(s.ServicePrincipal), EnabledAt: utc(s.DateEnabled)})
		}
	}
	// In the order they were enabled, as orgd keeps them.
	slices.SortStableFunc(o.TrustedServices, func(a, b snapshot.TrustedService) int {
		return cmp.Or(a.EnabledAt.Compare(b.EnabledAt), cmp.Compare(a.ServicePrincipal, b.ServicePrincipal))
	})

	var admins []types.DelegatedAdministrator
	dp := organizations.NewListDelegatedAdministratorsPaginator(r.c, &organizations.ListDelegatedAdministratorsInput{})
	for dp.HasMorePages() {
		out, err := dp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list delegated administrators: %w", err)
		}
		admins = append(admins, out.DelegatedAdministrators...)
	}
	// Grouped by account, accounts in the order they were first registered.
	slices.SortStableFunc(admins, func(a, b types.DelegatedAdministrator) int {
		return cmp.Or(utc(a.DelegationEnabledDate).Compare(utc(b.DelegationEnabledDate)), cmp.Compare(aws.ToString(a.Id), aws.ToString(b.Id)))
	})
	for _, a := range admins {
		var regs []snapshot.DelegatedAdministrator
		p := organizations.NewListDelegatedServicesForAccountPaginator(r.c, &organizations.ListDelegatedServicesForAccountInput{AccountId: a.Id})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list the delegated services of %s: %w", aws.ToString(a.Id), err)
			}
			for _, s := range out.DelegatedServices {
				regs = append(regs, snapshot.DelegatedAdministrator{AccountID: aws.ToString(a.Id),
					ServicePrincipal: aws.ToString(s.ServicePrincipal), EnabledAt: utc(s.DelegationEnabledDate)})
			}
		}
		slices.SortStableFunc(regs, func(a, b snapshot.DelegatedAdministrator) int {
			return cmp.Or(a.EnabledAt.Compare(b.EnabledAt), cmp.Compare(a.ServicePrincipal, b.ServicePrincipal))
		})
		o.DelegatedAdministrators = append(o.DelegatedAdministrators, regs...)
	}

	rp, err := r.c.DescribeResourcePolicy(ctx, &organizations.DescribeResourcePolicyInput{})
	var none *types.ResourcePolicyNotFoundException
	switch {
	case errors.As(err, &none):
	case err != nil:
		return fmt.Errorf("describe the resource policy: %w", err)
	default:
		o.ResourcePolicy = &snapshot.ResourcePolicy{ID: aws.ToString(rp.ResourcePolicy.ResourcePolicySummary.Id),
			Content: aws.ToString(rp.ResourcePolicy.Content), CreatedAt: o.CreatedAt, UpdatedAt: o.CreatedAt}
	}
	return nil
}

// details reads, a few calls at a time, the tags of the root, every OU, account, policy and
// the resource policy, each customer policy's content, and the targets of the given
// policies.
func (r *reader) details(ctx context.Context, targets []string) error {
	o := r.o
	type job func(ctx context.Context) error
	var jobs []job
	tags := func(id string, into *[]snapshot.Tag) job {
		return func(ctx context.Context) error {
			var ts []snapshot.Tag
			p := organizations.NewListTagsForResourcePaginator(r.c, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("list the tags of %s: %w", id, err)
				}
				for _, t := range out.Tags {
					ts = append(ts, snapshot.Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
				}
			}
			*into = ts
			return nil
		}
	}
	jobs = append(jobs, tags(o.RootID, &o.RootTags))
	for i := range o.OUs {
		jobs = append(jobs, tags(o.OUs[i].ID, &o.OUs[i].Tags))
	}
	for i := range o.Accounts {
		jobs = append(jobs, tags(o.Accounts[i].ID, &o.Accounts[i].Tags))
	}
	for i := range o.Policies {
		p := &o.Policies[i]
		jobs = append(jobs, tags(p.ID, &p.Tags), func(ctx context.Context) error {
			out, err := r.c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(p.ID)})
			if err != nil {
				return fmt.Errorf("describe policy %s: %w", p.ID, err)
			}
			p.Content = aws.ToString(out.Policy.Content)
			return nil
		})
	}
	if rp := o.ResourcePolicy; rp != nil {
		jobs = append(jobs, tags(rp.ID, &rp.Tags))
	}
	attached := make([][]snapshot.Attachment, len(targets))
	for i, id := range targets {
		jobs = append(jobs, func(ctx context.Context) error {
			p := organizations.NewListTargetsForPolicyPaginator(r.c, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(id)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("list the targets of %s: %w", id, err)
				}
				for _, t := range out.Targets {
					attached[i] = append(attached[i], snapshot.Attachment{PolicyID: id, TargetID: aws.ToString(t.TargetId), AttachedAt: o.CreatedAt})
				}
			}
			return nil
		})
	}

	r.step(func(p *Progress) { p.Phase, p.Done, p.Total = "details", 0, len(jobs) })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Concurrency)
	for _, j := range jobs {
		g.Go(func() error {
			if err := j(gctx); err != nil {
				return err
			}
			r.step(func(p *Progress) { p.Done++ })
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// Attachments by policy and then target: with one attachment time for all, the order
	// orgd's export gives them.
	for _, as := range attached {
		o.Attachments = append(o.Attachments, as...)
	}
	slices.SortFunc(o.Attachments, func(a, b snapshot.Attachment) int {
		return cmp.Or(cmp.Compare(a.PolicyID, b.PolicyID), cmp.Compare(a.TargetID, b.TargetID))
	})
	return nil
}

// utc is a time the API answered, in UTC as orgd's documents write times; nil is the zero
// time.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
