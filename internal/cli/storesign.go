package cli

import (
	"fmt"
	"os"
	"strings"

	"gonix/internal/cli/args"
	"gonix/internal/format/narinfo"
	"gonix/internal/store"
	"gonix/internal/store/binarycache"
)

// StoreSignOptions is a parsed `gonix store sign` command line.
type StoreSignOptions struct {
	args.Settings
	KeyFile      string
	Recursive    bool
	All          bool
	Installables []string
}

func parseStoreSign(argv []string) (*StoreSignOptions, legacyAction, error) {
	o := &StoreSignOptions{Settings: args.NewSettings()}
	act := actionRun
	var p args.Parser
	p.Add(args.CommonFlags(&o.Settings, "store sign")...)
	p.Add(legacyFlags(&act)...)
	p.Add(
		args.Flag{Names: []string{"--key-file", "-k"}, Arity: 1, Handle: func(_ string, v []string) error {
			o.KeyFile = v[0]
			return nil
		}},
		args.Flag{Names: []string{"--recursive", "-r"}, Handle: func(string, []string) error { o.Recursive = true; return nil }},
		args.Flag{Names: []string{"--all"}, Handle: func(string, []string) error { o.All = true; return nil }},
		args.Flag{Names: []string{"--derivation"}, Handle: func(string, []string) error { return nil }},
	)
	p.Positional = func(arg string) error { o.Installables = append(o.Installables, arg); return nil }
	err := p.Parse(argv)
	return o, act, err
}

// mainStore is `gonix store SUBCOMMAND` (also `gonix nix store ...`);
// sign is the one subcommand so far.
func mainStore(e *Env, program string, argv []string) int {
	if program == "store" {
		program = "gonix store"
	}
	if len(argv) == 0 || argv[0] == "--help" {
		fmt.Fprint(e.Stdout, storeHelp)
		if len(argv) == 0 {
			return 1
		}
		return 0
	}
	switch argv[0] {
	case "sign":
		o, act, err := parseStoreSign(argv[1:])
		return legacyMain(e, program+" sign", "store sign", &o.Settings, act, err, storeSignHelp,
			func() error { return runStoreSign(e, o) })
	case "verify":
		return mainStoreVerify(e, program+" verify", argv[1:])
	}
	fmt.Fprintf(e.Stderr, "error: 'store %s' is not a gonix command (gonix store has: sign, verify)\n", argv[0])
	return 1
}

// runStoreSign is nix store sign: every path is signed with the key and
// the signature added to the local store's database (a path that already
// carries it is left alone, as LocalStore::addSignatures keeps a set).
func runStoreSign(e *Env, o *StoreSignOptions) error {
	ctx := e.Ctx()
	if o.KeyFile == "" {
		return args.Usagef("you must specify a secret key file using '-k'")
	}
	data, err := os.ReadFile(o.KeyFile)
	if err != nil {
		return fmt.Errorf("reading secret key file: %w", err)
	}
	key, err := narinfo.ParseSecretKey(strings.TrimSpace(string(data)))
	if err != nil {
		return fmt.Errorf("secret key file '%s': %w", o.KeyFile, err)
	}
	st, err := openLocalStore(e, &o.Settings, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var paths []string
	if o.All {
		if paths, err = st.QueryAllValidPaths(ctx); err != nil {
			return err
		}
	} else {
		if len(o.Installables) == 0 {
			return args.Usagef("no installables given; pass store paths (or --all)")
		}
		for _, inst := range o.Installables {
			p, err := installableStorePath(e, st.StoreDir(), inst)
			if err != nil {
				return err
			}
			paths = append(paths, p)
		}
		if o.Recursive {
			if paths, err = store.ComputeClosure(ctx, st, paths, false, false, false); err != nil {
				return err
			}
		}
	}
	added := 0
	for _, p := range paths {
		info, err := st.QueryPathInfo(ctx, p)
		if err != nil {
			return err
		}
		ni := binarycache.NarInfoFor(info)
		fp, err := ni.Fingerprint()
		if err != nil {
			return fmt.Errorf("signing '%s': %w", p, err)
		}
		sig := key.Sign(fp)
		already := false
		for _, s := range info.Sigs {
			already = already || s == sig
		}
		if already {
			continue
		}
		if err := st.AddSignatures(ctx, p, []string{sig}); err != nil {
			return err
		}
		added++
	}
	if o.Verbosity >= args.LevelInfo+1 {
		fmt.Fprintf(e.Stderr, "added %d signatures\n", added)
	}
	return nil
}

// mainNix is the new-style `gonix nix COMMAND`: the commands gonix has
// so far (copy, store sign).
func mainNix(e *Env, program string, argv []string) int {
	// nix's own flags before the command (--extra-experimental-features
	// nix-command and the like) are passed on to it.
	var pre []string
	for len(argv) > 0 && strings.HasPrefix(argv[0], "-") {
		n := 1
		if f := argv[0]; f == "--extra-experimental-features" || f == "--experimental-features" || f == "--store" {
			n = 2
		} else if f == "--option" {
			n = 3
		}
		if n > len(argv) {
			n = len(argv)
		}
		pre, argv = append(pre, argv[:n]...), argv[n:]
	}
	if len(argv) == 0 {
		fmt.Fprintf(e.Stderr, "error: no subcommand given; gonix nix has: copy, store sign, store verify\n")
		return 1
	}
	rest := append(append([]string(nil), argv[1:]...), pre...)
	switch argv[0] {
	case "copy":
		return mainCopy(e, "gonix nix copy", rest)
	case "store":
		return mainStore(e, "gonix nix store", rest)
	}
	fmt.Fprintf(e.Stderr, "error: 'nix %s' is not implemented by gonix yet (it has: copy, store sign, store verify)\n", argv[0])
	return 1
}

const storeHelp = `Usage: gonix store sign -k KEYFILE [-r] [--all] PATHS...
       gonix store verify [--no-contents] [--no-trust] [-s URL] [-n N] [-r] [--all] PATHS...

Subcommands of Nix 2.8's nix store that gonix has:
  sign    add signatures made with a secret key to store paths
  verify  check store paths' contents and signatures
`

const storeSignHelp = `Usage: gonix store sign -k KEYFILE [-r|--recursive] [--all] PATHS...
       gonix nix store sign ...

Sign store paths, as Nix 2.8's nix store sign: each path's fingerprint
(store path, NAR hash, NAR size, references) is signed with the secret key
and the signature added to the path's signatures in the local store's
database. nix copy --to a binary cache then carries it into the narinfo.

Flags:
  -k, --key-file FILE   the secret key (from nix-store --generate-binary-cache-key)
  -r, --recursive       sign the paths' closures
      --all             sign every valid path
      --store STORE     the local store (a chroot directory, local?root=DIR)
`
