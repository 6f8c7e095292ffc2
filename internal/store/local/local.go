package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// Options select a local store.
type Options struct {
	// Root is the directory of a chroot store (`--store DIR`): files live
	// under Root/nix/store and Root/nix/var/nix while paths still read
	// StoreDir. Empty means the real file system.
	Root string
	// StoreDir is the logical store directory; default /nix/store.
	StoreDir string
	// StateDir is the logical state directory; default /nix/var/nix.
	StateDir string
	// ReadOnly opens the database read-only and creates nothing.
	ReadOnly bool
	// NoSync skips the file system sync before registering new paths (tests
	// that measure nothing else may set it; it never affects consistency
	// after a process crash, only after a power loss).
	NoSync bool
	// Now returns the registration time; nil means time.Now.
	Now func() time.Time
	// AutoOptimise is the auto-optimise-store setting: every newly added
	// object is deduplicated through .links before it is registered.
	AutoOptimise bool
}

// Store is an open local store. It is safe for use by several goroutines.
type Store struct {
	storeDir  string // logical
	stateDir  string // logical
	realStore string // where the files are
	realState string
	readOnly  bool
	noSync    bool
	now       func() time.Time
	// autoOptimise: see Options.AutoOptimise.
	autoOptimise bool

	bigLock *os.File

	mu   sync.Mutex // guards conn and temp roots
	conn *sqlite.Conn

	tempRoots *os.File
	// tempRootSet: the paths written to tempRoots.
	tempRootSet map[string]bool
	gcLock      *os.File

	pendMu       sync.Mutex // guards pending and pendingSet
	pending      []pendingEntry
	pendingLocks int
	pendingSet   map[string]string // path → text
}

// Open opens (and on first use creates) the local store selected by opts,
// the way Nix 2.8's LocalStore constructor does (spec/store.md §7.1, §7.5).
func Open(ctx context.Context, opts Options) (*Store, error) {
	s := &Store{
		storeDir: opts.StoreDir,
		readOnly: opts.ReadOnly,
		noSync:   opts.NoSync,
		now:      opts.Now,

		autoOptimise: opts.AutoOptimise,

		pendingSet: make(map[string]string),
	}
	if s.storeDir == "" {
		s.storeDir = "/nix/store"
	}
	stateDir := opts.StateDir
	if stateDir == "" {
		stateDir = "/nix/var/nix"
	}
	if s.now == nil {
		s.now = time.Now
	}
	root := opts.Root
	if root != "" {
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, fmt.Errorf("opening store %s: %w", root, err)
		}
		root = strings.TrimRight(abs, "/")
	}
	s.stateDir = stateDir
	s.realStore = root + s.storeDir
	s.realState = root + stateDir
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	dbDir := s.realState + "/db"
	if !s.readOnly {
		for _, d := range []string{s.realStore, s.realStore + "/.links", s.realState + "/profiles",
			s.realState + "/temproots", dbDir} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("creating directory '%s': %w", d, err)
			}
		}
		gcroots := s.realState + "/gcroots"
		if _, err := os.Lstat(gcroots); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(gcroots, 0o755); err != nil {
				return fmt.Errorf("creating directory '%s': %w", gcroots, err)
			}
			// The link names the logical profiles directory, as Nix's does.
			if err := os.Symlink(s.stateDir+"/profiles", gcroots+"/profiles"); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("creating symlink '%s': %w", gcroots+"/profiles", err)
			}
		}
		for _, d := range []string{s.realState + "/profiles/per-user", gcroots + "/per-user"} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("creating directory '%s': %w", d, err)
			}
			if err := os.Chmod(d, 0o755); err != nil {
				return fmt.Errorf("could not set permissions on '%s' to 755: %w", d, err)
			}
		}
		if err := s.reserveSpace(dbDir + "/reserved"); err != nil {
			return err
		}
	}

	// Every user of the store holds the big lock shared (spec/store.md §7.8).
	if !s.readOnly {
		f, err := openLockFile(dbDir + "/big-lock")
		if err != nil {
			return err
		}
		s.bigLock = f
		if err := flock(ctx, f, unix.LOCK_SH); err != nil {
			return fmt.Errorf("acquiring the big lock: %w", err)
		}
	}

	schemaFile := dbDir + "/schema"
	cur, err := readSchema(schemaFile)
	if err != nil {
		return err
	}
	if cur == 0 && !s.readOnly {
		// A new store is created under the big lock held exclusively:
		// two processes opening one new store at once would both switch
		// the new database to WAL, and the loser fails at once with
		// "database is locked". The lock is shared again afterwards.
		if err := flock(ctx, s.bigLock, unix.LOCK_EX); err != nil {
			return fmt.Errorf("acquiring the big lock: %w", err)
		}
		defer flock(ctx, s.bigLock, unix.LOCK_SH)
		if cur, err = readSchema(schemaFile); err != nil {
			return err
		}
	}
	if cur > schemaVersion {
		return fmt.Errorf("current Nix store schema is version %d, but I only support %d", cur, schemaVersion)
	}
	if cur != 0 && cur < schemaVersion {
		return fmt.Errorf("store schema version %d at '%s' is too old: upgrade it with Nix first (gonix supports %d)", cur, schemaFile, schemaVersion)
	}
	if cur == 0 && s.readOnly {
		if _, err := os.Stat(dbDir + "/db.sqlite"); err != nil {
			return fmt.Errorf("opening store at '%s': it has no database (%w)", s.realStore, ErrNoStore)
		}
	}
	if err := s.openDB(dbDir+"/db.sqlite", cur == 0); err != nil {
		return err
	}
	if cur == 0 {
		if err := writeFileAtomic(schemaFile, []byte(strconv.Itoa(schemaVersion)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ErrNoStore is wrapped when a read-only open finds no store.
var ErrNoStore = errors.New("no store there")

// reserveSpace keeps the 8 MiB file the garbage collector deletes to make
// room on a full disk (gc-reserved-space).
func (s *Store) reserveSpace(p string) error {
	const size = 8 << 20
	if st, err := os.Stat(p); err == nil && st.Size() == size {
		return nil
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("creating '%s': %w", p, err)
	}
	defer f.Close()
	if err := unix.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
		if err := f.Truncate(size); err != nil {
			return fmt.Errorf("reserving space in '%s': %w", p, err)
		}
	}
	return nil
}

// readSchema reads the schema version file; 0 when there is none.
func readSchema(schemaFile string) (int, error) {
	data, err := os.ReadFile(schemaFile)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("reading '%s': %w", schemaFile, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("'%s' is corrupt", schemaFile)
	}
	return n, nil
}

func (s *Store) openDB(path string, create bool) error {
	flags := sqlite.OpenReadWrite | sqlite.OpenCreate | sqlite.OpenWAL
	if s.readOnly {
		flags = sqlite.OpenReadOnly
	}
	conn, err := sqlite.OpenConn(path, flags)
	if err != nil {
		return fmt.Errorf("opening the Nix database '%s': %w", path, err)
	}
	s.conn = conn
	conn.SetBusyTimeout(time.Hour)
	pragmas := []string{"pragma foreign_keys = 1;"}
	if !s.readOnly {
		pragmas = append(pragmas, "pragma synchronous = normal;", "pragma main.journal_mode = wal;",
			"pragma wal_autocheckpoint = 40000;")
	}
	for _, p := range pragmas {
		if err := sqlitex.ExecuteTransient(conn, p, nil); err != nil {
			return fmt.Errorf("setting up the Nix database '%s' (%s): %w", path, p, err)
		}
	}
	if create && !s.readOnly {
		if err := sqlitex.ExecuteScript(conn, schemaSQL, nil); err != nil {
			return fmt.Errorf("creating the Nix database schema in '%s': %w", path, err)
		}
	}
	return nil
}

// StoreDir is the logical store directory.
func (s *Store) StoreDir() string { return s.storeDir }

// RealPath is where the file system object of the logical path p lives.
func (s *Store) RealPath(p string) string {
	if strings.HasPrefix(p, s.storeDir) {
		return s.realStore + p[len(s.storeDir):]
	}
	return p
}

// RealStoreDir is the real directory holding the store's objects.
func (s *Store) RealStoreDir() string { return s.realStore }

// RealStateDir is the real state directory (…/nix/var/nix).
func (s *Store) RealStateDir() string { return s.realState }

// Close releases the database, the temporary roots and the big lock.
func (s *Store) Close() error {
	flushErr := s.Flush(context.Background())
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	if s.conn != nil {
		first = s.conn.Close()
		s.conn = nil
	}
	if s.tempRoots != nil {
		os.Remove(s.tempRoots.Name())
		s.tempRoots.Close()
		s.tempRoots = nil
		s.tempRootSet = nil
	}
	if s.gcLock != nil {
		s.gcLock.Close()
		s.gcLock = nil
	}
	if s.bigLock != nil {
		s.bigLock.Close()
		s.bigLock = nil
	}
	if first == nil {
		first = flushErr
	}
	return first
}

// writeFileAtomic writes data to p through a temporary file and a rename.
func writeFileAtomic(p string, data []byte, mode os.FileMode) error {
	tmp := fmt.Sprintf("%s.tmp-%d", p, os.Getpid())
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("writing '%s': %w", p, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing '%s': %w", p, err)
	}
	return nil
}

func sortStrings(xs []string) { sort.Strings(xs) }
