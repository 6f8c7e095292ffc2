package cli

import (
	"fmt"
	"os"

	"gonix/internal/cli/args"
	"gonix/internal/format/narinfo"
)

// opGenerateBinaryCacheKey is nix-store --generate-binary-cache-key NAME
// SECRETFILE PUBLICFILE: a new Ed25519 key pair, the public key written
// first, the secret key readable by its owner only (Nix sets umask 077).
func (c *nixStoreCmd) opGenerateBinaryCacheKey() error {
	for _, f := range c.opFlags {
		return args.Usagef("unknown flag '%s'", f)
	}
	if len(c.opArgs) != 3 {
		return args.Usagef("three arguments expected")
	}
	name, secFile, pubFile := c.opArgs[0], c.absPath(c.opArgs[1]), c.absPath(c.opArgs[2])
	sec, pub, err := narinfo.GenerateKey(name, nil)
	if err != nil {
		return err
	}
	if err := os.WriteFile(pubFile, []byte(pub.String()), 0o644); err != nil {
		return fmt.Errorf("writing to file '%s': %w", pubFile, err)
	}
	f, err := os.OpenFile(secFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("opening file '%s': %w", secFile, err)
	}
	if _, err := f.WriteString(sec.String()); err != nil {
		f.Close()
		return fmt.Errorf("writing to file '%s': %w", secFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing to file '%s': %w", secFile, err)
	}
	return nil
}
