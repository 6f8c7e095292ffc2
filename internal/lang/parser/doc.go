// Package parser scans and parses Nix expression text into an unresolved syntax tree, exactly as Nix 2.8's lexer.l and parser.y do.
package parser
