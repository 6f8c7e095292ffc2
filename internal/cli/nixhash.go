package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gonix/internal/cli/args"
	"gonix/internal/format/hash"
	"gonix/internal/format/nar"
)

// nixHashOp is what nix-hash does with its arguments.
type nixHashOp uint8

const (
	opHash nixHashOp = iota // hash each path
	opTo16                  // --to-base16: convert each hash
	opTo32                  // --to-base32
)

// NixHashOptions is a parsed nix-hash command line (Nix 2.8's compatNixHash
// in src/nix/hash.cc). Nix 2.8's nix-hash knows only the flags below: --sri,
// --base64, --to-base64 and --to-sri belong to "nix hash" and are
// unrecognised here, as in Nix.
type NixHashOptions struct {
	args.Settings

	// Algo is --type; MD5 by default, as in Nix.
	Algo hash.Algo
	// Flat is --flat: hash the contents of a regular file, not its NAR.
	Flat bool
	// Base32 is --base32: print nixbase32 instead of base16.
	Base32 bool
	// Truncate is --truncate: fold digests longer than 20 bytes to 20.
	// It applies to computed hashes only, not to conversions.
	Truncate bool
	// Op is the operation; the last of --to-base16/--to-base32 wins.
	Op nixHashOp
	// Args are the paths to hash or the hashes to convert.
	Args []string
}

// parseNixHash parses nix-hash's arguments (without argv[0]).
func parseNixHash(argv []string) (*NixHashOptions, legacyAction, error) {
	o := &NixHashOptions{Settings: args.NewSettings(), Algo: hash.MD5}
	act := actionRun
	op := func(v nixHashOp) func(string, []string) error {
		return func(string, []string) error { o.Op = v; return nil }
	}
	var p args.Parser
	p.Add(args.CommonFlags(&o.Settings, "nix-hash")...)
	p.Add(legacyFlags(&act)...)
	p.Add(
		args.Flag{Names: []string{"--flat"}, Legacy: true, Handle: args.SetTrue(&o.Flat)},
		args.Flag{Names: []string{"--base32"}, Legacy: true, Handle: args.SetTrue(&o.Base32)},
		args.Flag{Names: []string{"--truncate"}, Legacy: true, Handle: args.SetTrue(&o.Truncate)},
		args.Flag{Names: []string{"--type"}, Arity: 1, Legacy: true, Handle: func(_ string, v []string) error {
			// Nix's parseHashType throws a UsageError, so the
			// message gets the "Try --help" hint.
			a, err := hash.ParseAlgo(v[0])
			if err != nil {
				return &args.UsageError{Msg: err.Error()}
			}
			o.Algo = a
			return nil
		}},
		args.Flag{Names: []string{"--to-base16"}, Legacy: true, Handle: op(opTo16)},
		args.Flag{Names: []string{"--to-base32"}, Legacy: true, Handle: op(opTo32)},
	)
	p.Positional = func(arg string) error {
		o.Args = append(o.Args, arg)
		return nil
	}
	err := p.Parse(argv)
	return o, act, err
}

// mainNixHash is the nix-hash command.
func mainNixHash(e *Env, program string, argv []string) int {
	o, act, err := parseNixHash(argv)
	return legacyMain(e, program, "nix-hash", &o.Settings, act, err, nixHashHelp,
		func() error { return runNixHash(e, o) })
}

// runNixHash prints one line per argument and stops at the first error;
// the lines printed before it stay printed, as in Nix.
func runNixHash(e *Env, o *NixHashOptions) error {
	for _, a := range o.Args {
		if err := e.Ctx().Err(); err != nil {
			return err
		}
		var line string
		if o.Op == opHash {
			h, err := hashPathArg(o, e.Dir, a)
			if err != nil {
				return err
			}
			if o.Truncate && len(h.Digest) > 20 {
				h.Digest = hash.CompressHash(h.Digest, 20)
			}
			base := hash.Base16
			if o.Base32 {
				base = hash.Base32
			}
			line = h.Encode(base, false)
		} else {
			h, err := parseHashArg(a, o.Algo)
			if err != nil {
				return err
			}
			base := hash.Base16
			if o.Op == opTo32 {
				base = hash.Base32
			}
			line = h.Encode(base, false)
		}
		if _, err := io.WriteString(e.Stdout, line+"\n"); err != nil {
			return fmt.Errorf("writing to stdout: %w", err)
		}
	}
	return nil
}

// parseHashArg is Nix's Hash::parseAny with the type from --type (MD5 when
// not given, so converting a SHA-256 hash needs --type sha256). An unknown
// algorithm prefix is a usage error in Nix (parseHashType throws
// UsageError), so it is reported with the --help hint.
func parseHashArg(s string, algo hash.Algo) (hash.Hash, error) {
	name, _, ok := strings.Cut(s, ":")
	if !ok {
		name, _, ok = strings.Cut(s, "-")
	}
	if ok {
		if _, err := hash.ParseAlgo(name); err != nil {
			return hash.Hash{}, &args.UsageError{Msg: err.Error()}
		}
	}
	return hash.Parse(s, algo)
}

// hashPathArg hashes one path argument, relative to dir (the command's
// working directory) unless absolute: the file's contents with --flat,
// otherwise its NAR serialisation. Error messages name the path as given
// (relative paths stay relative), as Nix's do.
func hashPathArg(o *NixHashOptions, dir, p string) (hash.Hash, error) {
	fsPath := p
	// An empty argument stays empty, so that it fails like Nix's lstat("").
	if dir != "" && p != "" && !filepath.IsAbs(p) {
		fsPath = dir + "/" + p
	}
	if o.Flat {
		return hashFlat(o.Algo, p, fsPath)
	}
	if _, err := os.Lstat(fsPath); err != nil {
		return hash.Hash{}, fmt.Errorf("getting status of '%s': %s", p, errnoString(err))
	}
	if o.Algo == hash.SHA256 {
		sum, _, err := nar.HashPath(fsPath, nil)
		if err != nil {
			return hash.Hash{}, narError(p, fsPath, err)
		}
		return hash.Hash{Algo: hash.SHA256, Digest: sum}, nil
	}
	h := o.Algo.New()
	if err := nar.Dump(h, fsPath, nil); err != nil {
		return hash.Hash{}, narError(p, fsPath, err)
	}
	return hash.Hash{Algo: o.Algo, Digest: h.Sum(nil)}, nil
}

// hashFlat is Nix's readFile(path, sink): open (following symlinks), then
// read to the end, whatever the file's type.
func hashFlat(algo hash.Algo, p, fsPath string) (hash.Hash, error) {
	f, err := os.Open(fsPath)
	if err != nil {
		return hash.Hash{}, fmt.Errorf("opening file '%s': %s", p, errnoString(err))
	}
	defer f.Close()
	h := algo.New()
	buf := make([]byte, 256<<10)
	for {
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return hash.Hash{}, fmt.Errorf("reading from file: %s", errnoString(err))
		}
	}
	return hash.Hash{Algo: algo, Digest: h.Sum(nil)}, nil
}

// narError rewords an error of nar.Dump in Nix's terms (dump in
// src/libutil/archive.cc), with paths spelled from the argument as typed:
// nar works on the absolute path of fsPath, Nix on arg + "/" + name.
func narError(arg, fsPath string, err error) error {
	abs, aerr := filepath.Abs(fsPath)
	if aerr != nil {
		return err
	}
	spell := func(p string) string {
		if rest, ok := strings.CutPrefix(p, abs); ok {
			return arg + rest
		}
		return p
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		// "file '/abs/x' has an unsupported type" and the like.
		return errors.New(strings.ReplaceAll(err.Error(), "'"+abs, "'"+arg))
	}
	p, msg := spell(pe.Path), errnoString(pe.Err)
	switch pe.Op {
	case "lstat", "stat":
		return fmt.Errorf("getting status of '%s': %s", p, msg)
	case "readlink":
		return fmt.Errorf("reading symbolic link '%s': %s", p, msg)
	case "open", "openat":
		if fi, serr := os.Lstat(pe.Path); serr == nil && fi.IsDir() {
			return fmt.Errorf("opening directory '%s': %s", p, msg)
		}
		return fmt.Errorf("opening file '%s': %s", p, msg)
	case "readdirent", "readdir":
		return fmt.Errorf("reading directory '%s': %s", p, msg)
	case "read":
		return fmt.Errorf("reading from file: %s", msg)
	}
	return fmt.Errorf("%s '%s': %s", pe.Op, p, msg)
}

// errnoString is the text glibc's strerror gives for the error's errno: Go
// spells the same messages with a lower-case first letter.
func errnoString(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

const nixHashHelp = `Usage: nix-hash [--flat] [--base32] [--truncate] [--type ALGO] PATHS...
       nix-hash [--type ALGO] --to-base16 HASHES...
       nix-hash [--type ALGO] --to-base32 HASHES...

Print the cryptographic hash of each PATH: by default the hash of its NAR
serialisation (the dump "nix-store --dump PATH" writes), so directories and
symbolic links can be hashed too, printed in base-16.

Flags:
      --flat               hash the contents of each file instead of its NAR
                           serialisation (what md5sum and sha256sum print)
      --base32             print the hash in Nix's base-32 instead of base-16
      --truncate           fold hashes longer than 160 bits to 160 bits
      --type ALGO          md5 (the default), sha1, sha256 or sha512
      --to-base16          convert each HASH (of type ALGO) to base-16
      --to-base32          convert each HASH (of type ALGO) to base-32

A HASH to convert may be base-16, base-32 or base-64, with or without an
"ALGO:" prefix, or SRI ("ALGO-BASE64"); its type must be ALGO.

` + commonHelp
