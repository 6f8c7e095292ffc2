// Package cli is gonix's command layer: multi-call dispatch, each command's flags, help and exit codes.
package cli
