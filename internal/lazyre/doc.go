// Package lazyre compiles package-level regular expressions on first use.
package lazyre
