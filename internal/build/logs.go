package build

import (
	"bytes"
	"compress/bzip2"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gonix/internal/store"
)

// Build logs (spec/store.md §10.9) live under <logDir>/drvs/<first two
// characters of the .drv's base name>/<the rest>. Nix 2.8 writes them
// bzip2-compressed with a .bz2 suffix (compress-build-log, the default);
// the Go standard library can only read bzip2, so gonix writes the log
// uncompressed, without the suffix. Nix's reader (LocalFSStore::getBuildLog)
// tries the plain name before the .bz2 one, so `nix-store -l` of either
// program reads logs written by the other.

// ErrNoBuildLog is wrapped when a path has no stored build log.
var ErrNoBuildLog = errors.New("build log not available")

// LogDir is the real log directory of a store: /nix/var/log/nix, or
// <root>/nix/var/log/nix for a chroot store at root.
func LogDir(root string) string {
	if root == "" {
		return "/nix/var/log/nix"
	}
	return filepath.Join(root, "nix/var/log/nix")
}

// logPath is where the log of drvPath goes (without a suffix).
func logPath(logDir, drvPath string) (string, error) {
	base := filepath.Base(drvPath)
	if len(base) < 3 {
		return "", fmt.Errorf("build log of '%s': not a store path", drvPath)
	}
	return filepath.Join(logDir, "drvs", base[:2], base[2:]), nil
}

// LogFile is a build log being written.
type LogFile struct {
	f    *os.File
	Path string
	// With StartLog: closed when f (or err) is set.
	ready chan struct{}
	err   error
}

// StartLog is OpenLog in the background: creating the log's directory and
// file (new inodes, slow on some file systems) is not on the way to
// starting the builder. Writes wait until the file exists and are dropped
// if it could not be created, as with no log; Close waits too and returns
// why it could not.
func StartLog(logDir, drvPath string) *LogFile {
	l := &LogFile{ready: make(chan struct{})}
	go func() {
		defer close(l.ready)
		lf, err := OpenLog(logDir, drvPath)
		if err != nil {
			l.err = err
			return
		}
		l.f, l.Path = lf.f, lf.Path
	}()
	return l
}

func (l *LogFile) wait() {
	if l.ready != nil {
		<-l.ready
	}
}

// OpenLog creates (or truncates) the build log of drvPath in logDir.
func OpenLog(logDir, drvPath string) (*LogFile, error) {
	p, err := logPath(logDir, drvPath)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, fmt.Errorf("creating log file '%s': %w", p, err)
	}
	return &LogFile{f: f, Path: p}, nil
}

// Write appends raw builder output to the log.
func (l *LogFile) Write(p []byte) (int, error) {
	l.wait()
	if l.f == nil {
		return len(p), nil
	}
	return l.f.Write(p)
}

// Close finishes the log.
func (l *LogFile) Close() error {
	l.wait()
	if l.f == nil {
		return l.err
	}
	return l.f.Close()
}

// ReadLog returns the stored build log of path, a .drv or an output (then
// the log of its deriver), as Nix's getBuildLog: for the current layout
// (drvs/xx/rest) and then the old one (drvs/<base>), the plain file is
// preferred to the .bz2 one. s may be nil when path is a .drv.
func ReadLog(ctx context.Context, s store.Store, logDir, path string) ([]byte, error) {
	drvPath := path
	if !strings.HasSuffix(path, ".drv") {
		if s == nil {
			return nil, fmt.Errorf("build log of '%s': %w", path, ErrNoBuildLog)
		}
		info, err := s.QueryPathInfo(ctx, path)
		if errors.Is(err, store.ErrNotValid) {
			return nil, fmt.Errorf("build log of '%s': %w", path, ErrNoBuildLog)
		} else if err != nil {
			return nil, err
		}
		if info.Deriver == "" {
			return nil, fmt.Errorf("build log of '%s': %w", path, ErrNoBuildLog)
		}
		drvPath = info.Deriver
	}
	cur, err := logPath(logDir, drvPath)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{cur, filepath.Join(logDir, "drvs", filepath.Base(drvPath))} {
		b, err := os.ReadFile(p)
		if err == nil {
			return b, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading build log '%s': %w", p, err)
		}
		bz, err := os.ReadFile(p + ".bz2")
		if err == nil {
			if b, err := io.ReadAll(bzip2.NewReader(bytes.NewReader(bz))); err == nil {
				return b, nil
			}
			// Nix ignores a damaged compressed log and looks further.
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading build log '%s': %w", p+".bz2", err)
		}
	}
	return nil, fmt.Errorf("build log of '%s': %w", path, ErrNoBuildLog)
}

// LogTail is an io.Writer that keeps the last N lines of a builder's
// output the way Nix does for its failure message: a carriage return
// moves back to the start of the line (later characters overwrite
// earlier ones), a newline ends it, and lines that are structured log
// messages ("@nix {json}") are not kept.
type LogTail struct {
	n     int
	lines []string
	cur   []byte
	pos   int
}

// NewLogTail keeps the last n lines (Nix's log-lines, default 10).
func NewLogTail(n int) *LogTail { return &LogTail{n: n} }

// Write takes builder output; it never fails.
func (t *LogTail) Write(p []byte) (int, error) {
	for _, c := range p {
		switch c {
		case '\r':
			t.pos = 0
		case '\n':
			t.flush()
		default:
			if t.pos >= len(t.cur) {
				t.cur = append(t.cur, c)
			} else {
				t.cur[t.pos] = c
			}
			t.pos++
		}
	}
	return len(p), nil
}

func (t *LogTail) flush() {
	line := string(t.cur)
	t.cur, t.pos = t.cur[:0], 0
	if rest, ok := strings.CutPrefix(line, "@nix "); ok && json.Valid([]byte(rest)) {
		return
	}
	if t.n <= 0 {
		return
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.n {
		t.lines = t.lines[len(t.lines)-t.n:]
	}
}

// Lines returns the kept lines, a last unterminated line included (Nix
// flushes it at EOF).
func (t *LogTail) Lines() []string {
	out := append([]string(nil), t.lines...)
	if len(t.cur) > 0 {
		line := string(t.cur)
		if rest, ok := strings.CutPrefix(line, "@nix "); !ok || !json.Valid([]byte(rest)) {
			out = append(out, line)
		}
		if t.n > 0 && len(out) > t.n {
			out = out[len(out)-t.n:]
		}
		if t.n <= 0 {
			out = nil
		}
	}
	return out
}

// FormatFailure is the message of a failed build: err's text, and for a
// builder that failed (*BuilderError) the last n lines of its log, as
// Nix 2.8 prints them when not verbose:
//
//	builder for '/nix/store/…-x.drv' failed with exit code 3;
//	last 10 log lines:
//	> …
//	For full logs, run 'nix log /nix/store/…-x.drv'.
//
// (The command line adds "error: " and indents the continuation lines.)
func FormatFailure(err error, logTail []string, n int) string {
	msg := err.Error()
	var be *BuilderError
	if !errors.As(err, &be) || n <= 0 || len(logTail) == 0 {
		return msg
	}
	if len(logTail) > n {
		logTail = logTail[len(logTail)-n:]
	}
	var b strings.Builder
	b.WriteString(msg)
	fmt.Fprintf(&b, ";\nlast %d log lines:\n", len(logTail))
	for _, l := range logTail {
		b.WriteString("> " + l + "\n")
	}
	fmt.Fprintf(&b, "For full logs, run 'nix log %s'.", be.DrvPath)
	return b.String()
}
