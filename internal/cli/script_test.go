package cli

import (
	"fmt"
	"os"
	"strings"
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
		// [sandbox]: builds can run in the Linux sandbox here (root, user
		// namespaces, /bin/busybox as the sandbox's /bin/sh). Without them
		// the build scripts skip, except under CI=true, where they fail.
		Condition: func(cond string) (bool, error) {
			if cond != "sandbox" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			ok := sandboxAvailable()
			if !ok && os.Getenv("CI") == "true" {
				return false, fmt.Errorf("the build sandbox (root, user namespaces, /bin/busybox) is required when CI=true")
			}
			return ok, nil
		},
	})
}

func sandboxAvailable() bool {
	if os.Geteuid() != 0 {
		return false
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
	return err == nil && strings.TrimSpace(string(b)) != "0"
}
