package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	orgmodel "github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/testenv"
)

const committedDir = "../../internal/model"

// TestCommittedCodeIsUpToDate runs the generator into a temporary directory and compares every
// file with the committed one, byte for byte.
func TestCommittedCodeIsUpToDate(t *testing.T) {
	_, version, err := findModel()
	testenv.Require(t, fmt.Sprintf("botocore's organizations model, to check internal/model against it (%v)", err), err == nil)
	committed, err := os.ReadFile(filepath.Join(committedDir, "types_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`from botocore (\S+) `).FindSubmatch(committed)
	if m == nil {
		t.Fatal("internal/model/types_gen.go does not name the botocore it was generated from")
	}
	// Another botocore may hold another model: the comparison would fail for no fault of
	// the code. Locally that is a skip (regenerate, or install the version); CI must have it.
	testenv.Require(t, fmt.Sprintf("botocore %s, from which internal/model was generated (installed: %s; "+
		"or run `go generate ./internal/model` to regenerate from the installed one)", m[1], version), string(m[1]) == version)
	out := t.TempDir()
	if err := run([]string{"-out", out}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("generator wrote no files")
	}
	generated := map[string]bool{}
	for _, e := range entries {
		generated[e.Name()] = true
		want, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(committedDir, e.Name()))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./internal/model)", e.Name(), err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("internal/model/%s differs from the generator's output; run go generate ./internal/model", e.Name())
		}
	}
	// No stale generated file may linger next to the fresh ones.
	committedFiles, _ := filepath.Glob(filepath.Join(committedDir, "*_gen.go"))
	for _, f := range committedFiles {
		if !generated[filepath.Base(f)] {
			t.Errorf("internal/model/%s is not produced by the generator any more", filepath.Base(f))
		}
	}
}

// TestNoDocumentation checks that no documentation string of the model reaches the output
// but the error texts of message_gen.go, and those without markup.
func TestNoDocumentation(t *testing.T) {
	modelPath, version, err := findModel()
	testenv.Require(t, fmt.Sprintf("botocore's organizations model (%v)", err), err == nil)
	files, err := generateFromFile(modelPath, version)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		phrases := []string{"<p>", "Amazon Web Services", "organization's"}
		if f.name == "message_gen.go" {
			phrases = []string{"<", "&quot;", "&amp;", "\u200b", `" `, ` ",`}
		}
		for _, phrase := range phrases {
			if bytes.Contains(f.data, []byte(phrase)) {
				t.Errorf("%s contains %q", f.name, phrase)
			}
		}
	}
}

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"INVITE":                        "Invite",
		"SERVICE_CONTROL_POLICY":        "ServiceControlPolicy",
		"ACCOUNT_NUMBER_LIMIT_EXCEEDED": "AccountNumberLimitExceeded",
		"DECLARATIVE_POLICY_EC2":        "DeclarativePolicyEc2",
		"ALL":                           "All",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnchor(t *testing.T) {
	for _, c := range []struct {
		pattern, in string
		match       bool
	}{
		{`^(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`, "123456789012", true},
		{`^(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`, "123456789012xyz", false},
		{`^(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`, "xou-abcd-12345678", false},
		{`[\u0020-\u007E]+`, "Hello World", true},
		{`[\u0020-\u007E]+`, "tab\there", false},
		{`[\s\S]*`, "", true},
	} {
		re := regexp.MustCompile(anchor(c.pattern))
		if got := re.MatchString(c.in); got != c.match {
			t.Errorf("%s on %q = %v, want %v", anchor(c.pattern), c.in, got, c.match)
		}
	}
}

// TestRejectsUnknownTraits makes sure a model with a trait the generator does not understand
// fails instead of producing subtly wrong code.
func TestRejectsUnknownTraits(t *testing.T) {
	model := `{"metadata":{"protocol":"json","targetPrefix":"X","endpointPrefix":"x","apiVersion":"1"},
	"operations":{},"shapes":{"S":{"type":"structure","members":{"A":{"shape":"T","locationName":"a"}}},"T":{"type":"string"}}}`
	_, err := generate([]byte(model), "")
	if err == nil || !strings.Contains(err.Error(), "locationName") {
		t.Fatalf("err = %v, want an error naming locationName", err)
	}
}

// TestReasonSentences checks the extraction of the Reasons' sentences on the model's odd
// cases: markup inside the sentence, a nested list of cases, a sentence with full stops in
// it, a zero-width space.
func TestReasonSentences(t *testing.T) {
	doc := `<p>Intro.</p> <ul> <li> <p>INVALID_ROLE_NAME: You provided a role name that isn't valid. A role name can't begin with <code>AWSServiceRoleFor</code>.</p> </li> ` +
		`<li> <p>SERVICE_ACCESS_NOT_ENABLED:</p> <ul> <li> <p>You attempted to register a delegated administrator before you enabled service access. Call the <code>EnableAWSServiceAccess</code> API first.</p> </li> ` +
		`<li> <p>You attempted to enable a policy type before you enabled service access.</p> </li> </ul> </li> ` +
		`<li> <p>END_DATE_NOT_END_OF_MONTH: The end date must be the end of the month (23.59.59.999).</p> </li> ` +
		`<li> <p>CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED: You attempted to exceed the number of accounts that you can close at a time. ​ </p> </li> ` +
		`<li> <p>INVALID_PAGINATION_TOKEN: Get the value for the <code>NextToken</code> parameter from the response.</p> </li> </ul> <p>After.</p> <ul> <li><p>NOT_A_REASON: x.</p></li> </ul>`
	got := reasons(doc)
	want := []reasonItem{
		{"INVALID_ROLE_NAME", []string{"You provided a role name that isn't valid."}},
		{"SERVICE_ACCESS_NOT_ENABLED", []string{"You attempted to register a delegated administrator before you enabled service access.",
			"You attempted to enable a policy type before you enabled service access."}},
		{"END_DATE_NOT_END_OF_MONTH", []string{"The end date must be the end of the month (23.59.59.999)."}},
		{"CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED", []string{"You attempted to exceed the number of accounts that you can close at a time."}},
		{"INVALID_NEXT_TOKEN", []string{"Get the value for the NextToken parameter from the response."}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d reasons %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].reason != want[i].reason || !slices.Equal(got[i].sentences, want[i].sentences) {
			t.Errorf("reason %d = %q %q, want %q %q", i, got[i].reason, got[i].sentences, want[i].reason, want[i].sentences)
		}
	}
	if got := firstSentence(plainText(`<p> We can't find a root with the <code>RootId</code> that you specified.</p> <p>More.</p>`)); got != "We can't find a root with the RootId that you specified." {
		t.Errorf("exception sentence = %q", got)
	}
}

// TestEveryReasonHasAText checks, on the installed model, that the catalogue answers a text
// for every exception each operation lists and for every Reason of those exceptions.
func TestEveryReasonHasAText(t *testing.T) {
	modelPath, _, err := findModel()
	testenv.Require(t, fmt.Sprintf("botocore's organizations model (%v)", err), err == nil)
	files, err := generateFromFile(modelPath, "")
	if err != nil || len(files) == 0 {
		t.Fatal(err)
	}
	raw, err := readModel(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseModel(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range m.ops {
		for _, code := range op.errors {
			reasons := []string{""}
			for _, mem := range m.byName[code].members {
				if mem.name == "Reason" {
					reasons = append(reasons, m.byName[mem.shape].enum...)
				}
			}
			for _, r := range reasons {
				if orgmodel.Message(op.name, code, r) == "" {
					t.Errorf("%s %s %s: no text", op.name, code, r)
				}
			}
		}
	}
}
