package local

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// AddSignatures adds sigs to the valid path's signatures, as Nix 2.8's
// LocalStore::addSignatures (nix store sign, nix copy): the stored set
// stays sorted and without duplicates, in one transaction.
func (s *Store) AddSignatures(ctx context.Context, path string, sigs []string) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	return s.withConn(func(c *sqlite.Conn) (err error) {
		end, err := sqlitex.ImmediateTransaction(c)
		if err != nil {
			return fmt.Errorf("starting a database transaction: %w", err)
		}
		defer end(&err)
		var old string
		found := false
		err = sqlitex.Execute(c, `select sigs from ValidPaths where path = ?;`, &sqlitex.ExecOptions{
			Args: []any{path},
			ResultFunc: func(st *sqlite.Stmt) error {
				found = true
				old = st.ColumnText(0)
				return nil
			},
		})
		if err != nil {
			return fmt.Errorf("querying the signatures of '%s': %w", path, err)
		}
		if !found {
			return s.notValid(path)
		}
		set := map[string]bool{}
		for _, sig := range strings.Fields(old) {
			set[sig] = true
		}
		for _, sig := range sigs {
			set[sig] = true
		}
		all := make([]string, 0, len(set))
		for sig := range set {
			all = append(all, sig)
		}
		sort.Strings(all)
		err = sqlitex.Execute(c, `update ValidPaths set sigs = ? where path = ?;`, &sqlitex.ExecOptions{
			Args: []any{strings.Join(all, " "), path},
		})
		if err != nil {
			return fmt.Errorf("updating the signatures of '%s': %w", path, err)
		}
		return nil
	})
}
