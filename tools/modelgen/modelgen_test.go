package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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

// TestNoDocumentation checks that no documentation string of the model reaches the output.
func TestNoDocumentation(t *testing.T) {
	modelPath, version, err := findModel()
	testenv.Require(t, fmt.Sprintf("botocore's organizations model (%v)", err), err == nil)
	files, err := generateFromFile(modelPath, version)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, phrase := range []string{"<p>", "Amazon Web Services", "organization's"} {
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
