// Package regex implements the POSIX extended regular expressions of Nix 2.8's builtins.match and builtins.split, byte for byte as libstdc++'s std::regex(re, std::regex::extended) parses and runs them.
package regex
