package org

import (
	"testing"

	"github.com/orgd/orgd/internal/catalog"
	"github.com/orgd/orgd/internal/policy"
)

// TestActionClassesDecideAsEachAction: the impact analysis evaluates one action per class
// (actions matched by the same statements); every member of a class must get the decision
// the evaluator gives it on its own, over the whole catalogue, with Action and NotAction
// patterns using * and ? in any case.
func TestActionClassesDecideAsEachAction(t *testing.T) {
	docs := map[string]string{
		"p-full": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"p-some": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["EC2:Describe*","s3:*","iam:?etRole","organizations:List*"],"Resource":"*"},
			{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`,
		"p-region": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","organizations:*","sts:*"],"Resource":"*",
			"Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`,
	}
	parsed := map[string]*impactDoc{}
	for id, doc := range docs {
		d, err := newImpactDoc(id, doc)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		parsed[id] = d
	}
	actions := catalog.Actions()
	reps, members := actionClasses(actions, parsed)
	if len(reps) < 5 || len(reps) > 100 {
		t.Fatalf("%d classes for %d actions", len(reps), len(actions))
	}
	admin, err := policy.Parse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	if err != nil {
		t.Fatal(err)
	}
	in := &policy.Input{Identity: []*policy.Policy{admin}, SCPs: []policy.Level{
		{Target: "r-ab12", Policies: []*policy.Policy{parsed["p-full"].parsed}},
		{Target: "ou-ab12-11111111", Policies: []*policy.Policy{parsed["p-some"].parsed, parsed["p-region"].parsed}},
		{Target: "222222222222", Policies: []*policy.Policy{parsed["p-full"].parsed}},
	}}
	req := policy.Request{Resource: "*", PrincipalARN: "arn:aws:iam::222222222222:root", PrincipalAccount: "222222222222", Context: policy.NewContext()}
	decisions := map[policy.Decision]int{}
	n := 0
	for c, rep := range reps {
		req.Action = rep
		want := policy.Evaluate(&req, in, policy.Options{Unknown: true}).Decision
		for _, a := range members[c] {
			n++
			req.Action = a
			if got := policy.Evaluate(&req, in, policy.Options{Unknown: true}).Decision; got != want {
				t.Errorf("%s decides %s, its class's %s %s", a, got, rep, want)
			}
			decisions[want]++
		}
	}
	if n != len(actions) {
		t.Errorf("the classes hold %d actions, the catalogue %d", n, len(actions))
	}
	// The policies tell allowed, denied and conditional actions apart.
	if decisions[policy.Allowed] == 0 || decisions[policy.ExplicitDeny] == 0 || decisions[policy.ImplicitDeny] == 0 || decisions[policy.Conditional] == 0 {
		t.Errorf("decisions %v: want each kind", decisions)
	}
}
