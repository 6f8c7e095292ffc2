package export

import (
	"errors"
	"fmt"
	"io"

	"gonix/internal/format/nar"
)

// narStream passes the raw bytes of one NAR through while nar.Reader
// checks its structure, so a caller can hash or restore the archive as it
// arrives and the stream's end is found exactly, without holding the
// archive in memory: the bytes nar.Reader consumes are recorded and handed
// out, at most a chunk of file contents (plus one header) at a time.
type narStream struct {
	nr      *nar.Reader
	rec     *recorder
	pending []byte
	inFile  bool
	done    bool
	err     error
	size    int64
	scratch []byte
	prefix  string // for error messages
}

// recorder is the nar.Reader's input: it appends every byte read to buf.
type recorder struct {
	src io.Reader
	buf []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

const scratchSize = 32 << 10

func newNarStream(src io.Reader, prefix string) *narStream {
	rec := &recorder{src: src, buf: make([]byte, 0, 512)}
	return &narStream{nr: nar.NewReader(rec), rec: rec, scratch: make([]byte, scratchSize), prefix: prefix}
}

// Read implements io.Reader: it returns the archive's bytes and io.EOF
// after its last byte, or the archive's first format error.
func (s *narStream) Read(p []byte) (int, error) {
	for len(s.pending) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.done {
			return 0, io.EOF
		}
		s.rec.buf = s.rec.buf[:0]
		s.step()
		s.pending = s.rec.buf
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	s.size += int64(n)
	return n, nil
}

// step advances the nar.Reader by one header or one chunk of contents.
func (s *narStream) step() {
	if s.inFile {
		if _, err := s.nr.Read(s.scratch); err != nil {
			if err == io.EOF {
				s.inFile = false
				return
			}
			s.err = s.narError(err)
		}
		return
	}
	h, err := s.nr.Next()
	switch {
	case err == io.EOF:
		s.done = true
	case err != nil:
		s.err = s.narError(err)
	case h.Type == nar.TypeRegular && h.Size > 0:
		s.inFile = true
	}
}

func (s *narStream) narError(err error) error {
	var fe *nar.FormatError
	if errors.As(err, &fe) {
		return &formatError{msg: fmt.Sprintf("%sNAR: %v", s.prefix, err), cause: err}
	}
	return fmt.Errorf("%sNAR: %w", s.prefix, err)
}

// drain reads what is left of the archive, checking it.
func (s *narStream) drain() error {
	s.size += int64(len(s.pending))
	s.pending = nil
	for !s.done && s.err == nil {
		s.rec.buf = s.rec.buf[:0]
		s.step()
		s.size += int64(len(s.rec.buf))
	}
	return s.err
}
