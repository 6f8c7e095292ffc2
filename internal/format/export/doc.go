// Package export reads and writes the stream of nix-store --export and --import (and of the serve protocol's import and export commands).
package export
