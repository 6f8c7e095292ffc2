package eval

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
	"gonix/internal/format/nixbase32"
	"gonix/internal/lang/ast"
)

// The checkout behind builtins.fetchGit: Nix 2.8's GitInputScheme::fetch
// (src/libfetchers/git.cc), running the git command as Nix does.
//
//   - A local repository (a path or file:// URL of a directory with a
//     .git) without ref and rev is used as it is: a clean working tree
//     means its HEAD commit; a dirty one (git diff HEAD reports changes,
//     or there is no commit yet) is copied file by file, only the files
//     git tracks (git ls-files), with the warning "Git tree '…' is dirty",
//     no rev and lastModified of HEAD.
//   - Otherwise the commit is rev, or what ref names (a local repository
//     resolves HEAD's branch, everything else defaults to "master", as in
//     2.8), and its tree is exported with git archive.
//   - A remote repository (and a bare local one) is fetched into a bare
//     cache repository under $XDG_CACHE_HOME/gonix/gitv3 (Nix uses
//     ~/.cache/nix/gitv3; ours is separate because we keep no fetcher
//     cache beside it), named by the SHA-256 of the URL; a ref fetched less
//     than tarball-ttl ago is not fetched again.
//
// Nix's fetcher cache (fetcher-cache-v1.sqlite) is not kept: a local
// repository is asked again each time, which is cheap, and a remote one
// is not fetched when its cache repository already has the rev.

// gitInitialBranch is the branch Nix gives its bare cache repositories;
// only its presence matters (it silences git init's hint).
const gitInitialBranch = "__nix_dummy_branch"

// defaultTarballTTL is Nix's tarball-ttl setting (seconds), which also
// decides when a cached Git ref is fetched again.
const defaultTarballTTL = 3600

// gitFetched is what the Git fetcher hands back to Input::fetch: the
// store path, its NAR hash, and the input with rev, ref, revCount and
// lastModified filled in.
type gitFetched struct {
	path    string
	narHash hash.Hash
	in      input
}

// fetchGitInput is Input::fetch for a Git input after its store
// shortcut: the scheme's fetch (under the "while fetching the input"
// trace), then the checks of the result against what the input pinned.
func (st *State) fetchGitInput(in input) gitFetched {
	r := func() gitFetched {
		defer st.traceGuard(len(st.traces), ast.Pos{}, "while fetching the input '"+in.toURL()+"'")
		return st.gitSchemeFetch(in)
	}()
	if want, ok := in.narHash(); ok && !want.Equal(r.narHash) {
		failNoPos("NAR hash mismatch in input '%s' (%s), expected '%s', got '%s'",
			in.toURL(), r.path, want.SRI(), r.narHash.SRI())
	}
	if want, ok := in.attrs.integer("lastModified"); ok {
		if got, _ := r.in.attrs.integer("lastModified"); got != want {
			failNoPos("'lastModified' attribute mismatch in input '%s', expected %d", r.in.toURL(), want)
		}
	}
	if want, ok := in.attrs.integer("revCount"); ok {
		if got, has := r.in.attrs.integer("revCount"); !has || got != want {
			failNoPos("'revCount' attribute mismatch in input '%s', expected %d", r.in.toURL(), want)
		}
	}
	r.in.attrs.set("narHash", strAttr(r.narHash.SRI()))
	return r
}

// gitSchemeFetch is GitInputScheme::fetch.
func (st *State) gitSchemeFetch(orig input) gitFetched {
	in := input{attrs: inputAttrs{}}
	for k, v := range orig.attrs {
		in.attrs[k] = v
	}
	name := in.attrs.name()
	shallow, _ := in.attrs.boolean("shallow")
	submodules, _ := in.attrs.boolean("submodules")
	allRefs, _ := in.attrs.boolean("allRefs")

	u := mustParseURL(in.attrs.getStr("url"))
	isBare := false
	if u.scheme == "file" {
		_, err := os.Lstat(u.path + "/.git")
		isBare = err != nil
	}
	forceHTTP, _ := st.opts.Getenv("_NIX_FORCE_HTTP")
	isLocal := u.scheme == "file" && forceHTTP != "1" && !isBare
	actualURL := u.base
	if isLocal {
		actualURL = u.path
	}

	_, hasRef := in.attrs.str("ref")
	_, hasRev := in.rev()
	if !hasRef && !hasRev && isLocal {
		if r, dirty := st.gitDirtyTree(in, name, actualURL, submodules); dirty {
			return r
		}
	}

	if !hasRef {
		ref := "master"
		if isLocal {
			ref = strings.TrimSuffix(st.runGit(nil, "-C", actualURL, "rev-parse", "--abbrev-ref", "HEAD"), "\n")
		}
		in.attrs.set("ref", strAttr(ref))
	}
	ref := in.attrs.getStr("ref")

	repoDir := actualURL
	if isLocal {
		if !hasRev {
			in.attrs.set("rev", strAttr(parseGitRev(st.runGit(nil, "-C", actualURL, "rev-parse", ref))))
		}
	} else {
		repoDir = st.gitCacheRepo(in, actualURL, ref, allRefs)
	}
	rev, _ := in.rev()
	revHex := rev.Base16()

	if strings.TrimSpace(st.runGit(nil, "-C", repoDir, "rev-parse", "--is-shallow-repository")) == "true" && !shallow {
		failNoPos("'%s' is a shallow Git repository, but a non-shallow repository is needed", actualURL)
	}

	out, code := st.gitCombined(nil, "-C", repoDir, "cat-file", "commit", revHex)
	if code == 128 && strings.Contains(out, "bad file") {
		failNoPos("Cannot find Git revision '%s' in ref '%s' of repository '%s'! Please make sure that the rev exists on the ref you've specified or add allRefs = true; to fetchGit.",
			revHex, ref, actualURL)
	}

	tmpDir, err := os.MkdirTemp("", "gonix-git-")
	if err != nil {
		failNoPos("creating temporary directory: %s", err)
	}
	defer os.RemoveAll(tmpDir)
	var filter func(path, typ string) bool
	if submodules {
		st.gitCheckoutWithSubmodules(repoDir, actualURL, revHex, tmpDir)
		filter = func(p, _ string) bool { return filepath.Base(p) != ".git" }
	} else {
		st.gitArchive(repoDir, revHex, tmpDir)
	}
	p, narHash := st.addGitTree(tmpDir, name, filter)

	lastModified := parseGitUint(st.runGit(nil, "-C", repoDir, "log", "-1", "--format=%ct", "--no-show-signature", revHex))
	in.attrs.set("lastModified", inputAttr{kind: attrInt, n: lastModified})
	if !shallow {
		n := parseGitUint(st.runGit(nil, "-C", repoDir, "rev-list", "--count", revHex))
		in.attrs.set("revCount", inputAttr{kind: attrInt, n: n})
	}
	return gitFetched{path: p, narHash: narHash, in: in}
}

// gitDirtyTree handles a local working tree named without ref and rev:
// it reports dirty=false when the tree is clean (the commit at HEAD is
// then fetched like any other), and otherwise copies the tracked files.
func (st *State) gitDirtyTree(in input, name, actualURL string, submodules bool) (gitFetched, bool) {
	// LC_ALL=C: the answer is told apart by git's message.
	out, code := st.gitCombined([]string{"LC_ALL=C"}, "-C", actualURL, "--git-dir=.git", "rev-parse", "--verify", "--no-revs", "HEAD^{commit}")
	switch {
	case strings.Contains(out, "fatal: not a git repository"):
		failNoPos("'%s' is not a Git repository", actualURL)
	case strings.Contains(out, "fatal: Needed a single revision"):
		// no commit yet: dirty
	case code != 0:
		failNoPos("getting the HEAD of the Git tree '%s' failed with exit code %d:\n%s", actualURL, code, out)
	}
	hasHead := code == 0
	if hasHead {
		args := []string{"-C", actualURL, "diff", "HEAD", "--quiet"}
		if !submodules {
			// Changes in submodules only count when they are copied.
			args = append(args, "--ignore-submodules")
		}
		args = append(args, "--")
		code := st.gitStatus(args...)
		switch code {
		case 0:
			return gitFetched{}, false
		case 1:
		default:
			failNoPos("program 'git' failed with exit code %d", code)
		}
	}

	// allow-dirty and warn-dirty are true by default in Nix; this build
	// has no way to change them.
	writeWarning(st.stderr, "Git tree '%s' is dirty", actualURL)

	args := []string{"-C", actualURL, "ls-files", "-z"}
	if submodules {
		args = append(args, "--recurse-submodules")
	}
	var files []string
	for _, f := range strings.Split(st.runGit(nil, args...), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	actualPath := filepath.Clean(actualURL)
	filter := func(p, typ string) bool {
		file, ok := strings.CutPrefix(p, actualPath+"/")
		if !ok {
			return false
		}
		if typ == string(nar.TypeDirectory) {
			prefix := file + "/"
			i := sort.SearchStrings(files, prefix)
			return i < len(files) && strings.HasPrefix(files[i], prefix)
		}
		i := sort.SearchStrings(files, file)
		return i < len(files) && files[i] == file
	}
	p, narHash := st.addGitTree(actualPath, name, filter)

	// Nix's own FIXME: the time of HEAD, not of the newest change.
	var lastModified uint64
	if hasHead {
		lastModified = parseGitUint(st.runGit(nil, "-C", actualPath, "log", "-1", "--format=%ct", "--no-show-signature", "HEAD"))
	}
	out2 := input{attrs: inputAttrs{}}
	for k, v := range in.attrs {
		out2.attrs[k] = v
	}
	out2.attrs.set("lastModified", inputAttr{kind: attrInt, n: lastModified})
	return gitFetched{path: p, narHash: narHash, in: out2}, true
}

// gitCacheRepo brings ref (or the pinned rev) of the remote repository
// at actualURL into its bare cache repository and returns that
// repository's directory; the input's rev is set from the fetched ref
// when none was given.
func (st *State) gitCacheRepo(in input, actualURL, ref string, allRefs bool) string {
	root := st.gitCacheRoot()
	sum := sha256.Sum256([]byte(actualURL))
	cacheDir := filepath.Join(root, nixbase32.EncodeToString(sum[:]))
	if err := os.MkdirAll(root, 0o755); err != nil {
		failNoPos("creating directory '%s': %s", root, errnoText(err))
	}
	unlock := lockFile(cacheDir + ".lock")
	defer unlock()

	if _, err := os.Stat(cacheDir); err != nil {
		st.runGit(nil, "-c", "init.defaultBranch="+gitInitialBranch, "init", "--quiet", "--bare", cacheDir)
	}
	localRefFile := filepath.Join(cacheDir, "refs", "heads", ref)
	if strings.HasPrefix(ref, "refs/") {
		localRefFile = filepath.Join(cacheDir, ref)
	}

	now := time.Now()
	var doFetch bool
	if rev, ok := in.rev(); ok {
		doFetch = st.gitStatus("-C", cacheDir, "cat-file", "-e", rev.Base16()) != 0
	} else if allRefs {
		doFetch = true
	} else {
		fi, err := os.Stat(localRefFile)
		doFetch = err != nil || fi.ModTime().Unix()+defaultTarballTTL <= now.Unix()
	}

	if doFetch {
		fetchRef := "refs/heads/" + ref
		switch {
		case allRefs:
			fetchRef = "refs/*"
		case strings.HasPrefix(ref, "refs/"), ref == "HEAD":
			fetchRef = ref
		}
		if code := st.gitStatus("-C", cacheDir, "fetch", "--quiet", "--force", "--", actualURL, fetchRef+":"+fetchRef); code != 0 {
			if _, err := os.Stat(localRefFile); err != nil {
				failNoPos("program 'git' failed with exit code %d", code)
			}
			writeWarning(st.stderr, "could not update local clone of Git repository '%s'; continuing with the most recent version", actualURL)
		}
		// Nix ignores a failure here too (a ref fetched by allRefs may be
		// packed).
		_ = os.Chtimes(localRefFile, now, now)
	}

	if _, ok := in.rev(); !ok {
		data, err := os.ReadFile(localRefFile)
		if err != nil {
			failNoPos("opening file '%s': %s", localRefFile, errnoText(err))
		}
		in.attrs.set("rev", strAttr(parseGitRev(string(data))))
	}
	return cacheDir
}

// gitCacheRoot is $XDG_CACHE_HOME/gonix/gitv3, or ~/.cache/gonix/gitv3.
func (st *State) gitCacheRoot() string {
	if d, ok := st.opts.Getenv("XDG_CACHE_HOME"); ok && d != "" {
		return filepath.Join(d, "gonix", "gitv3")
	}
	home, ok := st.opts.Getenv("HOME")
	if !ok || home == "" {
		home = st.opts.Home
	}
	if home == "" {
		failNoPos("cannot find the cache directory for Git repositories: neither XDG_CACHE_HOME nor HOME is set")
	}
	return filepath.Join(home, ".cache", "gonix", "gitv3")
}

// lockFile takes an exclusive lock on path (created if needed), as Nix's
// PathLocks does for the cache repository, and returns its release.
func lockFile(path string) func() {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		failNoPos("opening lock file '%s': %s", path, errnoText(err))
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		failNoPos("acquiring lock on '%s': %s", path, errnoText(err))
	}
	return func() { f.Close() }
}

// gitArchive exports the tree of rev into dir through git archive, as
// Nix does (so export-ignore and export-subst attributes apply).
func (st *State) gitArchive(repoDir, rev, dir string) {
	cmd := exec.Command("git", "-C", repoDir, "archive", rev)
	cmd.Stderr = st.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		failNoPos("running git: %s", err)
	}
	if err := cmd.Start(); err != nil {
		failNoPos("executing 'git': %s", errnoText(err))
	}
	xerr := extractTar(out, dir)
	if xerr != nil {
		cmd.Process.Kill()
	}
	werr := cmd.Wait()
	if werr != nil {
		failNoPos("%s", programFailure(werr))
	}
	if xerr != nil {
		failNoPos("%s", xerr.Error())
	}
}

// gitCheckoutWithSubmodules is Nix's checkout for submodules = true: a
// fresh repository with its git directory elsewhere, every ref of
// repoDir fetched into it, rev checked out and the submodules updated
// from URLs relative to actualURL.
func (st *State) gitCheckoutWithSubmodules(repoDir, actualURL, rev, dir string) {
	gitDir, err := os.MkdirTemp("", "gonix-git-dir-")
	if err != nil {
		failNoPos("creating temporary directory: %s", err)
	}
	defer os.RemoveAll(gitDir)
	st.runGit(nil, "-c", "init.defaultBranch="+gitInitialBranch, "init", "--quiet", dir, "--separate-git-dir", gitDir)
	st.runGit(nil, "-C", dir, "fetch", "--quiet", "--force", "--update-head-ok", "--", repoDir, "refs/*:refs/*")
	st.runGit(nil, "-C", dir, "checkout", "--quiet", rev)
	st.runGit(nil, "-C", dir, "remote", "add", "origin", actualURL)
	st.runGit(nil, "-C", dir, "submodule", "--quiet", "update", "--init", "--recursive")
}

// addGitTree adds dir to the store as name and returns the path and its
// NAR hash (which Nix reads back from the store's path info).
func (st *State) addGitTree(dir, name string, filter func(path, typ string) bool) (string, hash.Hash) {
	p, err := st.store.AddSourcePath(dir, name, true, filter)
	if err != nil {
		failNoPos("%s", err.Error())
	}
	var nf nar.Filter
	if filter != nil {
		nf = func(p string, typ nar.Type) bool { return filter(p, string(typ)) }
	}
	sum, _, err := nar.HashPath(dir, nf)
	if err != nil {
		failNoPos("%s", err.Error())
	}
	return p, hash.Hash{Algo: hash.SHA256, Digest: sum}
}

// runGit runs git and returns its standard output; its standard error
// goes to the evaluator's, and a failure is Nix's runProgram error.
func (st *State) runGit(env []string, args ...string) string {
	cmd := exec.Command("git", args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stderr = st.stderr
	out, err := cmd.Output()
	if err != nil {
		failNoPos("%s", programFailure(err))
	}
	return string(out)
}

// gitStatus runs git for its exit status alone (standard error passed
// on); it fails only when git could not be run or was killed.
func (st *State) gitStatus(args ...string) int {
	cmd := exec.Command("git", args...)
	cmd.Stderr = st.stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitCode()
	}
	failNoPos("%s", programFailure(err))
	return 0
}

// gitCombined runs git with standard error merged into its output and
// returns that output and the exit status.
func (st *State) gitCombined(env []string, args ...string) (string, int) {
	cmd := exec.Command("git", args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return buf.String(), 0
	case errors.As(err, &ee) && ee.Exited():
		return buf.String(), ee.ExitCode()
	}
	failNoPos("%s", programFailure(err))
	return "", 0
}

// programFailure words a failed git run as Nix's runProgram does.
func programFailure(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("program 'git' failed due to signal %d (%s)", int(ws.Signal()), ws.Signal())
		}
		return fmt.Sprintf("program 'git' failed with exit code %d", ee.ExitCode())
	}
	return fmt.Sprintf("executing 'git': %s", errnoText(err))
}

// parseGitRev is Hash::parseAny(s, htSHA1).gitRev() on git's answer.
func parseGitRev(s string) string {
	s = strings.TrimSuffix(s, "\n")
	h, err := hash.ParsePrefixed(s)
	if err != nil {
		if h, err = hash.Parse(s, hash.SHA1); err != nil {
			failNoPos("%s", err.Error())
		}
	}
	return h.Base16()
}

// parseGitUint is std::stoull on git's answer.
func parseGitUint(s string) uint64 {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		failNoPos("stoull")
	}
	return n
}
