package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"gonix/internal/format/derivation"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/storepath"
	"gonix/internal/store"
	"gonix/internal/store/local"
)

// HashMismatchError is a fixed-output derivation whose output has another
// hash than the one specified. The output is registered anyway, under
// the path of the hash it has (Path).
type HashMismatchError struct {
	DrvPath        string
	OutputName     string
	Specified, Got hash.Hash
	Path           string // where the output was registered
	ExpectedPath   string // the output path of the derivation, not valid
}

func (e *HashMismatchError) Error() string {
	return fmt.Sprintf("hash mismatch in fixed-output derivation '%s':\n  specified: %s\n     got:    %s",
		e.DrvPath, e.Specified.SRI(), e.Got.SRI())
}

// NotDeterministicError is a --check build whose output differs from the
// valid one (Nix's NotDeterministic; exit status 104). Kept is where the
// new output was kept (with keep-failed), or "".
type NotDeterministicError struct {
	DrvPath string
	Path    string // the real path of the valid output
	Kept    string
}

func (e *NotDeterministicError) Error() string {
	if e.Kept != "" {
		return fmt.Sprintf("derivation '%s' may not be deterministic: output '%s' differs from '%s'", e.DrvPath, e.Path, e.Kept)
	}
	return fmt.Sprintf("derivation '%s' may not be deterministic: output '%s' differs", e.DrvPath, e.Path)
}

// finishCheck is registerOutputs in Nix's check mode: each output the
// build left beside a valid one (job.RealOutput) is canonicalised and
// its NAR hash compared with the valid path's. The first that differs is
// a *NotDeterministicError; with keep-failed it stays at <path>.check,
// otherwise it is deleted, as is every output that matched. A path found
// equal becomes ultimately trusted. Outputs that are not valid are
// skipped, as Nix does.
func finishCheck(ctx context.Context, s *local.Store, job *Job, set Settings) ([]*store.PathInfo, error) {
	drv, drvPath := job.Drv, job.DrvPath
	var result []*store.PathInfo
	var firstErr error
	for _, name := range drv.OutputNames() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		logical := drv.Outputs[name].Path
		chk := job.RealOutput(logical)
		ok, err := s.IsValidPath(ctx, logical)
		if err != nil {
			return nil, err
		}
		if !ok {
			removeAll(chk)
			continue
		}
		if _, err := os.Lstat(chk); errors.Is(err, fs.ErrNotExist) {
			if firstErr == nil {
				firstErr = fmt.Errorf("builder for '%s' failed to produce output path for output '%s' at '%s'", drvPath, name, s.RealPath(logical))
			}
			continue
		} else if err != nil {
			return nil, fmt.Errorf("getting attributes of path '%s': %w", chk, err)
		}
		info, err := s.QueryPathInfo(ctx, logical)
		if err != nil {
			return nil, err
		}
		if err := local.Canonicalise(chk); err != nil {
			return nil, err
		}
		sum, _, err := nar.HashPath(chk, nil)
		if err != nil {
			return nil, fmt.Errorf("hashing '%s': %w", chk, err)
		}
		got := hash.Hash{Algo: hash.SHA256, Digest: sum}
		if !got.Equal(info.NarHash) {
			e := &NotDeterministicError{DrvPath: drvPath, Path: s.RealPath(logical)}
			if set.KeepFailed {
				e.Kept = chk
			} else {
				removeAll(chk)
			}
			if firstErr == nil {
				firstErr = e
			}
			continue
		}
		removeAll(chk)
		if !info.Ultimate {
			info.Ultimate = true
			if err := s.RegisterValidPaths(ctx, []*store.PathInfo{info}); err != nil {
				return nil, err
			}
		}
		result = append(result, info)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	job.checked = true
	return result, nil
}

// scanned is one output after canonicalisation and the reference scan.
type scanned struct {
	name    string
	path    string // logical, where the builder made it
	real    string
	st      os.FileInfo
	scan    *ScanResult
	outRefs []string // names of other outputs it refers to
}

// FinishBuild does what Nix 2.8's registerOutputs does after a successful
// builder run (spec/store.md §10.6): each output must exist and not be
// writable by others; it is canonicalised and scanned for references to
// the input closure and the outputs; outputs are handled in topological
// order (one referenced by another first; a cycle is an error); a
// fixed-output derivation's output is hashed and registered under the path
// of the hash it actually has; the allowed/disallowed reference checks
// are applied; finally every output is registered valid in one
// transaction with deriver = job.DrvPath and ultimate set.
//
// It returns the registered path infos in the order of
// job.Drv.OutputNames(). On a fixed-output hash mismatch it returns them
// too (the wrong output is valid under its own path) with a
// *HashMismatchError. On any other error nothing is registered; the
// outputs stay on disk as invalid paths.
//
// The caller holds the locks of the output paths.
//
// For a Check build it compares instead (finishCheck) and registers
// nothing new.
func FinishBuild(ctx context.Context, s *local.Store, job *Job, set Settings) ([]*store.PathInfo, error) {
	if job.Check {
		return finishCheck(ctx, s, job, set)
	}
	drv, drvPath := job.Drv, job.DrvPath
	storeDir := s.StoreDir()
	attrs := &drvAttrs{drvPath: drvPath, env: drv.Env}
	if j, ok := drv.Env["__json"]; ok {
		var err error
		if attrs.structured, err = parseStructuredAttrs(drvPath, j); err != nil {
			return nil, err
		}
	}
	dt, err := drv.Type()
	if err != nil {
		return nil, fmt.Errorf("derivation '%s': %w", drvPath, err)
	}
	_, drvBase, err := storepath.ParsePath(storeDir, drvPath)
	if err != nil {
		return nil, fmt.Errorf("derivation '%s': %w", drvPath, err)
	}
	drvName := strings.TrimSuffix(drvBase, ".drv")

	// Referenceable: the input closure and the outputs.
	referenceable := slices.Clone(job.Inputs)
	byPath := map[string]string{} // output path → output name
	for _, name := range drv.OutputNames() {
		p := drv.Outputs[name].Path
		referenceable = append(referenceable, p)
		byPath[p] = name
	}
	slices.Sort(referenceable)
	referenceable = slices.Compact(referenceable)

	outs := map[string]*scanned{}
	for _, name := range drv.OutputNames() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o := &scanned{name: name, path: drv.Outputs[name].Path}
		o.real = s.RealPath(o.path)
		st, err := os.Lstat(o.real)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("builder for '%s' failed to produce output path for output '%s' at '%s'", drvPath, name, o.real)
		} else if err != nil {
			return nil, fmt.Errorf("getting attributes of path '%s': %w", o.real, err)
		}
		o.st = st
		if (st.Mode()&fs.ModeSymlink == 0 && st.Mode().Perm()&0o022 != 0) ||
			(set.BuildUID != nil && ownerOf(st) != *set.BuildUID) {
			return nil, fmt.Errorf("suspicious ownership or permission on '%s' for output '%s'; rejecting this build output", o.real, name)
		}
		if set.BuildUID != nil {
			if err := checkOwnership(o.real, *set.BuildUID); err != nil {
				return nil, err
			}
		}
		if err := local.Canonicalise(o.real); err != nil {
			return nil, err
		}
		if o.scan, err = ScanPath(o.real, storeDir, referenceable); err != nil {
			return nil, err
		}
		for _, r := range o.scan.References {
			if n, ok := byPath[r]; ok && n != name {
				o.outRefs = append(o.outRefs, n)
			}
		}
		outs[name] = o
	}

	order, err := topoSortOutputs(drvPath, outs)
	if err != nil {
		return nil, err
	}

	var mismatch *HashMismatchError
	infos := map[string]*store.PathInfo{}
	for _, name := range order {
		o := outs[name]
		out := drv.Outputs[name]
		var info *store.PathInfo
		if dt == derivation.Fixed {
			var unlock func()
			info, unlock, mismatch, err = finishFixed(ctx, s, drvPath, drvName, o, out)
			if unlock != nil {
				defer unlock()
			}
			if err != nil {
				return nil, err
			}
		} else {
			info = &store.PathInfo{
				Path:       o.path,
				NarHash:    o.scan.NarHash,
				NarSize:    o.scan.NarSize,
				References: o.scan.References,
			}
		}
		info.Deriver = drvPath
		info.Ultimate = true
		infos[name] = info
	}

	result := make([]*store.PathInfo, 0, len(infos))
	for _, name := range drv.OutputNames() {
		result = append(result, infos[name])
	}

	// A content-addressed output is registered at once (Nix does so
	// before the checks, so a fixed output that fails them, or has the
	// wrong hash, still becomes valid); the others only after the checks.
	if dt == derivation.Fixed {
		if err := s.RegisterValidPaths(ctx, result); err != nil {
			return nil, err
		}
	}
	if err := checkOutputs(ctx, s, drvPath, attrs, infos); err != nil {
		if dt == derivation.Fixed {
			return result, err
		}
		return nil, err
	}
	if dt != derivation.Fixed {
		if err := s.RegisterValidPaths(ctx, result); err != nil {
			return nil, err
		}
	}
	if mismatch != nil {
		return result, mismatch
	}
	return result, nil
}

// checkOwnership is canonicalisePathMetaData's check with a build user:
// every file of an output must belong to it.
func checkOwnership(root string, uid int) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("getting attributes of path '%s': %w", p, err)
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("getting attributes of path '%s': %w", p, err)
		}
		if ownerOf(fi) != uid {
			return fmt.Errorf("invalid ownership on file '%s'", p)
		}
		return nil
	})
}

// topoSortOutputs orders the outputs so that one referenced by another
// comes first: Nix's topoSort (a depth-first search in name order)
// reversed. A cycle between outputs is an error.
func topoSortOutputs(drvPath string, outs map[string]*scanned) ([]string, error) {
	names := make([]string, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	slices.Sort(names)
	var sorted []string
	visited := map[string]bool{}
	parents := map[string]bool{}
	var visit func(n, parent string) error
	visit = func(n, parent string) error {
		if parents[n] {
			return fmt.Errorf("cycle detected in build of '%s' in the references of output '%s' from output '%s'", drvPath, n, parent)
		}
		if visited[n] {
			return nil
		}
		visited[n] = true
		parents[n] = true
		refs := slices.Clone(outs[n].outRefs)
		slices.Sort(refs)
		for _, r := range refs {
			if err := visit(r, n); err != nil {
				return err
			}
		}
		sorted = append(sorted, n)
		delete(parents, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n, ""); err != nil {
			return nil, err
		}
	}
	// Nix sorts referrers first and then reverses the list; emitting each
	// output after its references gives the same order directly.
	return sorted, nil
}

// finishFixed hashes a fixed output, moves it to the path of the hash it
// has, and returns its path info (Nix's newInfoFromCA and the check of the
// wanted hash). The returned unlock releases the lock taken on that path
// when it is not the expected one.
func finishFixed(ctx context.Context, s *local.Store, drvPath, drvName string, o *scanned, out derivation.Output) (*store.PathInfo, func(), *HashMismatchError, error) {
	storeDir := s.StoreDir()
	recursive, wanted, err := out.FixedHash()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("derivation '%s': output '%s': %w", drvPath, o.name, err)
	}
	if !recursive && (!o.st.Mode().IsRegular() || o.st.Mode()&0o100 != 0) {
		return nil, nil, nil, fmt.Errorf("output path '%s' should be a non-executable regular file since recursive hashing is not enabled (outputHashMode=flat)", o.real)
	}
	oldHashPart, _, err := storepath.ParsePath(storeDir, o.path)
	if err != nil {
		return nil, nil, nil, err
	}
	// The content hash treats the output's own hash part as zeros.
	hm := newHashModulo(wanted.Algo, oldHashPart)
	if recursive {
		err = nar.Dump(hm, o.real, nil)
	} else {
		err = copyFile(hm, o.real)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("hashing output '%s': %w", o.real, err)
	}
	digest, selfRef, err := hm.finish()
	if err != nil {
		return nil, nil, nil, err
	}
	got := hash.Hash{Algo: wanted.Algo, Digest: digest}

	var refs []string
	for _, r := range o.scan.References {
		if r != o.path {
			refs = append(refs, r)
		}
	}
	name := storepath.OutputPathName(drvName, o.name)
	var finalPath string
	if recursive && got.Algo == hash.SHA256 {
		finalPath, err = storepath.MakeSourcePath(storeDir, name, got.Digest, refs, selfRef)
	} else if len(refs) > 0 || selfRef {
		err = fmt.Errorf("output '%s' of fixed-output derivation '%s' refers to other store paths, which only a recursive SHA-256 output may do", o.real, drvPath)
	} else {
		finalPath, err = storepath.MakeFixedOutputPath(storeDir, name, recursive, got, nil)
	}
	if err != nil {
		return nil, nil, nil, err
	}

	info := &store.PathInfo{
		Path:       finalPath,
		NarHash:    o.scan.NarHash,
		NarSize:    o.scan.NarSize,
		References: refs,
		CA:         store.FixedCA(methodOf(recursive), got),
	}
	if selfRef {
		info.References = append(slices.Clone(refs), finalPath)
		slices.Sort(info.References)
	}

	var unlock func()
	if finalPath != o.path {
		finalReal := s.RealPath(finalPath)
		locks, err := local.LockPaths(ctx, []string{finalReal})
		if err != nil {
			return nil, nil, nil, err
		}
		unlock = func() { locks.Unlock(true) }
		newHashPart, _, _ := storepath.ParsePath(storeDir, finalPath)
		actual := o.real
		if selfRef {
			// The output names itself: rewrite the old hash part to the
			// new one throughout, as Nix does.
			if err := rewriteTree(actual, oldHashPart, newHashPart); err != nil {
				return nil, unlock, nil, err
			}
			if err := local.Canonicalise(actual); err != nil {
				return nil, unlock, nil, err
			}
			sum, size, err := nar.HashPath(actual, nil)
			if err != nil {
				return nil, unlock, nil, fmt.Errorf("hashing output '%s': %w", actual, err)
			}
			info.NarHash = hash.Hash{Algo: hash.SHA256, Digest: sum}
			info.NarSize = uint64(size)
		}
		valid, err := s.IsValidPath(ctx, finalPath)
		if err != nil {
			return nil, unlock, nil, err
		}
		if !valid {
			// Whatever lies at the final path is not valid and we hold its
			// lock: replace it.
			if err := s.DeleteInvalid(ctx, finalPath); err != nil {
				return nil, unlock, nil, err
			}
			if err := os.Rename(actual, finalReal); err != nil {
				return nil, unlock, nil, fmt.Errorf("moving output '%s' to '%s': %w", actual, finalReal, err)
			}
		}
	}

	var mismatch *HashMismatchError
	if !wanted.Equal(got) {
		mismatch = &HashMismatchError{
			DrvPath: drvPath, Specified: wanted, Got: got,
			Path: finalPath, ExpectedPath: o.path, OutputName: o.name,
		}
	}
	return info, unlock, mismatch, nil
}

func methodOf(recursive bool) store.Method {
	if recursive {
		return store.Recursive
	}
	return store.Flat
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// rewriteTree replaces every occurrence of from by to in the NAR
// serialisation of the tree at path (contents, names, symlink targets):
// dumped through a rewriter into path.tmp, which then replaces path.
func rewriteTree(path, from, to string) error {
	tmp := path + ".tmp"
	removeAll(tmp)
	pr, pw := io.Pipe()
	go func() {
		rw := newRewriter(from, to, pw)
		err := nar.Dump(rw, path, nil)
		if err == nil {
			err = rw.Flush()
		}
		pw.CloseWithError(err)
	}()
	err := nar.Restore(pr, tmp)
	pr.CloseWithError(io.ErrClosedPipe) // stops the dumper if Restore failed early
	if err != nil {
		removeAll(tmp)
		return fmt.Errorf("rewriting '%s': %w", path, err)
	}
	removeAll(path)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rewriting '%s': %w", path, err)
	}
	return nil
}

// outputCheck is one set of Nix's output checks.
type outputCheck struct {
	ignoreSelfRefs                   bool
	maxSize, maxClosureSize          *uint64
	allowedReferences, allowedReqs   []string
	disallowedReferences, disallReqs []string
	hasAllowedRefs, hasAllowedReqs   bool
	hasDisallRefs, hasDisallReqs     bool
}

// checkOutputs applies allowedReferences, allowedRequisites,
// disallowedReferences and disallowedRequisites (and, with structured
// attributes, outputChecks.<output> with maxSize and maxClosureSize) to
// each output (Nix's checkOutputs).
func checkOutputs(ctx context.Context, s *local.Store, drvPath string, attrs *drvAttrs, infos map[string]*store.PathInfo) error {
	byPath := map[string]*store.PathInfo{}
	names := make([]string, 0, len(infos))
	for n, i := range infos {
		byPath[i.Path] = i
		names = append(names, n)
	}
	slices.Sort(names)

	// closure follows references through the new outputs (not valid yet)
	// and the store.
	closure := func(p string) (map[string]bool, uint64, error) {
		done := map[string]bool{}
		var size uint64
		queue := []string{p}
		for len(queue) > 0 {
			q := queue[0]
			queue = queue[1:]
			if done[q] {
				continue
			}
			done[q] = true
			info := byPath[q]
			if info == nil {
				var err error
				if info, err = s.QueryPathInfo(ctx, q); err != nil {
					return nil, 0, err
				}
			}
			size += info.NarSize
			queue = append(queue, info.References...)
		}
		return done, size, nil
	}

	for _, name := range names {
		info := infos[name]
		var c outputCheck
		if attrs.structured != nil {
			oc, ok := attrs.structured["outputChecks"].(jsonObject)
			if !ok {
				continue
			}
			spec, ok := oc[name].(jsonObject)
			if !ok {
				continue
			}
			var err error
			if c.maxSize, err = jsonUint(drvPath, spec, "maxSize"); err != nil {
				return err
			}
			if c.maxClosureSize, err = jsonUint(drvPath, spec, "maxClosureSize"); err != nil {
				return err
			}
			for _, f := range []struct {
				key  string
				list *[]string
				has  *bool
			}{
				{"allowedReferences", &c.allowedReferences, &c.hasAllowedRefs},
				{"allowedRequisites", &c.allowedReqs, &c.hasAllowedReqs},
				{"disallowedReferences", &c.disallowedReferences, &c.hasDisallRefs},
				{"disallowedRequisites", &c.disallReqs, &c.hasDisallReqs},
			} {
				if *f.list, *f.has, err = jsonStrings(drvPath, spec, f.key); err != nil {
					return err
				}
			}
		} else {
			c.ignoreSelfRefs = true
			var err error
			for _, f := range []struct {
				key  string
				list *[]string
				has  *bool
			}{
				{"allowedReferences", &c.allowedReferences, &c.hasAllowedRefs},
				{"allowedRequisites", &c.allowedReqs, &c.hasAllowedReqs},
				{"disallowedReferences", &c.disallowedReferences, &c.hasDisallRefs},
				{"disallowedRequisites", &c.disallReqs, &c.hasDisallReqs},
			} {
				if *f.list, *f.has, err = attrs.strings(f.key); err != nil {
					return err
				}
			}
		}

		if c.maxSize != nil && info.NarSize > *c.maxSize {
			return fmt.Errorf("path '%s' is too large at %d bytes; limit is %d bytes", info.Path, info.NarSize, *c.maxSize)
		}
		if c.maxClosureSize != nil {
			_, size, err := closure(info.Path)
			if err != nil {
				return err
			}
			if size > *c.maxClosureSize {
				return fmt.Errorf("closure of path '%s' is too large at %d bytes; limit is %d bytes", info.Path, size, *c.maxClosureSize)
			}
		}
		checkRefs := func(has bool, value []string, allowed, recursive bool) error {
			if !has {
				return nil
			}
			spec := map[string]bool{}
			for _, v := range value {
				if storepath.IsStorePath(s.StoreDir(), v) {
					spec[v] = true
				} else if o, ok := infos[v]; ok {
					spec[o.Path] = true
				} else {
					return fmt.Errorf("derivation contains an illegal reference specifier '%s'", v)
				}
			}
			used := map[string]bool{}
			if recursive {
				var err error
				if used, _, err = closure(info.Path); err != nil {
					return err
				}
				if c.ignoreSelfRefs {
					delete(used, info.Path)
				}
			} else {
				for _, r := range info.References {
					used[r] = true
				}
			}
			var bad []string
			for u := range used {
				if spec[u] != allowed {
					bad = append(bad, u)
				}
			}
			if len(bad) == 0 {
				return nil
			}
			slices.Sort(bad)
			return fmt.Errorf("output '%s' is not allowed to refer to the following paths:\n  %s", info.Path, strings.Join(bad, "\n  "))
		}
		if err := checkRefs(c.hasAllowedRefs, c.allowedReferences, true, false); err != nil {
			return err
		}
		if err := checkRefs(c.hasAllowedReqs, c.allowedReqs, true, true); err != nil {
			return err
		}
		if err := checkRefs(c.hasDisallRefs, c.disallowedReferences, false, false); err != nil {
			return err
		}
		if err := checkRefs(c.hasDisallReqs, c.disallReqs, false, true); err != nil {
			return err
		}
	}
	return nil
}

// jsonUint reads an outputChecks size limit (nlohmann's get<uint64_t>).
func jsonUint(drvPath string, o jsonObject, key string) (*uint64, error) {
	v, ok := o[key]
	if !ok {
		return nil, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("attribute 'outputChecks' of derivation '%s': '%s' must be a number", drvPath, key)
	}
	c := classifyNumber(n)
	var u uint64
	switch {
	case c.isUint:
		u = c.u
	case c.isInt:
		u = uint64(c.i)
	default:
		u = uint64(c.f)
	}
	return &u, nil
}

// jsonStrings reads an outputChecks list the way Nix iterates it: an
// array of strings, or a single string; null is the empty list.
func jsonStrings(drvPath string, o jsonObject, key string) ([]string, bool, error) {
	v, ok := o[key]
	if !ok {
		return nil, false, nil
	}
	bad := fmt.Errorf("attribute '%s' of derivation '%s' must be a list of strings", key, drvPath)
	switch v := v.(type) {
	case nil:
		return []string{}, true, nil
	case string:
		return []string{v}, true, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false, bad
			}
			out = append(out, s)
		}
		return out, true, nil
	case jsonObject:
		out := make([]string, 0, len(v))
		for _, k := range sortedKeys(v) {
			s, ok := v[k].(string)
			if !ok {
				return nil, false, bad
			}
			out = append(out, s)
		}
		return out, true, nil
	}
	return nil, false, bad
}

// ownerOf is the uid owning a file (-1 if the platform does not say).
func ownerOf(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
