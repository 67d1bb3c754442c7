//go:build !unix

package sqlite

import (
	"errors"
	"io"
	"os"
)

// lockFile is not available here: an Exclusive Store needs a Unix system.
func lockFile(string) (io.Closer, error) {
	return nil, errors.New("an exclusive database needs a Unix system")
}

// checkWritable leaves the question to SQLite, which fails the first write.
func checkWritable(string) error { return nil }

// linkCount is unknown here.
func linkCount(os.FileInfo) uint64 { return 1 }
