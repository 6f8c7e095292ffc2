package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonix/internal/lang/ast"
	"gonix/internal/lang/eval"
)

// maxDefExprAttrs is Nix 2.8's limit on the expressions one directory
// given to nix-env (such as ~/.nix-defexpr) may contribute.
const maxDefExprAttrs = 1024

// sourceExprPath is the expression nix-env reads derivations from: -f's
// argument, else ~/.nix-defexpr (Nix 2.8's instSource.nixExprPath).
func (c *nixEnvCmd) sourceExprPath() string {
	if c.file != "" {
		return absPathIn(c.e.Dir, c.file)
	}
	return filepath.Join(c.e.Getenv("HOME"), ".nix-defexpr")
}

// isNixExpr is 2.8's test for an expression: a file, or a directory with
// a default.nix (st is the followed status).
func isNixExpr(path string, st fs.FileInfo) bool {
	if st.Mode().IsRegular() {
		return true
	}
	if !st.IsDir() {
		return false
	}
	_, err := os.Stat(filepath.Join(path, "default.nix"))
	return err == nil
}

// loadSourceExpr is 2.8's loadSourceExpr: an expression is evaluated; a
// directory becomes a flat set of its expressions (channels, files put
// in ~/.nix-defexpr), each imported when first used, marked with
// _combineChannels so getDerivations looks inside each of them.
func (u *userEnv) loadSourceExpr(path string) (*eval.Value, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("getting information about '%s': %s", path, errnoString(err))
	}
	if isNixExpr(path, st) {
		expr, err := u.st.ParseFile(path)
		if err != nil {
			return nil, err
		}
		return u.st.Eval(expr)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("path '%s' is not a directory or a Nix expression", path)
	}
	var sb strings.Builder
	sb.WriteString("{ _combineChannels = [ ];")
	seen := map[string]bool{}
	if err := u.defExprAttrs(path, seen, &sb); err != nil {
		return nil, err
	}
	sb.WriteString(" }")
	expr, err := u.st.ParseString(sb.String(), path, ast.OriginString)
	if err != nil {
		return nil, fmt.Errorf("nix-env: the set of '%s': %w", path, err)
	}
	return u.st.Eval(expr)
}

// defExprAttrs writes "name = import path;" for each expression in dir,
// descending into directories without a default.nix but keeping the set
// flat (2.8's getAllExprs). Dangling links and manifest.nix (channels
// are profiles) are skipped; the first of two equal names wins.
func (u *userEnv) defExprAttrs(dir string, seen map[string]bool, sb *strings.Builder) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading directory '%s': %s", dir, errnoString(err))
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "manifest.nix" {
			continue
		}
		p := dir + "/" + name
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if isNixExpr(p, st) && (!st.Mode().IsRegular() || strings.HasSuffix(p, ".nix")) {
			attr := strings.TrimSuffix(name, ".nix")
			if seen[attr] {
				hint := ""
				if strings.Contains(p, "channels") && strings.Contains(dir, "channels") {
					hint = fmt.Sprintf("\nsuggestion: remove '%s' from either the root channels or the user channels", attr)
				}
				fmt.Fprintf(u.c.e.Stderr, "warning: name collision in input Nix expressions, skipping '%s'%s\n", p, hint)
				continue
			}
			seen[attr] = true
			if len(seen) == maxDefExprAttrs {
				return fmt.Errorf("too many Nix expressions in directory '%s'", dir)
			}
			sb.WriteByte(' ')
			printNixString(sb, attr)
			sb.WriteString(" = import ")
			printNixString(sb, p)
			sb.WriteByte(';')
		} else if st.IsDir() {
			if err := u.defExprAttrs(p, seen, sb); err != nil {
				return err
			}
		}
	}
	return nil
}
