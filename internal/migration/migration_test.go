package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_more.sql": {Data: []byte("CREATE TABLE b (x INT);")},
		"m/0001_init.sql": {Data: []byte("CREATE TABLE a (x INT);")},
	}
	ms, err := Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 1 || ms[1].Name != "0002_more.sql" || !strings.Contains(ms[1].SQL, "TABLE b") {
		t.Errorf("Load = %+v", ms)
	}
	for name, bad := range map[string]fstest.MapFS{
		"a gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"no version":  {"m/init.sql": {}},
		"not sql":     {"m/0001_a.txt": {}},
		"version 0":   {"m/0000_a.sql": {}},
		"twice the 1": {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
	} {
		if _, err := Load(bad, "m"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
