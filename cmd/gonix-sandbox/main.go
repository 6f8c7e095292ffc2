// Command gonix-sandbox is the build sandbox's child and nothing else:
// gonix runs it, when it is installed beside gonix, to set up each
// sandbox and execute the builder. It links only the child's code, so it
// starts in about a third of the time a re-executed gonix takes; without
// it gonix re-executes itself (docs/design/builds.md).
package main

import (
	"fmt"
	"os"

	"gonix/internal/build/sandbox/child"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == child.Arg {
		os.Exit(child.Main(os.Args[2:]))
	}
	fmt.Fprintln(os.Stderr, "gonix-sandbox: this program runs gonix's build sandbox; gonix starts it, it is not run by hand")
	os.Exit(2)
}
