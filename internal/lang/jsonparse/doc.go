// Package jsonparse parses JSON text exactly as Nix 2.8's builtins.fromJSON (nlohmann::json 3.11) does, error texts included.
package jsonparse
