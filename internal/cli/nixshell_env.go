package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"gonix/internal/build"
	"gonix/internal/format/derivation"
	"gonix/internal/store/local"
)

// shellSession is what nix-shell has once the inputs are realised.
type shellSession struct {
	drvPath                string
	drv                    *derivation.Derivation
	store                  *local.Store
	shell                  string // absolute, or a name looked up on PATH
	storeDir, realStoreDir string
	cores                  int
}

// shellEnviron is the shell's environment as 2.8 builds it: the caller's
// (only the kept variables with --pure), the temporary directories, then
// the derivation's variables (passAsFile ones as files in tmpDir). It
// reports whether tmpDir holds files the shell needs (then the rcfile
// removes it at exit, not at start) and, for a derivation with structured
// attributes, the .attrs.sh text the rcfile sources as Nix's does.
func shellEnviron(e *Env, o *shellOptions, s shellSession, environ []string, tmpDir string) (map[string]string, bool, string, error) {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if !o.pure || o.keep[k] {
			env[k] = v
		}
	}
	env["IN_NIX_SHELL"] = "impure"
	if o.pure {
		env["IN_NIX_SHELL"] = "pure"
		// NixOS hack: keep /etc/bashrc from sourcing /etc/profile.
		env["__ETC_PROFILE_SOURCED"] = "1"
	}
	tmp, ok := e.LookupEnv("TMPDIR")
	if !ok {
		tmp, ok = e.LookupEnv("XDG_RUNTIME_DIR")
		if !ok {
			tmp = "/tmp"
		}
	}
	for _, k := range []string{"NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP"} {
		env[k] = tmp
	}
	env["NIX_STORE"] = s.storeDir
	env["NIX_BUILD_CORES"] = strconv.Itoa(s.cores)
	passAsFile := map[string]bool{}
	for _, n := range strings.Fields(s.drv.Env["passAsFile"]) {
		passAsFile[n] = true
	}
	keepTmp := false
	fileNr := 0
	for _, k := range sortedKeys(s.drv.Env) {
		v := s.drv.Env[k]
		if !passAsFile[k] {
			env[k] = v
			continue
		}
		keepTmp = true
		p := filepath.Join(tmpDir, ".attr-"+strconv.Itoa(fileNr))
		fileNr++
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			return nil, false, "", fmt.Errorf("nix-shell: writing '%s': %w", p, err)
		}
		env[k+"Path"] = p
	}
	var attrsRC string
	if s.store != nil {
		rc, err := build.ShellStructuredAttrs(e.Ctx(), s.store, s.drvPath, s.drv, tmpDir, env)
		if err != nil {
			return nil, false, "", err
		}
		if rc != "" {
			attrsRC, keepTmp = rc, true
		}
	}
	return env, keepTmp, attrsRC, nil
}

// shellRC is the rcfile 2.8 writes: clean up tmpDir, keep the caller's
// PATH (impure), source $stdenv/setup, put the shell's directory first on
// PATH, set the prompt, run shellHook, then the command. gonix adds one
// thing: gonixpkgs' stdenv passes its setup script as $stdenvSetup (it has
// no $stdenv/setup), which is sourced when $stdenv/setup does not exist,
// and the strict modes it turns on (-u, pipefail) are turned off again;
// and the caller's PATH is kept in __nix_shell_p, not Nix's p, which
// gonixpkgs' setup uses as a loop variable.
func shellRC(o *shellOptions, shell, tmpDir string, keepTmp bool, attrsRC, tz string, hasTZ bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "_nix_shell_clean_tmpdir() { command rm -rf %s; }; ", shellEscape(tmpDir))
	if keepTmp {
		sb.WriteString("trap _nix_shell_clean_tmpdir EXIT; exitHooks+=(_nix_shell_clean_tmpdir); failureHooks+=(_nix_shell_clean_tmpdir); ")
	} else {
		sb.WriteString("_nix_shell_clean_tmpdir; ")
	}
	if !o.pure {
		sb.WriteString(`[ -n "$PS1" ] && [ -e ~/.bashrc ] && source ~/.bashrc;`)
		sb.WriteString("__nix_shell_p=$PATH; ")
	}
	sb.WriteString("unset PATH;dontAddDisableDepTrack=1;\n")
	sb.WriteString(attrsRC)
	sb.WriteString("\n[ -e $stdenv/setup ] && source $stdenv/setup; ")
	sb.WriteString(`if [ ! -e "$stdenv/setup" ] && [ -n "$stdenvSetup" ] && [ -e "$stdenvSetup" ]; then source "$stdenvSetup"; set +u +o pipefail; fi; `)
	if !o.pure {
		sb.WriteString("PATH=$PATH:$__nix_shell_p; unset __nix_shell_p; ")
	}
	dir := filepath.Dir(shell)
	fmt.Fprintf(&sb, "PATH=%s:\"$PATH\"; ", shellEscape(dir))
	fmt.Fprintf(&sb, "SHELL=%s; BASH=%s; ", shellEscape(shell), shellEscape(shell))
	sb.WriteString("set +e; ")
	sb.WriteString(`[ -n "$PS1" -a -z "$NIX_SHELL_PRESERVE_PROMPT" ] && PS1='\n\[\033[1;32m\][nix-shell:\w]\$\[\033[0m\] '; `)
	sb.WriteString(`if [ "$(type -t runHook)" = function ]; then runHook shellHook; fi; `)
	sb.WriteString("unset NIX_ENFORCE_PURITY; shopt -u nullglob; unset TZ; ")
	if hasTZ {
		fmt.Fprintf(&sb, "export TZ=%s; ", shellEscape(tz))
	}
	sb.WriteString("shopt -s execfail;")
	sb.WriteString(o.envCommand)
	return sb.String()
}

// enterShell writes the rcfile and runs the shell with the environment,
// returning its exit status. Nix execs the shell; gonix runs it as a child
// and waits (so a chroot store can be mounted for it first and tests can
// run nix-shell in-process), ignoring the terminal's interrupts meanwhile
// since the shell handles them.
func enterShell(e *Env, o *shellOptions, s shellSession) (int, error) {
	base := os.TempDir()
	if d, ok := e.LookupEnv("TMPDIR"); ok && d != "" {
		base = d
	}
	tmpDir, err := os.MkdirTemp(base, "nix-shell-")
	if err != nil {
		return 1, fmt.Errorf("nix-shell: creating a temporary directory: %w", err)
	}
	environ := os.Environ()
	if e.LookupEnv != nil {
		environ = environOf(e, environ)
	}
	env, keepTmp, attrsRC, err := shellEnviron(e, o, s, environ, tmpDir)
	if err != nil {
		os.RemoveAll(tmpDir)
		return 1, err
	}
	tz, hasTZ := e.LookupEnv("TZ")
	rc := filepath.Join(tmpDir, "rc")
	if err := os.WriteFile(rc, []byte(shellRC(o, s.shell, tmpDir, keepTmp, attrsRC, tz, hasTZ)), 0o600); err != nil {
		os.RemoveAll(tmpDir)
		return 1, fmt.Errorf("nix-shell: writing the rcfile: %w", err)
	}
	// The shell removes tmpDir itself; this covers a shell that never ran.
	defer os.RemoveAll(tmpDir)
	argv := []string{"bash", rc}
	if o.interactive {
		argv = []string{"bash", "--rcfile", rc}
	}
	envList := make([]string, 0, len(env))
	for _, k := range sortedKeys(env) {
		envList = append(envList, k+"="+env[k])
	}
	var cmd *exec.Cmd
	if s.realStoreDir != s.storeDir {
		// A chroot store: the shell sees the store at its logical place
		// in a private mount namespace (as "nix run" does in Nix).
		self, err := os.Executable()
		if err != nil {
			return 1, fmt.Errorf("nix-shell: finding gonix's own executable: %w", err)
		}
		// An empty directory the child may build a root in, when the
		// logical store directory does not exist on the host.
		rootDir, err := os.MkdirTemp(base, "nix-shell-root-")
		if err != nil {
			return 1, fmt.Errorf("nix-shell: creating a temporary directory: %w", err)
		}
		defer os.Remove(rootDir)
		cmd = exec.Command(self, append([]string{shellChildArg, s.realStoreDir, s.storeDir, rootDir, s.shell}, argv...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS}
		if uid, gid := os.Geteuid(), os.Getegid(); uid != 0 {
			cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
			cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
			cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
			cmd.SysProcAttr.GidMappingsEnableSetgroups = false
			cmd.SysProcAttr.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN}
		}
	} else {
		path := s.shell
		if !strings.Contains(path, "/") {
			if p, err := lookPathIn(path, env["PATH"]); err == nil {
				path = p
			}
		}
		cmd = &exec.Cmd{Path: path, Args: argv}
	}
	cmd.Env = envList
	cmd.Dir = e.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.Stdin, e.Stdout, e.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 1, fmt.Errorf("executing shell '%s': %w", s.shell, err)
}

// environOf is the process environment as e sees it: the names of environ
// looked up through e (tests give commands an environment of their own).
func environOf(e *Env, environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := e.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

// lookPathIn finds an executable named name in the directories of path.
func lookPathIn(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("'%s' not found on PATH", name)
}

// shellChildArg re-executes gonix as the shell's starter inside the new
// mount namespace of a chroot store.
const shellChildArg = "__gonix-shell-chroot"

// ShellChildMain binds the chroot store's real directory onto its logical
// one in this process's (new, private) mount namespace, then becomes the
// shell. When the logical directory does not exist on the host (no /nix),
// it builds a root instead, as Nix's "nix run" does for chroot stores: a
// tmpfs on rootDir holding bind mounts of every directory of / (and copies
// of its links) plus the store, and chroots into it. args: real store dir,
// store dir, rootDir, shell, shell's argv.
func ShellChildMain(args []string) int {
	if len(args) < 5 {
		fmt.Fprintln(os.Stderr, "error: gonix: bad nix-shell namespace arguments")
		return 1
	}
	real, storeDir, rootDir, shell, argv := args[0], args[1], args[2], args[3], args[4:]
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "error: "+format+"\n", a...)
		return 1
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fail("making the mount namespace private: %v", err)
	}
	if st, err := os.Stat(storeDir); err == nil && st.IsDir() {
		if err := unix.Mount(real, storeDir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fail("binding the chroot store '%s' onto '%s' for the shell: %v", real, storeDir, err)
		}
	} else if err := chrootWithStore(real, storeDir, rootDir); err != nil {
		return fail("nix-shell: a root with the store at '%s': %v", storeDir, err)
	}
	if !strings.Contains(shell, "/") {
		p, err := lookPathIn(shell, os.Getenv("PATH"))
		if err != nil {
			return fail("executing shell '%s': %v", shell, err)
		}
		shell = p
	}
	err := unix.Exec(shell, argv, os.Environ())
	return fail("executing shell '%s': %v", shell, err)
}

// chrootWithStore makes rootDir a copy of / by bind mounts, with real
// mounted at storeDir, and changes root to it (keeping the directory).
func chrootWithStore(real, storeDir, rootDir string) error {
	cwd, _ := os.Getwd()
	if err := unix.Mount("tmpfs", rootDir, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mounting a tmpfs on '%s': %w", rootDir, err)
	}
	ents, err := os.ReadDir("/")
	if err != nil {
		return err
	}
	for _, ent := range ents {
		src, dst := "/"+ent.Name(), filepath.Join(rootDir, ent.Name())
		st, err := os.Lstat(src)
		if err != nil {
			continue
		}
		switch {
		case st.Mode()&os.ModeSymlink != 0:
			if t, err := os.Readlink(src); err == nil {
				os.Symlink(t, dst)
			}
		case st.IsDir():
			if err := os.Mkdir(dst, 0o755); err != nil {
				return err
			}
			if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				return fmt.Errorf("binding '%s': %w", src, err)
			}
		}
	}
	target := filepath.Join(rootDir, storeDir)
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(real, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding the store: %w", err)
	}
	if err := unix.Chroot(rootDir); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if cwd == "" || unix.Chdir(cwd) != nil {
		return unix.Chdir("/")
	}
	return nil
}
