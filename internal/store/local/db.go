package local

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
)

// withConn runs f with the connection, serialising access.
func (s *Store) withConn(f func(c *sqlite.Conn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return fmt.Errorf("store at '%s' is closed", s.realStore)
	}
	return f(s.conn)
}

func (s *Store) notValid(path string) error {
	return fmt.Errorf("path '%s' is not valid: %w", path, store.ErrNotValid)
}

// IsValidPath reports whether path is registered valid (after committing
// pending registrations).
func (s *Store) IsValidPath(ctx context.Context, path string) (bool, error) {
	if err := s.Flush(ctx); err != nil {
		return false, err
	}
	return s.isValid(path)
}

func (s *Store) isValid(path string) (bool, error) {
	var ok bool
	err := s.withConn(func(c *sqlite.Conn) error {
		id, err := queryID(c, path)
		ok = id != 0
		return err
	})
	return ok, err
}

// validOrPending is isValidOrPending for many paths, in one read
// transaction: the paths in the result are valid or pending.
func (s *Store) validOrPending(paths []string) (map[string]bool, error) {
	out := make(map[string]bool)
	var rest []string
	s.pendMu.Lock()
	for _, p := range paths {
		if _, ok := s.pendingSet[p]; ok {
			out[p] = true
		} else {
			rest = append(rest, p)
		}
	}
	s.pendMu.Unlock()
	if len(rest) == 0 {
		return out, nil
	}
	err := s.withConn(func(c *sqlite.Conn) (err error) {
		// One snapshot for all the queries, not one read transaction
		// (and its locks) each.
		defer sqlitex.Transaction(c)(&err)
		for _, p := range rest {
			id, err := queryID(c, p)
			if err != nil {
				return err
			}
			if id != 0 {
				out[p] = true
			}
		}
		return nil
	})
	return out, err
}

func queryID(c *sqlite.Conn, path string) (int64, error) {
	st := c.Prep(sqlID)
	st.BindText(1, path)
	defer st.Reset()
	row, err := st.Step()
	if err != nil {
		return 0, fmt.Errorf("querying path '%s': %w", path, err)
	}
	if !row {
		return 0, nil
	}
	return st.ColumnInt64(0), nil
}

// QueryPathInfo returns the metadata of a valid path.
func (s *Store) QueryPathInfo(ctx context.Context, path string) (*store.PathInfo, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	var info *store.PathInfo
	err := s.withConn(func(c *sqlite.Conn) error {
		var err error
		info, err = queryInfo(c, path)
		return err
	})
	if err == nil && info == nil {
		return nil, s.notValid(path)
	}
	return info, err
}

func queryInfo(c *sqlite.Conn, path string) (*store.PathInfo, error) {
	st := c.Prep(sqlInfo)
	st.BindText(1, path)
	row, err := st.Step()
	if err != nil {
		st.Reset()
		return nil, fmt.Errorf("querying path '%s': %w", path, err)
	}
	if !row {
		st.Reset()
		return nil, nil
	}
	id := st.ColumnInt64(0)
	info := &store.PathInfo{
		Path:             path,
		RegistrationTime: st.ColumnInt64(2),
		Deriver:          st.ColumnText(3),
		NarSize:          uint64(st.ColumnInt64(4)),
		Ultimate:         st.ColumnInt64(5) != 0,
		CA:               st.ColumnText(7),
	}
	hashText := st.ColumnText(1)
	if sigs := st.ColumnText(6); sigs != "" {
		info.Sigs = strings.Fields(sigs)
	}
	st.Reset()
	h, err := hash.ParsePrefixed(hashText)
	if err != nil {
		return nil, fmt.Errorf("hash of path '%s' in the database is corrupt: %w", path, err)
	}
	info.NarHash = h
	refs := c.Prep(sqlRefs)
	refs.BindInt64(1, id)
	for {
		row, err := refs.Step()
		if err != nil {
			refs.Reset()
			return nil, fmt.Errorf("querying references of '%s': %w", path, err)
		}
		if !row {
			break
		}
		info.References = append(info.References, refs.ColumnText(0))
	}
	refs.Reset()
	sort.Strings(info.References)
	return info, nil
}

func queryStrings(c *sqlite.Conn, query string, bind func(*sqlite.Stmt), col int) ([]string, error) {
	st := c.Prep(query)
	defer st.Reset()
	if bind != nil {
		bind(st)
	}
	var out []string
	for {
		row, err := st.Step()
		if err != nil {
			return nil, err
		}
		if !row {
			return out, nil
		}
		out = append(out, st.ColumnText(col))
	}
}

// QueryReferrers lists the valid paths that refer to path.
func (s *Store) QueryReferrers(ctx context.Context, path string) ([]string, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	var out []string
	err := s.withConn(func(c *sqlite.Conn) error {
		var err error
		out, err = queryStrings(c, sqlReferrers, func(st *sqlite.Stmt) { st.BindText(1, path) }, 0)
		return err
	})
	sort.Strings(out)
	return out, err
}

// QueryValidDerivers lists the valid .drv files with path among their outputs.
func (s *Store) QueryValidDerivers(ctx context.Context, path string) ([]string, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	var out []string
	err := s.withConn(func(c *sqlite.Conn) error {
		var err error
		out, err = queryStrings(c, sqlDerivers, func(st *sqlite.Stmt) { st.BindText(1, path) }, 1)
		return err
	})
	sort.Strings(out)
	return out, err
}

// QueryDerivationOutputs maps the outputs of a valid .drv to their paths.
func (s *Store) QueryDerivationOutputs(ctx context.Context, drvPath string) (map[string]string, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	out := map[string]string{}
	err := s.withConn(func(c *sqlite.Conn) error {
		id, err := queryID(c, drvPath)
		if err != nil {
			return err
		}
		if id == 0 {
			return s.notValid(drvPath)
		}
		st := c.Prep(sqlDrvOuts)
		defer st.Reset()
		st.BindInt64(1, id)
		for {
			row, err := st.Step()
			if err != nil {
				return err
			}
			if !row {
				return nil
			}
			out[st.ColumnText(0)] = st.ColumnText(1)
		}
	})
	return out, err
}

// QueryPathFromHashPart returns the valid path whose hash part is hashPart.
func (s *Store) QueryPathFromHashPart(ctx context.Context, hashPart string) (string, error) {
	if err := s.Flush(ctx); err != nil {
		return "", err
	}
	prefix := s.storeDir + "/" + hashPart
	var out []string
	err := s.withConn(func(c *sqlite.Conn) error {
		var err error
		out, err = queryStrings(c, sqlFromHash, func(st *sqlite.Stmt) { st.BindText(1, prefix) }, 0)
		return err
	})
	if err != nil || len(out) == 0 || !strings.HasPrefix(out[0], prefix+"-") {
		return "", err
	}
	return out[0], nil
}

// QueryAllValidPaths lists every valid path, sorted.
func (s *Store) QueryAllValidPaths(ctx context.Context) ([]string, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	var out []string
	err := s.withConn(func(c *sqlite.Conn) error {
		var err error
		out, err = queryStrings(c, sqlAllPaths, nil, 0)
		return err
	})
	sort.Strings(out)
	return out, err
}

// regEntry is one path to register, with the parsed .drv when it is one.
type regEntry struct {
	info *store.PathInfo
	drv  *derivation.Derivation
	// checkOutputs verifies a .drv's output paths before commit (every
	// .drv that did not come from our own evaluator).
	checkOutputs bool
}

// register makes paths valid in one transaction (Nix's registerValidPaths):
// insert or update each row, then the references, DerivationOutputs rows,
// output checks and a cycle check; any failure rolls everything back.
func (s *Store) register(ctx context.Context, entries []regEntry) error {
	if s.readOnly {
		return fmt.Errorf("cannot register paths: the store at '%s' is open read-only", s.realStore)
	}
	if !s.noSync {
		if err := syncFS(s.realStore); err != nil {
			return err
		}
	}
	return s.withConn(func(c *sqlite.Conn) (err error) {
		end, err := sqlitex.ImmediateTransaction(c)
		if err != nil {
			return fmt.Errorf("starting a database transaction: %w", err)
		}
		defer end(&err)
		now := s.now().Unix()
		ids := make(map[string]int64, len(entries))
		for _, e := range entries {
			id, err := upsertPath(c, e.info, now)
			if err != nil {
				return err
			}
			ids[e.info.Path] = id
		}
		for _, e := range entries {
			referrer := ids[e.info.Path]
			for _, r := range e.info.References {
				ref, ok := ids[r]
				if !ok {
					if ref, err = queryID(c, r); err != nil {
						return err
					}
					if ref == 0 {
						return fmt.Errorf("cannot register '%s': its reference '%s' is not valid", e.info.Path, r)
					}
					ids[r] = ref
				}
				st := c.Prep(sqlAddRef)
				st.BindInt64(1, referrer)
				st.BindInt64(2, ref)
				_, err := st.Step()
				st.Reset()
				if err != nil {
					return fmt.Errorf("adding reference of '%s': %w", e.info.Path, err)
				}
			}
			if e.drv != nil {
				for _, name := range e.drv.OutputNames() {
					out := e.drv.Outputs[name]
					if out.Path == "" {
						continue
					}
					st := c.Prep(sqlAddDrvOut)
					st.BindInt64(1, referrer)
					st.BindText(2, name)
					st.BindText(3, out.Path)
					_, err := st.Step()
					st.Reset()
					if err != nil {
						return fmt.Errorf("registering outputs of '%s': %w", e.info.Path, err)
					}
				}
			}
		}
		for _, e := range entries {
			if e.drv != nil && e.checkOutputs {
				if err := s.checkDerivationOutputs(e.info.Path, e.drv); err != nil {
					return err
				}
			}
		}
		return checkCycles(entries)
	})
}

func nullText(st *sqlite.Stmt, i int, v string) {
	if v == "" {
		st.BindNull(i)
	} else {
		st.BindText(i, v)
	}
}

func upsertPath(c *sqlite.Conn, info *store.PathInfo, now int64) (int64, error) {
	id, err := queryID(c, info.Path)
	if err != nil {
		return 0, err
	}
	if info.NarHash.Algo != hash.SHA256 {
		return 0, fmt.Errorf("registering '%s': its NAR hash must be SHA-256", info.Path)
	}
	hashText := "sha256:" + info.NarHash.Base16()
	sigs := strings.Join(info.Sigs, " ")
	if id != 0 {
		st := c.Prep(sqlUpdate)
		if info.NarSize != 0 {
			st.BindInt64(1, int64(info.NarSize))
		} else {
			st.BindNull(1)
		}
		st.BindText(2, hashText)
		if info.Ultimate {
			st.BindInt64(3, 1)
		} else {
			st.BindNull(3)
		}
		nullText(st, 4, sigs)
		nullText(st, 5, info.CA)
		st.BindText(6, info.Path)
		_, err := st.Step()
		st.Reset()
		if err != nil {
			return 0, fmt.Errorf("updating path '%s': %w", info.Path, err)
		}
		return id, nil
	}
	st := c.Prep(sqlRegister)
	st.BindText(1, info.Path)
	st.BindText(2, hashText)
	t := info.RegistrationTime
	if t == 0 {
		t = now
	}
	st.BindInt64(3, t)
	nullText(st, 4, info.Deriver)
	if info.NarSize != 0 {
		st.BindInt64(5, int64(info.NarSize))
	} else {
		st.BindNull(5)
	}
	if info.Ultimate {
		st.BindInt64(6, 1)
	} else {
		st.BindNull(6)
	}
	nullText(st, 7, sigs)
	nullText(st, 8, info.CA)
	_, err = st.Step()
	st.Reset()
	if err != nil {
		return 0, fmt.Errorf("registering path '%s': %w", info.Path, err)
	}
	return c.LastInsertRowID(), nil
}

// checkCycles refuses references that form a cycle among the new paths.
func checkCycles(entries []regEntry) error {
	refs := make(map[string][]string, len(entries))
	for _, e := range entries {
		refs[e.info.Path] = e.info.References
	}
	const (
		white = iota
		grey
		black
	)
	color := make(map[string]int, len(entries))
	var visit func(p, parent string) error
	visit = func(p, parent string) error {
		switch color[p] {
		case grey:
			return fmt.Errorf("cycle detected in the references of '%s' from '%s'", p, parent)
		case black:
			return nil
		}
		color[p] = grey
		for _, r := range refs[p] {
			if r == p {
				continue
			}
			if _, ok := refs[r]; ok {
				if err := visit(r, p); err != nil {
					return err
				}
			}
		}
		color[p] = black
		return nil
	}
	for _, e := range entries {
		if err := visit(e.info.Path, ""); err != nil {
			return err
		}
	}
	return nil
}

// checkDerivationOutputs verifies that the output paths a .drv claims are the
// ones its contents give (Nix's checkDerivationOutputs).
func (s *Store) checkDerivationOutputs(drvPath string, drv *derivation.Derivation) error {
	name, err := derivation.NameFromDrvPath(drvPath)
	if err != nil {
		return err
	}
	want := &derivation.Derivation{Outputs: map[string]derivation.Output{}, InputDrvs: drv.InputDrvs,
		InputSrcs: drv.InputSrcs, Platform: drv.Platform, Builder: drv.Builder, Args: drv.Args, Env: map[string]string{}}
	for k, v := range drv.Env {
		want.Env[k] = v
	}
	for k, v := range drv.Outputs {
		want.Outputs[k] = v
	}
	memo := map[string][]byte{}
	var lookup derivation.Lookup
	lookup = func(p string) ([]byte, error) {
		if h, ok := memo[p]; ok {
			return h, nil
		}
		data, ok := s.PendingText(p)
		var b []byte
		if ok {
			b = []byte(data)
		} else {
			var err error
			if b, err = readFileLimited(s.RealPath(p)); err != nil {
				return nil, fmt.Errorf("reading input derivation '%s': %w", p, err)
			}
		}
		in, err := derivation.ParseATerm(b)
		if err != nil {
			return nil, fmt.Errorf("parsing input derivation '%s': %w", p, err)
		}
		h, err := derivation.HashModulo(in, lookup)
		if err != nil {
			return nil, err
		}
		memo[p] = h
		return h, nil
	}
	if err := derivation.FillOutputPaths(s.storeDir, name, want, lookup); err != nil {
		return fmt.Errorf("checking outputs of '%s': %w", drvPath, err)
	}
	for o, out := range drv.Outputs {
		if out.Path == "" {
			continue
		}
		if w := want.Outputs[o].Path; w != out.Path {
			return fmt.Errorf("derivation '%s' has incorrect output '%s', should be '%s'", drvPath, out.Path, w)
		}
		if _, err := storepath.Parse(s.storeDir, out.Path); err != nil {
			return err
		}
	}
	return nil
}

// invalidate removes path's registration (its files stay); it refuses while
// other valid paths refer to it.
func (s *Store) invalidate(path string) error {
	return s.withConn(func(c *sqlite.Conn) (err error) {
		end, err := sqlitex.ImmediateTransaction(c)
		if err != nil {
			return err
		}
		defer end(&err)
		referrers, err := queryStrings(c, sqlReferrers, func(st *sqlite.Stmt) { st.BindText(1, path) }, 0)
		if err != nil {
			return err
		}
		var others []string
		for _, r := range referrers {
			if r != path {
				others = append(others, r)
			}
		}
		if len(others) > 0 {
			sort.Strings(others)
			return fmt.Errorf("cannot delete path '%s' because it is in use by '%s'", path, strings.Join(others, "', '"))
		}
		st := c.Prep(sqlInvalidate)
		st.BindText(1, path)
		_, err = st.Step()
		st.Reset()
		return err
	})
}
