package sandbox

import (
	"os"
	"path/filepath"

	"gonix/internal/build/sandbox/child"
)

// ChildArg is the hidden first argument that makes the program the
// sandbox's child: the command's main must then return ChildMain(rest).
const ChildArg = child.Arg

// ChildMain is the sandbox's child (child.Main), for a main that is
// re-executed as one.
func ChildMain(args []string) int { return child.Main(args) }

// HelperName is the small program that runs only the sandbox's child
// (cmd/gonix-sandbox). Found beside the running program, it is run
// instead of re-executing that program: it starts in a third of the
// time (docs/design/builds.md).
const HelperName = "gonix-sandbox"

// selfExe is the program re-executed as the child when there is no
// helper.
const selfExe = "/proc/self/exe"

// defaultExe is the program started as the sandbox's child when none is
// set: HelperName beside the running program if it is there, else the
// running program itself.
func defaultExe() string {
	self, err := os.Executable()
	if err != nil {
		return selfExe
	}
	helper := filepath.Join(filepath.Dir(self), HelperName)
	if fi, err := os.Stat(helper); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
		return helper
	}
	return selfExe
}

// exeOf is exe, or the default when it is empty.
func exeOf(exe string) string {
	if exe == "" {
		return defaultExe()
	}
	return exe
}
