package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// applicationID is what orgd writes into the header of its databases (migration 0014):
// "orgd" in ASCII.
const applicationID = 0x6f726764

// resolveFile returns the one name by which orgd opens the database file at path, having
// checked, before anything writes to it, that orgd may: the name a symlink points to, since
// SQLite keeps the journal (-wal, -shm) beside the name it opens, and a second name would
// keep a second journal and lose the writes in the first. For the same reason a file with
// another hard link is refused: no name is the file's own.
func resolveFile(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) {
		// A new database: SQLite creates it (and fails if the directory is missing).
		return abs, nil
	}
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", real)
	}
	if n := linkCount(fi); n > 1 {
		return "", fmt.Errorf("%s has %d hard links: SQLite keeps a database's journal beside the name it is opened by, so two names for one database lose writes; give orgd a file with one name", real, n)
	}
	if err := checkWritable(real); err != nil {
		return "", err
	}
	return real, nil
}

// checkFile fails, without writing to it, unless the existing file at path is an intact
// SQLite database that is orgd's or empty. It reads through a read-only connection that
// sets no pragma: the writer's would switch the file to WAL, which rewrites its header.
func checkFile(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Size() == 0 {
		return nil // SQLite takes an empty file for an empty database
	}
	if err != nil {
		return err
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath() + "?mode=ro&" +
		url.Values{"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS)}}.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check(1)`).Scan(&check); err != nil {
		return fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	if check != "ok" {
		return fmt.Errorf("%s is corrupt (SQLite's quick check: %s): restore it from a backup", path, check)
	}
	var appID int64
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return fmt.Errorf("%s: read application id: %w", path, err)
	}
	switch appID {
	case applicationID:
		return nil
	case 0:
	default:
		return fmt.Errorf("%s is another application's SQLite database (application id %#x), not orgd's", path, appID)
	}
	// Without the id: an orgd database from before migration 0014 has orgd's migration
	// table, with the applied_at column that tools of other names (Rails, golang-migrate)
	// lack; an empty database has no table at all.
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return fmt.Errorf("%s: read schema: %w", path, err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("%s: read schema: %w", path, err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: read schema: %w", path, err)
	}
	if len(tables) == 0 {
		return nil
	}
	var orgd int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'applied_at'`).Scan(&orgd); err != nil {
		return fmt.Errorf("%s: read schema: %w", path, err)
	}
	if orgd == 0 {
		if len(tables) > 5 {
			tables = append(tables[:5], "...")
		}
		return fmt.Errorf("%s is not an orgd database: it holds another application's tables (%s)", path, strings.Join(tables, ", "))
	}
	return nil
}
