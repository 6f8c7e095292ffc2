package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"gonix/internal/cli/args"
)

// The expectations follow Nix 2.8's nix-instantiate.cc; the surprising ones
// were checked with the real binary (noted per case).
func TestParseInstantiate(t *testing.T) {
	t.Parallel()
	info := args.NewSettings()
	ro := info
	ro.ReadOnlyMode = true
	def := []string{"./default.nix"}
	tests := []struct {
		name string
		argv []string
		want InstantiateOptions
	}{
		{"defaults", nil, InstantiateOptions{Settings: info, Files: def}},
		{"eval expr", []string{"--eval", "-E", "1 + 1"},
			InstantiateOptions{Settings: ro, Eval: true, Exprs: true, Files: []string{"1 + 1"}}},
		{"eval read-write", []string{"--eval-only", "--read-write-mode", "a.nix"},
			InstantiateOptions{Settings: info, Eval: true, ReadWriteMode: true, Files: []string{"a.nix"}}},
		{"parse implies eval", []string{"--parse-only", "-E", "x"},
			InstantiateOptions{Settings: ro, Parse: true, Eval: true, Exprs: true, Files: []string{"x"}}},
		// Real nix-instantiate: "attribute '-f' in selection path '-f' not found".
		{"glued attr splits", []string{"-Af"}, InstantiateOptions{Settings: info, AttrPaths: []string{"-f"}, Files: def}},
		{"attrs in order", []string{"-A", "b.c", "--attr", "a", "f.nix"},
			InstantiateOptions{Settings: info, AttrPaths: []string{"b.c", "a"}, Files: []string{"f.nix"}}},
		{"auto args", []string{"--arg", "n", "1", "--argstr", "s", "x y", "--arg", "n", "2"},
			InstantiateOptions{Settings: info, Files: def, EvalArgs: args.EvalArgs{AutoArgs: []args.AutoArg{
				{Name: "n", Value: "1"}, {Name: "s", Value: "x y", IsString: true}, {Name: "n", Value: "2"}}}}},
		{"search path", []string{"-I", "nixpkgs=/p", "-I/q", "--include", "r"},
			InstantiateOptions{Settings: info, Files: def, EvalArgs: args.EvalArgs{SearchPath: []string{"nixpkgs=/p", "/q", "r"}}}},
		{"xml then json", []string{"--xml", "--json"}, InstantiateOptions{Settings: info, JSON: true, Files: def}},
		{"json then xml", []string{"--json", "--xml"}, InstantiateOptions{Settings: info, XML: true, Files: def}},
		{"stdin alone", []string{"-"}, InstantiateOptions{Settings: info, FromStdin: true}},
		{"stdin and file", []string{"-", "a.nix"}, InstantiateOptions{Settings: info, FromStdin: true, Files: []string{"a.nix"}}},
		{"expr without argument", []string{"-E"}, InstantiateOptions{Settings: info, Exprs: true}},
		// Real nix-instantiate prints 2 for `-- --eval -E 1+1`.
		{"own flags after dash dash", []string{"--", "--eval", "-E", "1+1", "-"},
			InstantiateOptions{Settings: ro, Eval: true, Exprs: true, FromStdin: true, Files: []string{"1+1"}}},
		{"empty argument is a file", []string{""}, InstantiateOptions{Settings: info, Files: []string{""}}},
		{"dry run", []string{"--dry-run"}, InstantiateOptions{Settings: ro, DryRun: true, Files: def}},
		{"misc", []string{"--add-root", "r", "--indirect", "--repair", "--find-file", "--strict", "--no-location", "--impure", "--eval-store", "s"},
			InstantiateOptions{Settings: info, AddRoot: "r", Indirect: true, Repair: true, FindFile: true, Strict: true,
				NoLocation: true, Files: def, EvalArgs: args.EvalArgs{Impure: true, EvalStoreURL: "s"}}},
		{"common", []string{"-vvQ", "--show-trace", "--readonly-mode"},
			InstantiateOptions{Files: def, Settings: args.Settings{Verbosity: args.LevelChatty, LogFormat: "raw", ShowTrace: true,
				ReadOnlyMode: true, Overrides: []args.Override{{Name: "show-trace", Value: "true"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, act, err := parseInstantiate(tt.argv)
			if err != nil || act != actionRun {
				t.Fatalf("parseInstantiate(%q): action %v, error %v", tt.argv, act, err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("parseInstantiate(%q) (-want +got):\n%s", tt.argv, diff)
			}
		})
	}
}
