// Package subst holds differential tests of substitution: Nix 2.8 writes signed binary caches, gonix substitutes from them (file:// and http://) and refuses what it must.
package subst
