//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile takes an exclusive advisory lock (flock) on the database file itself, held until
// the returned Closer closes it; the system drops it when the process dies, so a killed orgd
// leaves no stale lock behind. The lock is on the file, not a name: a symlink or another
// hard link to the same file meets the same lock. SQLite's own locks are POSIX record locks,
// which flock does not touch.
//
// The descriptor must stay open as long as SQLite uses the file: closing any descriptor of
// a file drops every POSIX lock the process holds on it, SQLite's included. Close runs after
// the connections have closed.
func lockFile(path string) (io.Closer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the database is in use by another orgd (%s is locked)", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// checkWritable fails unless this process may write the database file and create its
// journal (-wal, -shm) beside it. It asks the system (access(2)) rather than trying, so
// that it changes nothing.
func checkWritable(path string) error {
	if err := syscall.Access(path, 2 /* W_OK */); err != nil {
		return fmt.Errorf("orgd cannot write the database file %s: %w", path, err)
	}
	if dir := filepath.Dir(path); syscall.Access(dir, 2) != nil {
		return fmt.Errorf("orgd cannot write the directory %s, where SQLite keeps the database's journal (-wal, -shm)", dir)
	}
	return nil
}

// linkCount is the number of hard links to the file.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
