// Package nixbase32 implements Nix's base-32 encoding of hash digests (alphabet without e, o, u, t; least significant bits printed last).
package nixbase32
