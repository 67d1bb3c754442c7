//go:build !unix

package sqlite

import (
	"errors"
	"io"
)

// lockFile is not available here: an Exclusive Store needs a Unix system.
func lockFile(string) (io.Closer, error) {
	return nil, errors.New("an exclusive database needs a Unix system")
}
