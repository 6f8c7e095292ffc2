package cli

import "testing"

// TestInstantiateCommandLineMatchesNix runs real nix-instantiate and gonix on
// the same command lines and compares status, stdout and stderr. Every line
// either fails while parsing or ends in --version, so Nix stops before it
// evaluates anything and gonix never reaches the evaluator.
func TestInstantiateCommandLineMatchesNix(t *testing.T) {
	t.Parallel()
	nix := needNix(t, "nix-instantiate")
	lines := [][]string{
		// usage errors
		{"--foo"},
		{"--arg", "x"},
		{"--arg"},
		{"--argstr", "x"},
		{"-A"},
		{"--attr"},
		{"--add-root"},
		{"-I"},
		{"--include"},
		{"-j"},
		{"--store"},
		{"--option", "x"},
		{"--override-flake", "a"},
		{"--eval-store"},
		{"--eval", "-zq"},
		{"-Q", "-qaP"},
		{"--eval", "-E", "-vs"},
		{"--eval", "-1"},
		{"--eval", "-E", "--", "--show-trace"},
		{"--eval", "-E", "--", "-A", "x"},
		{"--eval", "-E", "--", "-x"},
		{"--eval", "-E", "1", "--", "--"},
		{"--arg=x"},
		{"-j", "foo"},
		{"--max-jobs", "-1"},
		{"--cores", "foo"},
		{"--cores", "-1"},
		{"--cores", ""},
		{"--timeout", "-1"},
		{"--max-silent-time", "1x"},
		{"--connect-timeout", "x"},
		{"--connect-timeout", "-1"},
		{"--sandbox-paths"},
		{"--no-sandbox-paths"},
		{"--build-cores", "2"},
		{"--log-format", "foo"},
		{"--build-hook", "x"},
		{"--option", "diff-hook", "relative"},
		{"--foo", "--version"},
		{"--no-eval"},
		{"--system", "x", "--no-such"},
		{"--option", "show-trace", "maybe", "--extra-experimental-features", "flakes bogus", "--nope"},
		{"-Kk", "--no-keep-failed", "-Kz"},
		{"-I", "x", "-Ifoo"},
		// accepted, stopped by --version
		{"--version"},
		{"--version", "--foo"},
		{"-E", "--", "--version"},
		{"-E", "--eval", "--strict", "--json", "--xml", "--parse", "--find-file", "--add-root", "x", "--indirect",
			"--repair", "--dry-run", "--no-location", "--read-write-mode", "-A", "x", "--attr", "y", "--arg", "a", "b",
			"--argstr", "c", "d", "-I", "x", "--include", "y", "-I/foo", "--impure", "--override-flake", "nixpkgs", "path:/tmp",
			"--eval-store", "x", "-", "file", "--eval-only", "--parse-only", "--expr", "-vQ", "-Kk", "--quiet",
			"--fallback", "--readonly-mode", "--no-gc-warning", "--log-format", "raw", "--cores", "2",
			"--max-silent-time", "1k", "--timeout", "3", "-j", "1", "-j3", "--max-jobs", "auto", "--show-trace",
			"--no-keep-failed", "--relaxed-sandbox", "--extra-substituters", "x", "--option", "cores", "x",
			"--option", "no-such-setting", "x", "--", "-E", "file2", "-", "--version"},
	}
	for _, argv := range lines {
		want := runNixIn(t, nix, t.TempDir(), nil, argv...)
		got := run(t, append([]string{"nix-instantiate"}, argv...)...)
		if got != want {
			t.Errorf("nix-instantiate %q\n nix:   %+v\n gonix: %+v", argv, want, got)
		}
	}
}
