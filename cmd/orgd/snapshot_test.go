package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// TestExportImportCommands: orgd export --out writes the running server's state; orgd import
// refuses a server that holds state, and with --db restores the file into a database no server
// runs on, which a server then serves and exports to the same bytes.
func TestExportImportCommands(t *testing.T) {
	dir := t.TempDir()
	url := startOrgd(t, "--db", filepath.Join(dir, "a.db"), "--data-dir", dir)
	c := client(url, "111111111111")
	if _, err := c.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateOrganizationalUnit(t.Context(), &organizations.CreateOrganizationalUnitInput{
		ParentId: rootOf(t, c), Name: aws.String("Sandbox")}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "state.json")
	run(t, url, "export", "--out", file)
	saved, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(saved, []byte(`"name": "Sandbox"`)) || !bytes.HasSuffix(saved, []byte("}\n")) {
		t.Fatalf("export wrote:\n%s", saved)
	}

	m := NewMain()
	var out bytes.Buffer
	m.Stdout, m.Stderr = &out, &out
	err = m.Run(t.Context(), []string{"import", "--endpoint", url, file})
	if err == nil || !strings.Contains(err.Error(), "the store is not empty: it holds organization o-") {
		t.Fatalf("import into a server with state: %v", err)
	}

	db := filepath.Join(dir, "b.db")
	if got := run(t, url, "import", "--db", db, file); !strings.Contains(got, "imported 1 organizations and 1 accounts") {
		t.Errorf("import --db printed %q", got)
	}
	restored := startOrgd(t, "--db", db, "--data-dir", dir)
	if got := run(t, restored, "export"); got != string(saved) {
		t.Errorf("export of the restored database:\n%s\nwant:\n%s", got, saved)
	}
}
