package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// snapshot is a file's bytes and modification time, which a refused start must not change.
type snapshot struct {
	data  []byte
	mtime time.Time
}

func snap(t *testing.T, path string) snapshot {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{data, fi.ModTime()}
}

func (s snapshot) requireSame(t *testing.T, path string) {
	t.Helper()
	now := snap(t, path)
	if !bytes.Equal(now.data, s.data) || !now.mtime.Equal(s.mtime) {
		t.Errorf("%s changed: %d bytes (was %d), mtime %v (was %v)", path, len(now.data), len(s.data), now.mtime, s.mtime)
	}
	for _, suffix := range []string{"-wal", "-journal"} {
		if fi, err := os.Stat(path + suffix); err == nil && fi.Size() > 0 {
			t.Errorf("%s%s was written", path, suffix)
		}
	}
}

// orgdDB creates an orgd database at path and closes it.
func orgdDB(t *testing.T, path string) {
	t.Helper()
	s := openFile(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// rawDB runs statements on path through a plain SQLite connection, as another
// application would.
func rawDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func requireRefused(t *testing.T, path string, opts Options, want string) {
	t.Helper()
	s, err := Open(context.Background(), path, opts)
	if err == nil {
		s.Close()
		t.Fatalf("Open(%s) succeeded, want an error saying %q", path, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("Open(%s): %v, want an error saying %q", path, err, want)
	}
}

// TestLockFollowsTheFile: a second Exclusive Store cannot reach a database held by one
// through a symlink, and a hard-linked database is refused by either name: a second name
// would keep a journal of its own and lose the first one's writes.
func TestLockFollowsTheFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "orgd.db")
	s, err := Open(context.Background(), db, Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(db, link); err != nil {
		t.Fatal(err)
	}
	requireRefused(t, link, Options{Exclusive: true}, "in use by another orgd")
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(db, hard); err != nil {
		t.Fatal(err)
	}
	requireRefused(t, hard, Options{Exclusive: true}, "hard links")
	requireRefused(t, hard, Options{}, "hard links")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := snap(t, db)
	requireRefused(t, db, Options{Exclusive: true}, "hard links")
	requireRefused(t, link, Options{Exclusive: true}, "hard links")
	before.requireSame(t, db)

	// With one name again, the symlink opens the file under its own name: its journal is
	// the file's.
	if err := os.Remove(hard); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), link, Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(db + "-wal"); err != nil {
		t.Errorf("opened through the symlink, the journal is not beside the file: %v", err)
	}
	if _, err := os.Lstat(link + "-wal"); err == nil {
		t.Error("opened through the symlink, a journal appeared beside the link")
	}
	requireRefused(t, db, Options{Exclusive: true}, "in use by another orgd")
}

// TestOpenRefusesCorruptDatabase: a database SQLite's quick check finds damaged is refused
// before anything writes to it.
func TestOpenRefusesCorruptDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "orgd.db")
	orgdDB(t, db)
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite the pages after the first (the schema page) with garbage: the tables'
	// b-trees are then no b-trees.
	for i := 4096; i < len(data); i++ {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(db, data, 0o644); err != nil {
		t.Fatal(err)
	}
	before := snap(t, db)
	for _, opts := range []Options{{Exclusive: true}, {}} {
		s, err := Open(context.Background(), db, opts)
		if err == nil {
			s.Close()
			t.Fatal("a corrupt database opened")
		}
		if !strings.Contains(err.Error(), "corrupt") && !strings.Contains(err.Error(), "not a readable SQLite database") {
			t.Errorf("error %v does not say the database is damaged", err)
		}
	}
	before.requireSame(t, db)

	// Not SQLite at all.
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	before = snap(t, junk)
	requireRefused(t, junk, Options{Exclusive: true}, "not a readable SQLite database")
	before.requireSame(t, junk)
}

// TestOpenRefusesAnotherApplicationsDatabase: an SQLite file with tables that are not orgd's,
// or another application's id, is refused unchanged; orgd's own, with or without the id,
// opens, and an empty file becomes orgd's.
func TestOpenRefusesAnotherApplicationsDatabase(t *testing.T) {
	for name, stmts := range map[string][]string{
		"tables of its own":        {`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)`, `INSERT INTO users VALUES (1, 'x')`},
		"Rails' schema_migrations": {`CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY)`, `CREATE TABLE accounts (id INTEGER)`},
		"an application id":        {`PRAGMA application_id = 42`},
	} {
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "app.db")
			rawDB(t, db, stmts...)
			before := snap(t, db)
			for _, opts := range []Options{{Exclusive: true}, {}} {
				requireRefused(t, db, opts, "application")
			}
			before.requireSame(t, db)
		})
	}

	// orgd's database carries its id; one from before the id still opens, and gets it.
	db := filepath.Join(t.TempDir(), "orgd.db")
	orgdDB(t, db)
	appID := func() int64 {
		var id int64
		db, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRow(`PRAGMA application_id`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	if id := appID(); id != applicationID {
		t.Errorf("application id %#x, want %#x", id, applicationID)
	}
	// A database from before 0014 has none of the migrations since either (0015's and 0016's
	// columns, 0017's index).
	rawDB(t, db, `PRAGMA application_id = 0`, `DELETE FROM schema_migrations WHERE version >= 14`,
		`DROP INDEX handshakes_open_expiry`, `DROP INDEX outbox_due`, `ALTER TABLE outbox DROP COLUMN state`, `ALTER TABLE outbox DROP COLUMN attempts`,
		`ALTER TABLE outbox DROP COLUMN next_attempt_at`, `ALTER TABLE outbox DROP COLUMN last_answer`,
		`ALTER TABLE roles DROP COLUMN policies`, `ALTER TABLE roles DROP COLUMN boundary`, `ALTER TABLE roles DROP COLUMN tags`,
		`ALTER TABLE sessions DROP COLUMN session_policy`, `ALTER TABLE sessions DROP COLUMN session_tags`,
		`ALTER TABLE organizations DROP COLUMN scp_version`)
	orgdDB(t, db)
	if id := appID(); id != applicationID {
		t.Errorf("an older orgd database: application id %#x after opening, want %#x", id, applicationID)
	}

	// An empty file is an empty database.
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	orgdDB(t, empty)
}

// TestOpenRefusesReadOnlyDatabase: a file or directory orgd cannot write is refused
// unchanged, before SQLite fails a first write.
func TestOpenRefusesReadOnlyDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "orgd.db")
	orgdDB(t, db)
	undo := readOnly(t, db, 0o444)
	before := snap(t, db)
	requireRefused(t, db, Options{Exclusive: true}, "cannot write the database file")
	before.requireSame(t, db)
	undo()
	undo = readOnly(t, dir, 0o555)
	defer undo()
	before = snap(t, db)
	requireRefused(t, db, Options{Exclusive: true}, "cannot write the directory")
	before.requireSame(t, db)
}

// readOnly makes path unwritable and returns what undoes it. A mode does that for other
// users; root may write whatever the mode says, so as root (CI runs as root) it sets the
// file system's immutable attribute instead, which binds root too.
func readOnly(t *testing.T, path string, mode os.FileMode) (undo func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return func() { os.Chmod(path, info.Mode().Perm()) }
	}
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: running as root, and chattr +i (which binds root) failed: %v %s", err, out)
	}
	var once sync.Once
	undo = func() {
		once.Do(func() {
			if out, err := exec.Command("chattr", "-i", path).CombinedOutput(); err != nil {
				t.Errorf("chattr -i %s: %v %s", path, err, out)
			}
		})
	}
	t.Cleanup(undo)
	return undo
}
