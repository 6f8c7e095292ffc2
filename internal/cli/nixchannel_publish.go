package cli

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ulikunitz/xz"

	"gonix/internal/cli/args"
	gonixpkgs "gonix/pkgs"
)

// mkchannelOptions is a parsed "gonix mkchannel" command line.
type mkchannelOptions struct {
	settings args.Settings
	out      string   // the directory to publish into
	src      string   // the collection's directory; "" for the built-in one
	name     string   // the tarball's top directory
	key      string   // secret key file signing the binary cache
	attrs    []string // packages to build and put in the cache
	compress string   // the cache's NAR compression
}

// mainMkchannel is "gonix mkchannel": it publishes a package collection
// as a Nix channel — DIR/nixexprs.tar.xz, the collection's tree under one
// top directory, as nix-channel --update downloads it — and builds the
// -A packages from that same tree and copies their closures, signed with
// the key, into a binary cache in DIR itself (nix-cache-info, *.narinfo,
// nar/). Serving DIR over HTTP then gives one URL that is both the
// channel and its substituter.
func mainMkchannel(e *Env, program string, argv []string) int {
	o := &mkchannelOptions{settings: args.NewSettings(), name: "gonixpkgs", compress: "xz"}
	help := false
	str := func(p *string) func(string, []string) error {
		return func(_ string, v []string) error { *p = v[0]; return nil }
	}
	var p args.Parser
	p.Add(args.CommonFlags(&o.settings, "mkchannel")...)
	p.Add(
		args.Flag{Names: []string{"--help"}, Handle: func(string, []string) error { help = true; return args.ErrStop }},
		args.Flag{Names: []string{"--out", "-o"}, Arity: 1, Handle: str(&o.out)},
		args.Flag{Names: []string{"--src"}, Arity: 1, Handle: str(&o.src)},
		args.Flag{Names: []string{"--name"}, Arity: 1, Handle: str(&o.name)},
		args.Flag{Names: []string{"--secret-key-file"}, Arity: 1, Handle: str(&o.key)},
		args.Flag{Names: []string{"--compression"}, Arity: 1, Handle: str(&o.compress)},
		args.Flag{Names: []string{"--attr", "-A"}, Arity: 1, Handle: args.AppendArg(&o.attrs)},
	)
	p.Positional = func(arg string) error { return args.Usagef("unexpected argument '%s'", arg) }
	err := p.Parse(argv)
	if err == nil && !help && (o.out == "" || o.key == "" && len(o.attrs) > 0) {
		err = args.Usagef("--out DIR is required, and --secret-key-file KEY when packages are given with -A")
	}
	if status, done := finishParse(e, program, &o.settings, err); done && !help {
		return status
	}
	if help {
		fmt.Fprint(e.Stdout, mkchannelHelp)
		return 0
	}
	if err := runMkchannel(e, o); err != nil {
		fmt.Fprintf(e.Stderr, "error: %s\n", err)
		return 1
	}
	return 0
}

const mkchannelHelp = `Usage: gonix mkchannel --out DIR [--src DIR] [--name NAME]
                      [--secret-key-file KEY] [-A ATTR]... [--store STORE]

Publish a package collection as a Nix channel in DIR:
  DIR/nixexprs.tar.xz    the collection (--src, default the built-in
                         gonixpkgs) under the top directory NAME (gonixpkgs)
  DIR/nix-cache-info, DIR/*.narinfo, DIR/nar/
                         a binary cache holding the closures of the -A
                         packages, built from that tarball's tree in STORE and
                         signed with KEY (--compression xz|zstd|none)
Serve DIR with any static web server under a URL with a path (Nix 2.8 needs
one: http://host:port/gonixpkgs, not http://host:port), then subscribe with
nix-channel --add URL NAME; nix-channel --update, and install with
nix-env -iA NAME.ATTR --option substituters URL --option trusted-public-keys PUB.
`

func runMkchannel(e *Env, o *mkchannelOptions) error {
	src := o.src
	if src == "" {
		d, err := gonixpkgs.Unpack(cacheDir(e))
		if err != nil {
			return err
		}
		src = d
	}
	src = absPathIn(e.Dir, src)
	out := absPathIn(e.Dir, o.out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("mkchannel: %w", err)
	}
	tarball := filepath.Join(out, "nixexprs.tar.xz")
	if err := writeChannelTarball(tarball, src, o.name); err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "wrote %s\n", tarball)
	if len(o.attrs) == 0 {
		return nil
	}
	var common []string
	if o.settings.StoreURL != "" {
		common = append(common, "--store", o.settings.StoreURL)
	}
	for _, ov := range o.settings.Overrides {
		name := ov.Name
		if ov.Append {
			name = "extra-" + name
		}
		common = append(common, "--option", name, ov.Value)
	}
	// Build from the tree as the channel will hold it, so the derivations
	// (and so the output paths) are those users evaluate.
	buildArgs := append(append([]string{}, common...), "--no-out-link", "-E", "import "+nixQuote(src)+" { }")
	for _, a := range o.attrs {
		buildArgs = append(buildArgs, "-A", a)
	}
	var outPaths strings.Builder
	be := *e
	be.Stdout = &outPaths
	if status := mainBuild(&be, "nix-build", buildArgs); status != 0 {
		return fmt.Errorf("mkchannel: building %s failed", strings.Join(o.attrs, ", "))
	}
	paths := strings.Fields(outPaths.String())
	to := "file://" + out + "?secret-key=" + absPathIn(e.Dir, o.key) + "&compression=" + o.compress
	copyArgs := append(append([]string{}, common...), "--to", to)
	copyArgs = append(copyArgs, paths...)
	if status := mainCopy(e, "copy", copyArgs); status != 0 {
		return fmt.Errorf("mkchannel: copying %s to the binary cache failed", strings.Join(paths, " "))
	}
	fmt.Fprintf(e.Stderr, "published %d package(s) and their closures in %s\n", len(paths), out)
	return nil
}

// writeChannelTarball writes the tree src as a reproducible xz tarball
// (sorted entries, owner 0, mtime 1 as in the Nix store) whose single
// top directory is top; the file appears only once complete.
func writeChannelTarball(dst, src, top string) error {
	tmp := dst + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("mkchannel: %w", err)
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(f, 1<<16)
	xw, err := xz.NewWriter(bw)
	if err != nil {
		f.Close()
		return fmt.Errorf("mkchannel: %w", err)
	}
	tw := tar.NewWriter(xw)
	var names []string
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		f.Close()
		return fmt.Errorf("mkchannel: reading '%s': %w", src, err)
	}
	sort.Strings(names)
	mtime := time.Unix(1, 0)
	for _, p := range names {
		rel, _ := filepath.Rel(src, p)
		name := top
		if rel != "." {
			name = top + "/" + filepath.ToSlash(rel)
		}
		st, err := os.Lstat(p)
		if err != nil {
			f.Close()
			return fmt.Errorf("mkchannel: %w", err)
		}
		h := &tar.Header{Name: name, ModTime: mtime, Format: tar.FormatPAX}
		switch {
		case st.IsDir():
			h.Typeflag, h.Mode, h.Name = tar.TypeDir, 0o755, name+"/"
		case st.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				f.Close()
				return fmt.Errorf("mkchannel: %w", err)
			}
			h.Typeflag, h.Mode, h.Linkname = tar.TypeSymlink, 0o777, t
		case st.Mode().IsRegular():
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, st.Size()
			if st.Mode()&0o111 != 0 {
				h.Mode = 0o755
			}
		default:
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			f.Close()
			return fmt.Errorf("mkchannel: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			r, err := os.Open(p)
			if err == nil {
				_, err = io.Copy(tw, r)
				r.Close()
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("mkchannel: %s: %w", p, err)
			}
		}
	}
	for _, c := range []io.Closer{tw, xw} {
		if err := c.Close(); err != nil {
			f.Close()
			return fmt.Errorf("mkchannel: %w", err)
		}
	}
	err = bw.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("mkchannel: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("mkchannel: %w", err)
	}
	return nil
}
