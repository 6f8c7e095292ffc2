//go:build !(linux && amd64)

package cli

// startPrefault does nothing here (see prefault_linux_amd64.go).
func startPrefault() {}
