package cli

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
)

// runNixIn runs a real Nix program in dir with stdin (none when nil) and
// captures its stdout, stderr and exit status.
func runNixIn(t *testing.T, prog, dir string, stdin []byte, argv ...string) result {
	t.Helper()
	cmd := exec.Command(prog, argv...)
	cmd.Args[0] = filepath.Base(prog) // Nix prints argv[0] in its usage hint
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	status := 0
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("%s: %v", prog, err)
		}
		status = exit.ExitCode()
	}
	return result{stdout.String(), stderr.String(), status}
}
