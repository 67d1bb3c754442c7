package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/orgd/orgd/internal/org"
)

// The simulator and the impact analysis from the command line: flags build the same JSON
// that --input FILE holds, and win over it.

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// readInput decodes --input FILE into v, refusing fields v does not have.
func readInput(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("--input %s: %w", path, err)
	}
	return nil
}

// policyFile is a policy document read from a file, sent as a string so that the server
// reports what is wrong with it (a JSON object would have to be valid JSON here first).
func policyFile(flagName, path string) (json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flagName, err)
	}
	return json.Marshal(string(b))
}

// contextTypes are the ContextKeyType values of IAM's simulator.
var contextTypes = []string{"string", "stringList", "numeric", "numericList", "boolean", "booleanList",
	"ip", "ipList", "binary", "binaryList", "date", "dateList"}

// parseContext reads key=value[,value][:type].
func parseContext(v string) (org.ContextEntry, error) {
	key, value, ok := strings.Cut(v, "=")
	if !ok || key == "" {
		return org.ContextEntry{}, fmt.Errorf("--context %q: want key=value[,value][:type]", v)
	}
	e := org.ContextEntry{ContextKeyName: key}
	if i := strings.LastIndexByte(value, ':'); i >= 0 && slices.Contains(contextTypes, value[i+1:]) {
		value, e.ContextKeyType = value[:i], value[i+1:]
	}
	e.ContextKeyValues = strings.Split(value, ",")
	if len(e.ContextKeyValues) > 1 && e.ContextKeyType == "" {
		e.ContextKeyType = "stringList"
	}
	return e, nil
}

func parseContexts(vs []string) ([]org.ContextEntry, error) {
	var out []org.ContextEntry
	for _, v := range vs {
		e, err := parseContext(v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// levelFlags reads TARGET=FILE flags into levels, in the order the targets first appear.
func levelFlags(flagName string, vs []string) ([]org.PolicyLevel, error) {
	var out []org.PolicyLevel
	for _, v := range vs {
		target, file, ok := strings.Cut(v, "=")
		if !ok || target == "" || file == "" {
			return nil, fmt.Errorf("--%s %q: want TARGET=FILE", flagName, v)
		}
		doc, err := policyFile(flagName, file)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(out, func(l org.PolicyLevel) bool { return l.TargetId == target })
		if i < 0 {
			out = append(out, org.PolicyLevel{TargetId: target})
			i = len(out) - 1
		}
		out[i].Policies = append(out[i].Policies, doc)
	}
	return out, nil
}

func checkOutput(output string) error {
	if output != "json" && output != "table" {
		return fmt.Errorf("--output %q: want json or table", output)
	}
	return nil
}

func (m *Main) simulate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	var actions, resources, contexts, policies, scps, rcps listFlag
	caller := fs.String("caller", "", "the principal's ARN: arn:aws:iam::ID:root, :user/NAME, :role/NAME or arn:aws:sts::ID:assumed-role/ROLE/SESSION")
	fs.Var(&actions, "action", "an action to simulate, e.g. s3:GetObject (repeatable)")
	fs.Var(&resources, "resource", "a resource ARN (repeatable; default *)")
	owner := fs.String("resource-owner", "", "the account that owns the resources (default: the ARN's, else the caller's)")
	fs.Var(&contexts, "context", "a condition key: key=value[,value][:type], e.g. aws:RequestedRegion=eu-west-1 (repeatable)")
	fs.Var(&policies, "policy", "a file holding an identity policy (repeatable; default: the caller's declared policies)")
	boundary := fs.String("boundary", "", "a file holding the permissions boundary")
	session := fs.String("session-policy", "", "a file holding a session policy")
	resourcePolicy := fs.String("resource-policy", "", "a file holding the resource's policy")
	fs.Var(&scps, "scp", "TARGET=FILE: an SCP at one level, levels from the root down (repeatable; default: the organization's)")
	fs.Var(&rcps, "rcp", "TARGET=FILE: an RCP at one level, levels from the root down (repeatable; default: the organization's)")
	input := fs.String("input", "", "a file holding the request as POST /_orgd/simulate takes it; flags win")
	output := fs.String("output", "json", "json or table")
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if err := checkOutput(*output); err != nil {
		return err
	}
	var req org.SimulationRequest
	if *input != "" {
		if err := readInput(*input, &req); err != nil {
			return err
		}
	}
	if *caller != "" {
		req.CallerArn = *caller
	}
	if len(actions) > 0 {
		req.ActionNames = actions
	}
	if len(resources) > 0 {
		req.ResourceArns = resources
	}
	if *owner != "" {
		req.ResourceOwner = *owner
	}
	var err error
	if len(contexts) > 0 {
		if req.ContextEntries, err = parseContexts(contexts); err != nil {
			return err
		}
	}
	if len(policies) > 0 {
		req.PolicyInputList = nil
		for _, f := range policies {
			doc, err := policyFile("policy", f)
			if err != nil {
				return err
			}
			req.PolicyInputList = append(req.PolicyInputList, doc)
		}
	}
	for _, f := range []struct {
		name, path string
		set        func(json.RawMessage)
	}{
		{"boundary", *boundary, func(d json.RawMessage) { req.PermissionsBoundaryPolicyInputList = []json.RawMessage{d} }},
		{"session-policy", *session, func(d json.RawMessage) { req.SessionPolicy = d }},
		{"resource-policy", *resourcePolicy, func(d json.RawMessage) { req.ResourcePolicy = d }},
	} {
		if f.path == "" {
			continue
		}
		doc, err := policyFile(f.name, f.path)
		if err != nil {
			return err
		}
		f.set(doc)
	}
	if len(scps) > 0 {
		if req.ServiceControlPolicies, err = levelFlags("scp", scps); err != nil {
			return err
		}
	}
	if len(rcps) > 0 {
		if req.ResourceControlPolicies, err = levelFlags("rcp", rcps); err != nil {
			return err
		}
	}
	raw, err := m.send(ctx, cf, http.MethodPost, "/_orgd/simulate", req)
	if err != nil {
		return err
	}
	if *output == "json" {
		fmt.Fprintln(m.Stdout, indented(raw))
		return nil
	}
	var out org.SimulationResult
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("decode the simulator's answer: %w", err)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tRESOURCE\tDECISION\tWHY\tMISSING CONTEXT")
	for _, r := range out.EvaluationResults {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.EvalActionName, r.EvalResourceName, r.EvalDecision,
			why(r), dash(strings.Join(r.MissingContextValues, ",")))
	}
	return tw.Flush()
}

// why sums up a result for the table: the statements that denied it, or how many
// statements of each policy type allowed it (the JSON output lists them all).
func why(r org.EvaluationResult) string {
	var denies []string
	allows := map[string]int{}
	for _, s := range r.MatchedStatements {
		if s.Effect == "Allow" {
			allows[s.SourcePolicyType]++
			continue
		}
		where := s.SourcePolicyId
		if s.TargetId != "" {
			where += "@" + s.TargetId
		}
		if s.Sid != "" {
			where += "#" + s.Sid
		}
		denies = append(denies, "Deny "+s.SourcePolicyType+" "+where)
	}
	if len(denies) > 0 {
		return strings.Join(denies, "; ")
	}
	var parts []string
	for _, typ := range slices.Sorted(maps.Keys(allows)) {
		parts = append(parts, fmt.Sprintf("%d %s", allows[typ], typ))
	}
	if len(parts) == 0 {
		return "no statement allows it"
	}
	return "allowed by " + strings.Join(parts, ", ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// changeFlag collects the impact command's changes in the order they are given.
type changeFlag struct {
	kind    string
	changes *[]org.ImpactChange
}

func (c changeFlag) String() string { return "" }

func (c changeFlag) Set(v string) error {
	left, right, ok := strings.Cut(v, "=")
	if !ok || left == "" || right == "" {
		return fmt.Errorf("want X=Y")
	}
	var ch org.ImpactChange
	switch c.kind {
	case "attach":
		a := &org.ImpactAttach{PolicyId: left, TargetId: right}
		// A file proposes a new policy, named after the file; anything else names one.
		if _, err := os.Stat(left); err == nil {
			doc, err := policyFile("attach", left)
			if err != nil {
				return err
			}
			name := strings.TrimSuffix(filepath.Base(left), filepath.Ext(left))
			a = &org.ImpactAttach{Content: doc, Name: name, TargetId: right}
		}
		ch.Attach = a
	case "detach":
		ch.Detach = &org.ImpactDetach{PolicyId: left, TargetId: right}
	case "update":
		doc, err := policyFile("update", right)
		if err != nil {
			return err
		}
		ch.Update = &org.ImpactUpdate{PolicyId: left, Content: doc}
	case "move":
		ch.Move = &org.ImpactMove{AccountId: left, DestinationParentId: right}
	}
	*c.changes = append(*c.changes, ch)
	return nil
}

func (m *Main) impact(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("impact", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	var changes []org.ImpactChange
	fs.Var(changeFlag{"attach", &changes}, "attach", "POLICY=TARGET: attach an SCP (its id, or a file proposing a new one) to a root, OU or account")
	fs.Var(changeFlag{"detach", &changes}, "detach", "POLICY=TARGET: detach an SCP from a root, OU or account")
	fs.Var(changeFlag{"update", &changes}, "update", "POLICY=FILE: replace an SCP's content")
	fs.Var(changeFlag{"move", &changes}, "move", "ACCOUNT=PARENT: move an account under another root or OU")
	var contexts, actions listFlag
	fs.Var(&contexts, "context", "a condition key fixed for every request: key=value[,value][:type] (repeatable)")
	fs.Var(&actions, "actions", "analyse only the actions matching this pattern, e.g. s3:* (repeatable; default: the whole catalogue)")
	organization := fs.String("organization", "", "the management account of the organization (default: the only one)")
	detail := fs.String("detail", "", "actions (full lists, the default) or summary (counts only)")
	input := fs.String("input", "", "a file holding the request as POST /_orgd/impact takes it; flags win, their changes come after its")
	output := fs.String("output", "json", "json or table")
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if err := checkOutput(*output); err != nil {
		return err
	}
	var req org.ImpactRequest
	if *input != "" {
		if err := readInput(*input, &req); err != nil {
			return err
		}
	}
	req.Changes = append(req.Changes, changes...)
	if *organization != "" {
		req.Organization = *organization
	}
	if *detail != "" {
		req.Detail = *detail
	}
	if len(actions) > 0 {
		req.Actions = actions
	}
	if len(contexts) > 0 {
		var err error
		if req.ContextEntries, err = parseContexts(contexts); err != nil {
			return err
		}
	}
	raw, err := m.send(ctx, cf, http.MethodPost, "/_orgd/impact", req)
	if err != nil {
		return err
	}
	if *output == "json" {
		fmt.Fprintln(m.Stdout, indented(raw))
		return nil
	}
	var out org.ImpactResult
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("decode the impact analysis: %w", err)
	}
	affected := 0
	for _, p := range out.OrganizationalUnits {
		affected += len(p.Accounts)
	}
	fmt.Fprintf(m.Stdout, "%s: %d of %d accounts affected; %d policy paths before, %d after; %d actions in %d classes (catalogue %s)\n",
		out.OrganizationId, affected, out.AccountsAnalysed, out.PolicyPaths.Before, out.PolicyPaths.After, out.ActionsEvaluated, out.ActionClasses, out.CatalogueVersion)
	effects := map[string]org.ImpactEffect{}
	for _, e := range out.Effects {
		effects[e.Id] = e
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OU PATH\tACCOUNT\tNAME\tDENIED\tALLOWED\tCONDITIONAL\tTOP SERVICES")
	for _, p := range out.OrganizationalUnits {
		for _, a := range p.Accounts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", p.Path, a.AccountId, a.Name, a.NewlyDenied, a.NewlyAllowed, a.NewlyConditional, topServices(effects[a.Effect], 3))
		}
	}
	return tw.Flush()
}

// topServices names the services with the most changed actions, most first.
func topServices(e org.ImpactEffect, n int) string {
	count := map[string]int{}
	for _, ch := range []org.ActionChange{e.NewlyDenied, e.NewlyAllowed, e.NewlyConditional} {
		for svc, c := range ch.ByService {
			count[svc] += c
		}
	}
	svcs := slices.SortedFunc(maps.Keys(count), func(a, b string) int {
		return cmp.Or(count[b]-count[a], strings.Compare(a, b))
	})
	var parts []string
	for _, s := range svcs[:min(n, len(svcs))] {
		parts = append(parts, fmt.Sprintf("%s %d", s, count[s]))
	}
	return dash(strings.Join(parts, ", "))
}
