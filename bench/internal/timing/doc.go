// Package timing races two commands for the bench timers: alternating runs, each measured for wall time, CPU time and peak RSS, reported as a Markdown table of medians with the ratio A/B.
package timing
