package bootstrap

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/model"
)

func noFiles(name string) ([]byte, error) { return nil, os.ErrNotExist }

// The example landing zone parses into the tree, accounts and policies it documents.
func TestParseTheExampleLandingZone(t *testing.T) {
	spec, err := Load("../../examples/landing-zone.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Management.ID != "123456789012" || spec.FeatureSet != "ALL" || spec.Partition != "aws" {
		t.Errorf("management %+v, feature set %s, partition %s", spec.Management, spec.FeatureSet, spec.Partition)
	}
	var paths []string
	var walk func([]*OU)
	walk = func(ous []*OU) {
		for _, u := range ous {
			paths = append(paths, u.Path)
			walk(u.OUs)
		}
	}
	walk(spec.OUs)
	if got := strings.Join(paths, " "); got != "Security Infrastructure Workloads Workloads/Prod Workloads/Dev Sandbox Suspended" {
		t.Errorf("OU paths %s", got)
	}
	parents := map[string]string{}
	for _, a := range spec.Accounts {
		parents[a.ID] = a.Parent + "/" + a.Joined
	}
	if parents["444444444444"] != "Workloads/Prod/created" || parents["666666666666"] != "Sandbox/invited" || len(parents) != 6 {
		t.Errorf("accounts %v", parents)
	}
	if len(spec.Policies) != 3 || !strings.Contains(spec.Policies[1].Content, `"NotAction":["iam:*"`) {
		t.Errorf("policies %d; the region SCP written in YAML became %s", len(spec.Policies), spec.Policies[1].Content)
	}
	if len(spec.Standalone) != 1 || len(spec.Delegated) != 1 || spec.Delegated[0].Line == 0 {
		t.Errorf("standalone %v, delegated %v", spec.Standalone, spec.Delegated)
	}
}

// JSON is YAML: the same keys, with lines.
func TestParseJSON(t *testing.T) {
	spec, err := Parse("lz.json", []byte(`{
  "management": {"id": "123456789012", "email": "m@example.com", "name": "M"},
  "organizationalUnits": [
    {"name": "Prod", "accounts": [{"id": "012345678901", "email": "p@example.com", "name": "P", "tags": {"env": "prod"}}]}
  ]
}`), noFiles)
	if err != nil {
		t.Fatal(err)
	}
	a := spec.Accounts[0]
	if a.ID != "012345678901" || a.Parent != "Prod" || a.Line != 4 || *a.Tags[0].Value != "prod" {
		t.Errorf("account %+v at line %d", a, a.Line)
	}
}

// A policy's file is read relative to the bootstrap file, and its errors name the line.
func TestParsePolicyFromFile(t *testing.T) {
	read := func(name string) ([]byte, error) {
		if name == "scp/deny.json" {
			return []byte(`{"Version":"2012-10-17"}`), nil
		}
		return nil, os.ErrNotExist
	}
	doc := "management: {id: \"123456789012\", email: m@example.com, name: M}\npolicies:\n  - {name: D, type: SERVICE_CONTROL_POLICY, file: scp/deny.json}\n  - {name: E, type: SERVICE_CONTROL_POLICY, file: scp/none.json}\n"
	_, err := Parse("b.yaml", []byte(doc), read)
	if err == nil || !strings.HasPrefix(err.Error(), "b.yaml:4: policy E: file: ") {
		t.Fatalf("err = %v", err)
	}
	spec, err := Parse("b.yaml", []byte(strings.Split(doc, "  - {name: E")[0]), read)
	if err != nil || spec.Policies[0].Content != `{"Version":"2012-10-17"}` {
		t.Fatalf("%v, %+v", err, spec)
	}
}

// Every mistake the file itself holds is an error naming its line, before anything is applied.
func TestParseErrorsNameTheLine(t *testing.T) {
	const mgmt = "management: {id: \"123456789012\", email: m@example.com, name: M}\n"
	for _, tc := range []struct {
		name, doc, want, code string
	}{
		{"unknown top-level key", mgmt + "featureset: ALL\n", `b.yaml:2: bootstrap file: unknown key "featureset"`, ""},
		{"unknown account key", mgmt + "accounts:\n  - id: \"111111111111\"\n    email: a@example.com\n    name: A\n    emial: x\n", `b.yaml:6: account: unknown key "emial"`, ""},
		{"unknown OU key", mgmt + "organizationalUnits:\n  - name: A\n    children: []\n", `b.yaml:4: organizational unit: unknown key "children"`, ""},
		{"key given twice", mgmt + "featureSet: ALL\nfeatureSet: ALL\n", `b.yaml:3: bootstrap file: key "featureSet" given twice`, ""},
		{"no management", "featureSet: ALL\n", "b.yaml:1: bootstrap file: management is required", ""},
		{"id not 12 digits", "management: {id: 12345, email: m@example.com, name: M}\n", `b.yaml:1: management account: id "12345" is not 12 digits`, ""},
		{"missing e-mail", mgmt + "standaloneAccounts:\n  - {id: \"111111111111\", name: A}\n", "b.yaml:3: standalone account 111111111111: email is required", ""},
		{"a list wanted", mgmt + "enabledServices: sso.amazonaws.com\n", "b.yaml:2: enabledServices: enabledServices: want a list", ""},
		{"joined", mgmt + "accounts:\n  - {id: \"111111111111\", email: a@example.com, name: A, joined: adopted}\n", `b.yaml:3: account 111111111111: joined must be created or invited, not "adopted"`, ""},
		{"content and file", mgmt + "policies:\n  - {name: P, type: TAG_POLICY, content: '{}', file: p.json}\n", "b.yaml:3: policy P: give the policy's content or the file", ""},
		{"OU name with a slash", mgmt + "organizationalUnits:\n  - name: A/B\n", `b.yaml:3: organizational unit: name "A/B" holds a /`, ""},
		{"attachment to an unknown OU", mgmt + "organizationalUnits:\n  - name: Workloads\npolicies:\n  - name: P\n    type: SERVICE_CONTROL_POLICY\n    content: '{}'\n    attachments: [/, Workloads, Workloads/Staging]\n",
			"b.yaml:8: policy P attached to Workloads/Staging: TargetNotFoundException: ", model.CodeTargetNotFoundException},
		{"attachment to an account not in the file", mgmt + "policies:\n  - name: P\n    type: SERVICE_CONTROL_POLICY\n    content: '{}'\n    attachments:\n      - \"111111111111\"\n",
			"b.yaml:7: policy P attached to 111111111111: TargetNotFoundException: ", model.CodeTargetNotFoundException},
		{"parent not in the tree", mgmt + "accounts:\n  - {id: \"111111111111\", email: a@example.com, name: A, parent: Prod}\n", "b.yaml:3: account 111111111111: ParentNotFoundException: ", model.CodeParentNotFoundException},
		{"member id taken by the management account", mgmt + "organizationalUnits:\n  - name: Prod\n    accounts:\n      - {id: \"123456789012\", email: a@example.com, name: A}\n",
			"b.yaml:5: account 123456789012: DuplicateAccountException: ", model.CodeDuplicateAccountException},
		{"member id taken by a standalone account", mgmt + "accounts:\n  - {id: \"111111111111\", email: a@example.com, name: A}\nstandaloneAccounts:\n  - {id: \"111111111111\", email: b@example.com, name: B}\n",
			"b.yaml:5: account 111111111111: DuplicateAccountException: ", model.CodeDuplicateAccountException},
		{"YAML syntax", mgmt + "policies: [\n", "b.yaml:2: did not find expected node content", ""},
		{"two documents", mgmt + "---\n" + mgmt, "b.yaml:2: a second document", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("b.yaml", []byte(tc.doc), noFiles)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to begin %q", err, tc.want)
			}
			var me *model.Error
			if tc.code != "" && (!errors.As(err, &me) || me.Code != tc.code) {
				t.Errorf("err = %v, want the rule %s", err, tc.code)
			}
		})
	}
}
