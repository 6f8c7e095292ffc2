package storecheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"
)

// TestDBHotJournal checks a database as a process killed in the middle of
// a rollback-journal transaction leaves it: the files are copied while
// the transaction has spilled into the database file. DB must roll the
// journal back (on a copy) and pass, where a read-only connection fails.
func TestDBHotJournal(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "db.sqlite")
	c, err := sqlite.OpenConn(live, sqlite.OpenReadWrite|sqlite.OpenCreate)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{
		"pragma journal_mode = delete",
		"pragma cache_size = 2",
		"create table t (id integer primary key, v text not null)",
		"begin",
	} {
		if err := sqlitex.ExecuteTransient(c, q, nil); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for i := range 2000 {
		if err := sqlitex.Execute(c, "insert into t (v) values (?)", &sqlitex.ExecOptions{Args: []any{strings.Repeat("x", 200) + string(rune('a'+i%26))}}); err != nil {
			t.Fatal(err)
		}
	}
	crashed, err := copyWithJournal(live)
	if err != nil {
		t.Fatalf("the transaction left no journal: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(crashed)) })
	if err := check(crashed, sqlite.OpenReadOnly); err == nil {
		t.Fatal("a read-only connection checked the database with its hot journal; the test needs it to fail")
	}
	if err := DB(crashed); err != nil {
		t.Errorf("DB with a hot journal: %v", err)
	}
	if _, err := os.Stat(crashed + "-journal"); err != nil {
		t.Errorf("DB changed the files it checks: %v", err)
	}
}
