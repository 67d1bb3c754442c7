package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/orgd/orgd/internal/postgres"
	"github.com/orgd/orgd/internal/sqlite"
)

// adminTokenFile is the file, beside the database, that holds a generated admin token.
const adminTokenFile = "admin-token"

// tokenDir is where serve writes a generated admin token: beside an SQLite database file, or
// in the data directory for a store that has no file.
func tokenDir(db, dataDir string) string {
	if db == sqlite.Memory || postgres.IsURL(db) {
		return dataDir
	}
	return filepath.Dir(db)
}

// newAdminToken returns 32 random bytes in hex.
func newAdminToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate admin token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writeAdminToken writes token to path readable by this user only. It replaces the file
// by renaming a new one over it, so a reader never sees half a token, and a file or link
// an attacker placed there is replaced rather than written through.
func writeAdminToken(path, token string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("admin token: create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, adminTokenFile+".*")
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	defer os.Remove(f.Name()) // after a successful rename, there is nothing left to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("admin token: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("admin token: write %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("admin token: write %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	return nil
}

// readAdminToken returns the token in dataDir's token file, or "" when there is none.
func readAdminToken(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, adminTokenFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
