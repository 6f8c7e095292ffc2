// Package jsonstr writes JSON strings escaped as Nix 2.8 (nlohmann::json's dump, without ensure_ascii) escapes them.
package jsonstr
