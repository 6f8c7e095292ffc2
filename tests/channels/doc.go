// Package channels tests nix-channel, gonix mkchannel and nix-env over a channel served on loopback HTTP, in private mount namespaces.
package channels
