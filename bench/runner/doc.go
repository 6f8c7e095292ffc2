// Command runner times Nix language workloads under two evaluators side by side and prints a Markdown table of medians and ratios.
package main
