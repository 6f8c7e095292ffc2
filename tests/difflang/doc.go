// Package difflang holds the differential language test: gonix nix-instantiate --eval versus real Nix 2.8 on a corpus of expressions.
package difflang
