package bootstrap

import (
	"fmt"
	"os"
	"path/filepath"
)

// Source is a bootstrap file with the files its policies name, as the admin API takes it
// (POST /_orgd/bootstrap): the client reads them where the file is, the server parses them
// from here, so that "file:" means the same on either side.
type Source struct {
	Name    string            // the file's name, for errors
	Content string            // the file
	Files   map[string]string // the files its policies name, by the name written
}

// Parse parses the source; a "file:" it does not carry is an error.
func (s *Source) Parse() (*Spec, error) {
	return Parse(s.Name, []byte(s.Content), func(name string) ([]byte, error) {
		b, ok := s.Files[name]
		if !ok {
			return nil, fmt.Errorf("%s was not sent with the bootstrap file", name)
		}
		return []byte(b), nil
	})
}

// ReadSource reads the bootstrap file at path and the files its policies name, relative to
// its directory; it parses the file to find them, so a file that cannot be parsed is an
// error here already.
func ReadSource(path string) (*Source, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	src := &Source{Name: path, Content: string(b), Files: map[string]string{}}
	dir := filepath.Dir(path)
	_, err = Parse(path, b, func(name string) ([]byte, error) {
		full := name
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, name)
		}
		b, err := os.ReadFile(full)
		if err == nil {
			src.Files[name] = string(b)
		}
		return b, err
	})
	if err != nil {
		return nil, err
	}
	return src, nil
}

// Load reads and parses the bootstrap file at path.
func Load(path string) (*Spec, error) {
	src, err := ReadSource(path)
	if err != nil {
		return nil, err
	}
	return src.Parse()
}
