// Package cfloat formats floats as C and C++ do (printf "%g" and "%f"), which is how Nix 2.8 prints them.
package cfloat
