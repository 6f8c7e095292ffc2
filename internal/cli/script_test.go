package cli

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets scripts run gonix in-process: testscript re-executes the test
// binary under the command names below, and each calls Main.
func TestMain(m *testing.M) {
	gonix := func() { os.Exit(Main(os.Args)) }
	cmds := map[string]func(){"gonix": gonix}
	for _, c := range commands {
		cmds[c.name] = gonix
	}
	testscript.Main(m, cmds)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
	})
}
