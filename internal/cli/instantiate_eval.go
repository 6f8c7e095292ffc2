package cli

import "fmt"

func runInstantiate(e *Env, o *InstantiateOptions) int {
	fmt.Fprintln(e.Stderr, "error: evaluation is not wired yet")
	return 1
}
