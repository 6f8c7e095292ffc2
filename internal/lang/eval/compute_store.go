package eval

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/storepath"
)

// ComputeStore computes store paths without writing anything, like Nix's
// dummy:// store and --readonly-mode: it is what pure `--eval` needs.
type ComputeStore struct {
	dir  string
	text map[string]string // .drv and toFile contents produced in this run
}

// NewComputeStore returns a store for the logical store directory dir.
func NewComputeStore(dir string) *ComputeStore {
	return &ComputeStore{dir: dir, text: make(map[string]string)}
}

func (s *ComputeStore) StoreDir() string { return s.dir }

func (s *ComputeStore) IsInStore(p string) bool { return isInStoreDir(s.dir, p) }

func (s *ComputeStore) AddSourcePath(path, name string, recursive bool, filter func(path, typ string) bool) (string, error) {
	if _, err := os.Lstat(path); err != nil {
		return "", fmt.Errorf("getting status of '%s': %s", path, errnoText(err))
	}
	if !recursive {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("opening file '%s': %s", path, errnoText(err))
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return "", fmt.Errorf("reading file '%s': %w", path, err)
		}
		return storepath.MakeFixedOutputPath(s.dir, name, false, hash.Hash{Algo: hash.SHA256, Digest: h.Sum(nil)}, nil)
	}
	var nf nar.Filter
	if filter != nil {
		nf = func(p string, typ nar.Type) bool { return filter(p, string(typ)) }
	}
	digest, _, err := nar.HashPath(path, nf)
	if err != nil {
		return "", err
	}
	return storepath.MakeSourcePath(s.dir, name, digest, nil, false)
}

func (s *ComputeStore) AddText(name, text string, refs []string) (string, error) {
	h := sha256.Sum256([]byte(text))
	p, err := storepath.MakeTextPath(s.dir, name, h[:], refs)
	if err != nil {
		return "", err
	}
	s.text[p] = text
	return p, nil
}

func (s *ComputeStore) ReadDerivation(drvPath string) ([]byte, error) {
	if t, ok := s.text[drvPath]; ok {
		return []byte(t), nil
	}
	if data, err := os.ReadFile(drvPath); err == nil {
		return data, nil
	}
	return nil, fmt.Errorf("path '%s' is not valid", drvPath)
}
