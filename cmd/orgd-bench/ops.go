package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The accounts the bench acts as. Each operation that changes an organization gets its own,
// so that the writes do not change what the reads measure.
const (
	mgmtBase   = "111111111111" // DescribeOrganization, DescribeHandshake, TagResource
	mgmtInvite = "222222222222" // the InviteAccountToOrganization → AcceptHandshake cycle
	mgmtCreate = "333333333333" // CreateAccount
	mgmtMemory = "444444444444" // the open invitations orgd holds when its memory is measured
	// MemberDescribeOrganization: a member account five levels deep (root, three OUs, the
	// account) in an organization with SCPs (5 a level, with conditions) and in one without.
	mgmtSCP     = "555555555551"
	memberSCP   = "555555555552"
	mgmtPlain   = "666666666661"
	memberPlain = "666666666662"
)

// listMgmt is the management account of the organization of size accounts.
func listMgmt(size int) string { return fmt.Sprintf("4%011d", size) }

// freshAccount is an account id no server has seen: orgd gives created accounts ids without a
// leading zero, so these cannot clash with one.
func freshAccount(seq int64) string { return fmt.Sprintf("00%010d", seq) }

// operation is one row group of the table.
type operation struct {
	name  string // as the table and -only spell it
	group string // -only also takes this: "ListAccounts" selects every size
	unit  string // what one measured unit is
	read  bool   // it changes nothing: orgd-verified measures these
	// setup prepares the server's state before anything is measured; nil needs none.
	setup func(ctx context.Context, f *fixture) error
	// run returns the measured unit of work.
	run func(f *fixture) unit
}

// operations returns the operations in the order they run: reads first, then the writes,
// which grow organizations the reads would otherwise see grow.
func operations(sizes []int) []operation {
	ops := []operation{{
		name: "DescribeOrganization", unit: "request", read: true,
		setup: func(ctx context.Context, f *fixture) error { return f.org(ctx, mgmtBase) },
		run: func(f *fixture) unit {
			return func(ctx context.Context, c *client, _ int64) error {
				return c.call(ctx, "DescribeOrganization", mgmtBase, struct{}{}, nil)
			}
		},
	}}
	for _, size := range sizes {
		mgmt := listMgmt(size)
		ops = append(ops, operation{
			name: fmt.Sprintf("ListAccounts/%d", size), group: "ListAccounts", unit: "request", read: true,
			setup: func(ctx context.Context, f *fixture) error { return f.listOrg(ctx, size) },
			run: func(f *fixture) unit {
				// The first page of 20, AWS's largest: the most common call against a big
				// organization, and the one that shows whether the server scans it all.
				in := map[string]any{"MaxResults": 20}
				return func(ctx context.Context, c *client, _ int64) error {
					return c.call(ctx, "ListAccounts", mgmt, in, nil)
				}
			},
		})
	}
	for _, enforced := range []bool{false, true} {
		name, mgmt, member := "MemberDescribeOrganization", mgmtPlain, memberPlain
		if enforced {
			name, mgmt, member = name+"/SCPs", mgmtSCP, memberSCP
		}
		ops = append(ops, operation{
			name: name, group: "MemberDescribeOrganization", unit: "request", read: true,
			setup: func(ctx context.Context, f *fixture) error { return f.deepMember(ctx, mgmt, member, enforced) },
			run: func(f *fixture) unit {
				return func(ctx context.Context, c *client, _ int64) error {
					return c.call(ctx, "DescribeOrganization", member, struct{}{}, nil)
				}
			},
		})
	}
	ops = append(ops, operation{
		name: "DescribeHandshake", unit: "request", read: true,
		setup: func(ctx context.Context, f *fixture) error { return f.openInvitation(ctx) },
		run: func(f *fixture) unit {
			in := map[string]any{"HandshakeId": f.handshake}
			return func(ctx context.Context, c *client, _ int64) error {
				return c.call(ctx, "DescribeHandshake", mgmtBase, in, nil)
			}
		},
	}, operation{
		name: "TagResource", unit: "request",
		setup: func(ctx context.Context, f *fixture) error { return f.memberAccount(ctx) },
		run: func(f *fixture) unit {
			// A durable write of a small row; 40 keys stay under AWS's 50 tags a resource,
			// so every request replaces a tag's value rather than failing on the quota.
			return func(ctx context.Context, c *client, seq int64) error {
				in := map[string]any{"ResourceId": f.member, "Tags": []map[string]string{
					{"Key": fmt.Sprintf("bench-key-%02d", seq%40), "Value": strconv.FormatInt(seq, 10)}}}
				return c.call(ctx, "TagResource", mgmtBase, in, nil)
			}
		},
	}, operation{
		name: "InviteAccept", unit: "cycle (2 requests)",
		setup: func(ctx context.Context, f *fixture) error { return f.org(ctx, mgmtInvite) },
		run: func(f *fixture) unit {
			// One unit is the whole cycle: the management account invites a fresh
			// standalone account, which accepts and joins. The organization grows by one
			// member a cycle, as an account-vending pipeline's would.
			return func(ctx context.Context, c *client, seq int64) error {
				target := freshAccount(seq)
				id, err := f.invite(ctx, c, mgmtInvite, target)
				if err != nil {
					return fmt.Errorf("InviteAccountToOrganization: %w", err)
				}
				if err := c.call(ctx, "AcceptHandshake", target, map[string]any{"HandshakeId": id}, nil); err != nil {
					return fmt.Errorf("AcceptHandshake: %w", err)
				}
				return nil
			}
		},
	}, operation{
		name: "CreateAccount", unit: "request",
		setup: func(ctx context.Context, f *fixture) error { return f.org(ctx, mgmtCreate) },
		run: func(f *fixture) unit {
			return func(ctx context.Context, c *client, seq int64) error {
				_, err := f.createAccount(ctx, c, mgmtCreate, fmt.Sprintf("new-%d@example.com", seq), fmt.Sprintf("new %d", seq))
				return err
			}
		},
	})
	return ops
}

// selectOps keeps the operations -only names (by name or group, case-insensitive).
func selectOps(ops []operation, only string) ([]operation, error) {
	if strings.TrimSpace(only) == "" {
		return ops, nil
	}
	var out []operation
	for w := range strings.SplitSeq(only, ",") {
		w = strings.TrimSpace(w)
		found := false
		for _, op := range ops {
			if strings.EqualFold(w, op.name) || strings.EqualFold(w, op.group) {
				found = true
				if !containsOp(out, op.name) {
					out = append(out, op)
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("-only: no operation %q", w)
		}
	}
	// Keep the run order (reads before writes) whatever order -only lists them in.
	var ordered []operation
	for _, op := range ops {
		if containsOp(out, op.name) {
			ordered = append(ordered, op)
		}
	}
	return ordered, nil
}

func containsOp(ops []operation, name string) bool {
	for _, op := range ops {
		if op.name == name {
			return true
		}
	}
	return false
}

// fixture is the state the bench set up on one server, and how.
type fixture struct {
	server string
	c      *client
	conns  int
	// opaque servers (the ceiling) answer every request alike: nothing is set up, and ids
	// are placeholders, so the ceiling does the same client-side work as the others.
	opaque bool
	// setupBudget bounds the time account creation for ListAccounts may take on this server
	// (0: no bound), set by the flag budgetFlag names; spent is what it has taken so far.
	setupBudget, spent time.Duration
	budgetFlag         string
	// createRate is the accounts per second of the last organization filled, to tell
	// whether the next one fits the budget before starting it.
	createRate float64
	progress   func(format string, args ...any)
	// conflicts counts the setup requests sent again after ConcurrentModificationException.
	conflicts atomic.Int64

	done      map[string]error // memoized setups
	member    string           // a member account of mgmtBase's organization
	handshake string           // an open invitation from mgmtBase's organization
}

func newFixture(server string, c *client, conns int, opaque bool) *fixture {
	f := &fixture{server: server, c: c, conns: conns, opaque: opaque, done: map[string]error{},
		progress: func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }}
	if opaque {
		f.member, f.handshake = "999999999999", "h-"+strings.Repeat("0", 32)
	}
	return f
}

// once runs setup step key at most once and remembers its outcome.
func (f *fixture) once(key string, step func() error) error {
	if f.opaque {
		return nil
	}
	if err, ok := f.done[key]; ok {
		return err
	}
	err := step()
	f.done[key] = err
	return err
}

// maxSetupAttempts bounds the tries of one setup request that keeps answering
// ConcurrentModificationException: a server that cannot make progress fails the setup.
const maxSetupAttempts = 20

// retrying runs call, one request of a setup that sends many concurrently, again while the
// server answers ConcurrentModificationException, as a client filling an organization must:
// AWS's advice for that error is to try again later, and orgd on PostgreSQL answers it when
// concurrent transactions keep conflicting (they all update the organization's counters).
// The measured operations never retry: their errors are part of the measurement.
func (f *fixture) retrying(ctx context.Context, call func() error) error {
	for attempt := 1; ; attempt++ {
		err := call()
		var ae *apiError
		if !errors.As(err, &ae) || ae.Code != "ConcurrentModificationException" || attempt == maxSetupAttempts {
			return err
		}
		f.conflicts.Add(1)
		// Exponential from 5ms up to 500ms, with jitter so that the requests that
		// conflicted do not meet again at once.
		d := min(5*time.Millisecond<<(attempt-1), 500*time.Millisecond)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d/2 + rand.N(d/2+1)):
		}
	}
}

// errSkipped marks a setup deliberately left out (a server's time budget), not a failure.
var errSkipped = errors.New("skipped")

// org makes mgmt the management account of an all-features organization.
func (f *fixture) org(ctx context.Context, mgmt string) error {
	return f.once("org "+mgmt, func() error {
		if err := f.c.call(ctx, "CreateOrganization", mgmt, map[string]any{"FeatureSet": "ALL"}, nil); err != nil {
			return fmt.Errorf("CreateOrganization as %s: %w", mgmt, err)
		}
		return nil
	})
}

// createAccount asks for a member account and returns the request's id. orgd answers
// IN_PROGRESS even when the account already exists (as AWS does); FAILED can only come from a
// server that settles in the answer, like moto.
func (f *fixture) createAccount(ctx context.Context, c *client, mgmt, email, name string) (string, error) {
	var out struct {
		CreateAccountStatus struct {
			Id, State, FailureReason string
		}
	}
	if err := c.call(ctx, "CreateAccount", mgmt, map[string]any{"Email": email, "AccountName": name}, &out); err != nil {
		return "", err
	}
	st := out.CreateAccountStatus
	if f.opaque {
		return st.Id, nil
	}
	if st.Id == "" || st.State == "FAILED" {
		return "", fmt.Errorf("CreateAccount %s answered state %q (%s), id %q", email, st.State, st.FailureReason, st.Id)
	}
	return st.Id, nil
}

// invite sends mgmt's invitation to account target and returns the handshake's id.
func (f *fixture) invite(ctx context.Context, c *client, mgmt, target string) (string, error) {
	var out struct{ Handshake struct{ Id string } }
	in := map[string]any{"Target": map[string]string{"Type": "ACCOUNT", "Id": target}}
	if err := c.call(ctx, "InviteAccountToOrganization", mgmt, in, &out); err != nil {
		return "", err
	}
	if out.Handshake.Id == "" {
		if f.opaque {
			return "h-" + strings.Repeat("0", 32), nil
		}
		return "", errors.New("the answer has no Handshake.Id")
	}
	return out.Handshake.Id, nil
}

// openInvitations has mgmtMemory's organization send n invitations, left open, to fresh
// accounts.
func (f *fixture) openInvitations(ctx context.Context, n int) error {
	if err := f.org(ctx, mgmtMemory); err != nil {
		return err
	}
	return parallel(ctx, n, f.conns, func(ctx context.Context, i int) error {
		_, err := f.invite(ctx, f.c, mgmtMemory, fmt.Sprintf("5%011d", i))
		return err
	})
}

// memberAccount creates the member account TagResource tags.
func (f *fixture) memberAccount(ctx context.Context) error {
	if err := f.org(ctx, mgmtBase); err != nil {
		return err
	}
	return f.once("member", func() error {
		id, err := f.createAccount(ctx, f.c, mgmtBase, "tagged@example.com", "tagged")
		if err != nil {
			return err
		}
		var out struct {
			CreateAccountStatus struct{ State, AccountId, FailureReason string }
		}
		if err := f.c.call(ctx, "DescribeCreateAccountStatus", mgmtBase, map[string]any{"CreateAccountRequestId": id}, &out); err != nil {
			return fmt.Errorf("DescribeCreateAccountStatus: %w", err)
		}
		if st := out.CreateAccountStatus; st.State != "SUCCEEDED" || st.AccountId == "" {
			return fmt.Errorf("the member account's creation is %s (%s), account %q", st.State, st.FailureReason, st.AccountId)
		}
		f.member = out.CreateAccountStatus.AccountId
		return nil
	})
}

// openInvitation leaves one invitation open, from mgmtBase's organization to a standalone
// account; DescribeHandshake reads it as its sender.
func (f *fixture) openInvitation(ctx context.Context) error {
	if err := f.org(ctx, mgmtBase); err != nil {
		return err
	}
	return f.once("invitation", func() error {
		id, err := f.invite(ctx, f.c, mgmtBase, "098765432109")
		if err != nil {
			return fmt.Errorf("InviteAccountToOrganization: %w", err)
		}
		f.handshake = id
		return nil
	})
}

// listOrg fills listMgmt(size)'s organization to size accounts (its management account
// included) with CreateAccount from f.conns concurrent workers, as a client would, and checks
// the result.
func (f *fixture) listOrg(ctx context.Context, size int) error {
	mgmt := listMgmt(size)
	if err := f.org(ctx, mgmt); err != nil {
		return err
	}
	return f.once(fmt.Sprintf("list %d", size), func() error {
		n := size - 1
		if f.setupBudget > 0 {
			left := f.setupBudget - f.spent
			// The rate measured on the previous, smaller organization is optimistic:
			// a server that scans its accounts on every creation (moto does) slows down
			// as they grow, so the real time can only be longer.
			if f.createRate > 0 {
				if est := time.Duration(float64(n) / f.createRate * float64(time.Second)); est > left {
					return fmt.Errorf("%w: creating %d accounts would take at least %s at the %.0f accounts/s measured on the previous size, over the %s left of the %s",
						errSkipped, n, est.Round(time.Second), f.createRate, left.Round(time.Second), f.budgetFlag)
				}
			}
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, left)
			defer cancel()
		}
		start := time.Now()
		var created atomic.Int64
		stopProgress := f.reportProgress(size, start, &created)
		err := parallel(ctx, n, f.conns, func(ctx context.Context, i int) error {
			err := f.retrying(ctx, func() error {
				_, err := f.createAccount(ctx, f.c, mgmt, fmt.Sprintf("list%d-%d@example.com", size, i), fmt.Sprintf("list %d-%d", size, i))
				return err
			})
			if err == nil {
				created.Add(1)
			}
			return err
		})
		stopProgress()
		took := time.Since(start)
		f.spent += took
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && f.setupBudget > 0 {
				return fmt.Errorf("%w: only %d of %d accounts created within the %s", errSkipped, created.Load(), n, f.budgetFlag)
			}
			return fmt.Errorf("creating account %d of %d: %w", created.Load()+1, n, err)
		}
		if took > 0 {
			f.createRate = float64(n) / took.Seconds()
		}
		return f.checkListOrg(ctx, mgmt, size)
	})
}

// checkListOrg makes sure the organization holds what ListAccounts should page through: no
// creation failed after answering (orgd reports failures only in the request's status) and
// the first page is full.
func (f *fixture) checkListOrg(ctx context.Context, mgmt string, size int) error {
	var failed struct {
		CreateAccountStatuses []struct{ FailureReason string }
	}
	if err := f.c.call(ctx, "ListCreateAccountStatus", mgmt, map[string]any{"States": []string{"FAILED"}, "MaxResults": 20}, &failed); err != nil {
		return fmt.Errorf("ListCreateAccountStatus: %w", err)
	}
	if n := len(failed.CreateAccountStatuses); n > 0 {
		return fmt.Errorf("%d or more account creations FAILED, e.g. %s", n, failed.CreateAccountStatuses[0].FailureReason)
	}
	var page struct {
		Accounts  []struct{ Id string }
		NextToken *string
	}
	if err := f.c.call(ctx, "ListAccounts", mgmt, map[string]any{"MaxResults": 20}, &page); err != nil {
		return fmt.Errorf("ListAccounts: %w", err)
	}
	if want := min(size, 20); len(page.Accounts) != want || (size > 20) != (page.NextToken != nil) {
		return fmt.Errorf("ListAccounts' first page has %d accounts (next token %v), want %d", len(page.Accounts), page.NextToken != nil, want)
	}
	return nil
}

// reportProgress prints how far a large setup is every 15 seconds, until stopped.
func (f *fixture) reportProgress(size int, start time.Time, created *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n := created.Load()
				f.progress("  %s: %d of %d accounts created in %s (%.0f/s)", f.server, n, size-1,
					time.Since(start).Round(time.Second), float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	return func() { close(done) }
}

// scpLevel are the SCPs deepMember attaches at each level besides FullAWSAccess: denies whose
// conditions a member's read must evaluate and that do not deny it (it is signed for
// us-east-1 by the account's root user), as guardrails commonly are.
var scpLevel = []string{
	`{"Version":"2012-10-17","Statement":{"Sid":"RegionLock","Effect":"Deny","NotAction":["iam:*","organizations:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"NoLeaving","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"},{"Sid":"TLSOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
	`{"Version":"2012-10-17","Statement":{"Sid":"ProtectRoles","Effect":"Deny","Action":["iam:*","organizations:Describe*"],"Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Blocked*"}}}}`,
	`{"Version":"2012-10-17","Statement":{"Sid":"Quarantine","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/quarantine":"true"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}}`,
}

// deepMember makes mgmt the management account of an organization with member five levels
// deep: root, three nested OUs, the account. With enforced, SCPs are enabled and every level
// has FullAWSAccess and the four scpLevel policies attached; without, SCPs stay disabled.
func (f *fixture) deepMember(ctx context.Context, mgmt, member string, enforced bool) error {
	if err := f.org(ctx, mgmt); err != nil {
		return err
	}
	return f.once("deep "+mgmt, func() error {
		id, err := f.invite(ctx, f.c, mgmt, member)
		if err != nil {
			return fmt.Errorf("InviteAccountToOrganization: %w", err)
		}
		if err := f.c.call(ctx, "AcceptHandshake", member, map[string]any{"HandshakeId": id}, nil); err != nil {
			return fmt.Errorf("AcceptHandshake: %w", err)
		}
		var roots struct{ Roots []struct{ Id string } }
		if err := f.c.call(ctx, "ListRoots", mgmt, struct{}{}, &roots); err != nil || len(roots.Roots) != 1 {
			return fmt.Errorf("ListRoots: %v (%d roots)", err, len(roots.Roots))
		}
		levels := []string{roots.Roots[0].Id}
		for i := 1; i <= 3; i++ {
			var ou struct{ OrganizationalUnit struct{ Id string } }
			in := map[string]any{"ParentId": levels[i-1], "Name": fmt.Sprintf("level-%d", i)}
			if err := f.c.call(ctx, "CreateOrganizationalUnit", mgmt, in, &ou); err != nil {
				return fmt.Errorf("CreateOrganizationalUnit: %w", err)
			}
			levels = append(levels, ou.OrganizationalUnit.Id)
		}
		in := map[string]any{"AccountId": member, "SourceParentId": levels[0], "DestinationParentId": levels[3]}
		if err := f.c.call(ctx, "MoveAccount", mgmt, in, nil); err != nil {
			return fmt.Errorf("MoveAccount: %w", err)
		}
		if !enforced {
			return nil
		}
		levels = append(levels, member)
		if err := f.c.call(ctx, "EnablePolicyType", mgmt, map[string]any{"RootId": levels[0], "PolicyType": "SERVICE_CONTROL_POLICY"}, nil); err != nil {
			return fmt.Errorf("EnablePolicyType: %w", err)
		}
		for l, target := range levels {
			for i, doc := range scpLevel {
				var p struct {
					Policy struct{ PolicySummary struct{ Id string } }
				}
				in := map[string]any{"Type": "SERVICE_CONTROL_POLICY", "Name": fmt.Sprintf("guardrail-%d-%d", l, i),
					"Description": "bench", "Content": doc}
				if err := f.c.call(ctx, "CreatePolicy", mgmt, in, &p); err != nil {
					return fmt.Errorf("CreatePolicy: %w", err)
				}
				in = map[string]any{"PolicyId": p.Policy.PolicySummary.Id, "TargetId": target}
				if err := f.c.call(ctx, "AttachPolicy", mgmt, in, nil); err != nil {
					return fmt.Errorf("AttachPolicy: %w", err)
				}
			}
		}
		return nil
	})
}
