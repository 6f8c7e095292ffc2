package eval

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gonix/internal/testutil"
)

// gitFixture builds the repositories the fetchGit tests read, with fixed
// names and dates so that revs and hashes are the same on every run:
//
//	repo   main: commit 1 (f, run executable, lnk -> f, sub/x), commit 2
//	       (f changed); branch dev at commit 1
//	bare.git  a bare clone of repo (a remote stand-in: Nix fetches it into
//	       its cache repository like an https:// URL)
//	dirty  a clone of repo with f modified and an untracked file
//	fresh  no commit yet, one file added to the index
//
// It returns the directory and the environment git ran with.
func gitFixture(t *testing.T) (string, []string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		testutil.Missing(t, "git", err)
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	env := append(os.Environ(),
		"HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.org",
		"GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.org",
	)
	git := func(date string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(env, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	write := func(name, body string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	const d1, d2 = "2001-09-09T01:46:40Z", "2001-09-10T00:00:00Z"
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	git(d1, "init", "-q", "-b", "main", "repo")
	write("repo/f", "hi\n", 0o644)
	write("repo/run", "#!/bin/sh\n", 0o755)
	write("repo/sub/x", "x\n", 0o644)
	if err := os.Symlink("f", filepath.Join(dir, "repo/lnk")); err != nil {
		t.Fatal(err)
	}
	git(d1, "-C", "repo", "add", "-A")
	git(d1, "-C", "repo", "commit", "-q", "-m", "one")
	git(d1, "-C", "repo", "branch", "dev")
	write("repo/f", "hello\n", 0o644)
	git(d2, "-C", "repo", "commit", "-q", "-a", "-m", "two")
	git(d2, "clone", "-q", "--bare", "repo", "bare.git")
	git(d2, "clone", "-q", "repo", "dirty")
	write("dirty/f", "changed\n", 0o644)
	write("dirty/untracked", "u\n", 0o644)
	git(d2, "init", "-q", "-b", "main", "fresh")
	write("fresh/a", "a\n", 0o644)
	write("fresh/b", "not added\n", 0o644)
	git(d2, "-C", "fresh", "add", "a")
	return dir, env
}

// gitCases: $D is gitFixture's directory. Each expression is wrapped so
// that --json prints every attribute of the result, outPath included.
var gitCases = []string{
	`fetchGit $D/repo`,
	`fetchGit "$D/repo"`,
	`fetchGit { url = $D/repo; ref = "dev"; }`,
	`fetchGit { url = $D/repo; ref = "refs/heads/dev"; }`,
	`fetchGit { url = $D/repo; rev = "$REV1"; }`,
	`fetchGit { url = $D/repo; ref = "main"; rev = "$REV1"; name = "pinned"; }`,
	`fetchGit { url = $D/repo; name = "other"; }`,
	`fetchGit { url = $D/repo; rev = "1234567890123456789012345678901234567890"; }`,
	`fetchGit { url = $D/repo; ref = "nosuch"; }`,
	`fetchGit $D/dirty`,
	`fetchGit { url = $D/dirty; name = "d"; }`,
	`fetchGit { url = $D/dirty; ref = "main"; }`,
	`fetchGit $D/fresh`,
	`fetchGit "file://$D/bare.git"`,
	`fetchGit { url = "file://$D/bare.git"; ref = "main"; }`,
	`fetchGit { url = "file://$D/bare.git"; ref = "dev"; }`,
	`fetchGit { url = "file://$D/bare.git"; ref = "main"; rev = "$REV1"; }`,
	`fetchGit { url = "file://$D/bare.git"; allRefs = true; rev = "$REV1"; }`,
	`fetchGit { url = "file://$D/bare.git"; ref = "main"; rev = "1234567890123456789012345678901234567890"; }`,
	`fetchGit { url = "file://$D/bare.git"; ref = "main"; narHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; }`,
	`fetchGit { url = $D/repo; ref = "main"; revCount = 7; }`,
	`fetchGit { url = $D/repo; ref = "main"; lastModified = 7; }`,
	`fetchGit $D/nosuch`,
}

func gitCaseExpr(c, dir, rev1 string) string {
	c = strings.NewReplacer("$D", dir, "$REV1", rev1).Replace(c)
	return `let r = ` + c + `; in removeAttrs r [ "outPath" ] // { out = r.outPath; }`
}

// evalGitJSON evaluates expr as nix-instantiate --eval --strict --json
// would, with the Git cache under cache, and returns the output (or the
// error line) and what went to stderr.
func evalGitJSON(t *testing.T, dir, cache, expr string) (string, string) {
	t.Helper()
	var stderr bytes.Buffer
	getenv := func(k string) (string, bool) {
		if k == "XDG_CACHE_HOME" {
			return cache, true
		}
		return "", false
	}
	st := New(Options{Stderr: &stderr, Getenv: getenv})
	v, err := evalDeep(t, st, expr, dir)
	if err != nil {
		var ee *Error
		if errors.As(err, &ee) {
			return "error: " + ee.Msg, stderr.String()
		}
		return "error: " + err.Error(), stderr.String()
	}
	var out strings.Builder
	if err := st.PrintJSON(&out, v, true); err != nil {
		t.Fatal(err)
	}
	return out.String(), stderr.String()
}

// gitRevParse returns the commit rev names in repo.
func gitRevParse(t *testing.T, env []string, repo, rev string) string {
	t.Helper()
	cmd := exec.Command("git", "-C", repo, "rev-parse", rev)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git rev-parse %s: %v", rev, err)
	}
	return strings.TrimSpace(string(out))
}

// TestFetchGitOracle runs every gitCase through real Nix 2.8 (a fresh
// chroot store, its own HOME and cache) and through gonix, and compares
// the JSON output and the first line of stderr (warning or error).
func TestFetchGitOracle(t *testing.T) {
	nix := nixOracle(t)
	dir, env := gitFixture(t)
	rev1 := gitRevParse(t, env, filepath.Join(dir, "repo"), "dev")
	nixHome, store, cache := t.TempDir(), t.TempDir(), t.TempDir()
	for _, c := range gitCases {
		expr := gitCaseExpr(c, dir, rev1)
		cmd := exec.Command(nix, "--eval", "--strict", "--json", "--store", store, "--read-write-mode",
			"--option", "substituters", "", "-E", expr)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+nixHome, "XDG_CACHE_HOME="+nixHome+"/.cache")
		var nixOut, nixErr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &nixOut, &nixErr
		cmd.Run()
		wantOut := strings.TrimSuffix(nixOut.String(), "\n")
		wantErr, _, _ := strings.Cut(nixErr.String(), "\n")
		// Nix names the chroot store's real directory in some errors.
		wantErr = strings.ReplaceAll(wantErr, store+"/nix/store/", "/nix/store/")

		got, stderr := evalGitJSON(t, dir, cache, expr)
		gotOut := got
		if strings.HasPrefix(got, "error: ") {
			gotOut, stderr = "", stderr+got
		}
		gotErr, _, _ := strings.Cut(stderr, "\n")
		if gotOut != wantOut || gotErr != wantErr {
			t.Errorf("%s\n gonix: %s\n        %s\n   nix: %s\n        %s", c, gotOut, gotErr, wantOut, wantErr)
		}
	}
}

// The results of gitFixture measured with Nix 2.8 (TestFetchGitOracle
// re-measures them); this test needs git only.
const (
	gitRevMain = "f108a2d4ad6b529042d1c00f9eeba98b6a9d4793"
	gitRevDev  = "c76e49824258e3e151083f7219420d26f5b43926"
	gitMainOut = `{"lastModified":1000080000,"lastModifiedDate":"20010910000000","narHash":"sha256-2tdWv37JEReT4xQsxfJBdNvCQ6rOZBwhPC1iFhoB1Cg=","out":"/nix/store/y2abgdslfjl062kjdzgvjggnxb5g47vd-source","rev":"f108a2d4ad6b529042d1c00f9eeba98b6a9d4793","revCount":2,"shortRev":"f108a2d","submodules":false}`
	gitDevOut  = `{"lastModified":1000000000,"lastModifiedDate":"20010909014640","narHash":"sha256-KxroAQPlbIGEPliE78NwGakzYkPPOwIyZq2vSrCGlmM=","out":"/nix/store/hg89562s0vnpkmky2ng0wvaaqip5m422-source","rev":"c76e49824258e3e151083f7219420d26f5b43926","revCount":1,"shortRev":"c76e498","submodules":false}`
)

func TestFetchGit(t *testing.T) {
	dir, env := gitFixture(t)
	if got := gitRevParse(t, env, filepath.Join(dir, "repo"), "main"); got != gitRevMain {
		t.Fatalf("fixture rev %s, want %s (the fixture changed?)", got, gitRevMain)
	}
	cache := t.TempDir()
	for _, c := range []struct{ expr, out, stderr string }{
		{`fetchGit $D/repo`, gitMainOut, ""},
		{`fetchGit { url = $D/repo; ref = "dev"; }`, gitDevOut, ""},
		{`fetchGit { url = $D/repo; rev = "$REV1"; }`, gitDevOut, ""},
		{`fetchGit { url = $D/repo; name = "other"; }`,
			strings.Replace(gitMainOut, "y2abgdslfjl062kjdzgvjggnxb5g47vd-source", "apnz3wdin7sibxf8gzh1ychlbndhaxvv-other", 1), ""},
		{`fetchGit $D/dirty`,
			`{"lastModified":1000080000,"lastModifiedDate":"20010910000000","narHash":"sha256-S6QIPIZOTlQmIfT7UAtrup8PVXMFDCKj1fWc9X9gcXE=","out":"/nix/store/69l03vviqyr9qpzk1kwnciq0mpgwm2gj-source","rev":"0000000000000000000000000000000000000000","revCount":0,"shortRev":"0000000","submodules":false}`,
			"warning: Git tree '$D/dirty' is dirty\n"},
		{`fetchGit $D/fresh`,
			`{"lastModified":0,"lastModifiedDate":"19700101000000","narHash":"sha256-ZC9jnmoT/hJWt2mz/0FE9wqQ0718VSOdPlkpQKJXNLg=","out":"/nix/store/57pmlkh2njpgdr5bgbbsxxiwdh5dp5w7-source","rev":"0000000000000000000000000000000000000000","revCount":0,"shortRev":"0000000","submodules":false}`,
			"warning: Git tree '$D/fresh' is dirty\n"},
		{`fetchGit { url = "file://$D/bare.git"; ref = "main"; }`, gitMainOut, ""},
		{`fetchGit { url = "file://$D/bare.git"; allRefs = true; rev = "$REV1"; }`, gitDevOut, ""},
		{`fetchGit { url = $D/repo; rev = "1234567890123456789012345678901234567890"; }`,
			"error: Cannot find Git revision '1234567890123456789012345678901234567890' in ref 'main' of repository '$D/repo'! Please make sure that the rev exists on the ref you've specified or add allRefs = true; to fetchGit.", ""},
	} {
		expr := gitCaseExpr(c.expr, dir, gitRevDev)
		got, stderr := evalGitJSON(t, dir, cache, expr)
		want := strings.ReplaceAll(c.out, "$D", dir)
		wantErr := strings.ReplaceAll(c.stderr, "$D", dir)
		if got != want || stderr != wantErr {
			t.Errorf("%s\n got: %s\n     %q\nwant: %s\n     %q", c.expr, got, stderr, want, wantErr)
		}
	}
}

// A remote ref fetched less than tarball-ttl ago, and a pinned rev the
// cache repository already has, are used without asking the remote
// again: here the remote is gone.
func TestFetchGitCacheRepo(t *testing.T) {
	dir, _ := gitFixture(t)
	cache := t.TempDir()
	first := []string{
		`fetchGit { url = "file://$D/bare.git"; ref = "main"; }`,
		`fetchGit { url = "file://$D/bare.git"; ref = "dev"; rev = "$REV1"; }`,
	}
	for _, c := range first {
		if got, _ := evalGitJSON(t, dir, cache, gitCaseExpr(c, dir, gitRevDev)); strings.HasPrefix(got, "error") {
			t.Fatalf("%s: %s", c, got)
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, "bare.git")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ expr, want string }{
		{first[0], gitMainOut},
		{`fetchGit { url = "file://$D/bare.git"; ref = "main"; rev = "$REV1"; }`, gitDevOut},
	} {
		if got, stderr := evalGitJSON(t, dir, cache, gitCaseExpr(c.expr, dir, gitRevDev)); got != c.want {
			t.Errorf("%s\n got: %s %s\nwant: %s", c.expr, got, stderr, c.want)
		}
	}
	ents, err := os.ReadDir(filepath.Join(cache, "gonix", "gitv3"))
	if err != nil || len(ents) != 2 { // the repository and its lock file
		t.Errorf("cache directory: %v %v", ents, err)
	}
}
