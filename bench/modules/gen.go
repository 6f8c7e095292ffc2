package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Shape of the generated configuration: Modules service modules, each
// declaring OptionsPerModule options under services.sNNN.
const (
	Modules          = 300
	OptionsPerModule = 10
)

// Generate writes the configuration into dir: modules/sNNN.nix (one service
// module each) and default.nix, which evaluates them all with
// `import <gonix/lib>` and returns config.services.
//
// Every module declares ten options of services.sNNN — enable (bool), port
// (port), name (str), level (enum), extra (nullOr str), tags (listOf str), env
// (attrsOf str), instances (attrsOf submodule), settings (submodule), count
// (ints.unsigned) — and defines options of its own and of other modules:
// mkDefault, mkForce, mkOverride, mkOptionDefault, mkIf on config values and
// on constants, mkMerge, mkBefore/mkAfter on lists, attrsOf entries from
// several modules and submodule instances merged across modules. Modules
// import each other (a tree of imports plus duplicates), so collection and
// de-duplication by key are part of the work.
func Generate(dir string) error {
	mods := filepath.Join(dir, "modules")
	if err := os.MkdirAll(mods, 0o755); err != nil {
		return fmt.Errorf("generate modules config: %w", err)
	}
	for i := 0; i < Modules; i++ {
		p := filepath.Join(mods, fmt.Sprintf("s%03d.nix", i))
		if err := os.WriteFile(p, []byte(module(i)), 0o644); err != nil {
			return fmt.Errorf("generate modules config: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "default.nix"), []byte(defaultNix), 0o644); err != nil {
		return fmt.Errorf("generate modules config: %w", err)
	}
	return nil
}

// defaultNix lists only the root of the import tree (module 0 imports 1 and
// 2, and so on) plus a few modules again, which must be de-duplicated.
const defaultNix = `let
  lib = import <gonix/lib>;
  result = lib.evalModules {
    modules = [ ./modules/s000.nix ./modules/s001.nix ./modules/s150.nix ./modules/s299.nix ];
  };
in
result.config.services
`

func svc(i int) string { return fmt.Sprintf("s%03d", ((i%Modules)+Modules)%Modules) }

func module(i int) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("{ config, lib, ... }:\nlet\n  inherit (lib) mkOption mkIf mkMerge mkDefault mkForce mkOverride mkOptionDefault mkBefore mkAfter types;\n")
	w("  cfg = config.services.%s;\nin\n{\n", svc(i))
	var imports []string
	for _, c := range []int{2*i + 1, 2*i + 2} {
		if c < Modules {
			imports = append(imports, fmt.Sprintf("./%s.nix", svc(c)))
		}
	}
	if i%10 == 5 {
		// A leaf (modules 150… import nothing) imported a second time: it is
		// collected once, by key. (An ancestor would make an import cycle,
		// which nixpkgs' lib of 2022 does not survive.)
		imports = append(imports, fmt.Sprintf("./%s.nix", svc(Modules-1-i/2)))
	}
	w("  imports = [ %s ];\n\n", strings.Join(imports, " "))
	s := svc(i)
	w("  options.services.%s = {\n", s)
	w("    enable = lib.mkEnableOption \"service %s\";\n", s)
	w("    port = mkOption { type = types.port; default = %d; description = \"Port of %s.\"; };\n", 1000+i, s)
	w("    name = mkOption { type = types.str; default = \"%s\"; };\n", s)
	w("    level = mkOption { type = types.enum [ \"low\" \"mid\" \"high\" ]; default = \"low\"; };\n")
	w("    extra = mkOption { type = types.nullOr types.str; default = null; };\n")
	w("    tags = mkOption { type = types.listOf types.str; default = [ ]; };\n")
	w("    env = mkOption { type = types.attrsOf types.str; default = { }; };\n")
	w("    instances = mkOption {\n      type = types.attrsOf (types.submodule ({ name, ... }: {\n")
	w("        options.size = mkOption { type = types.int; default = 1; };\n")
	w("        options.label = mkOption { type = types.str; default = \"%s-${name}\"; };\n", s)
	w("        options.flags = mkOption { type = types.listOf types.str; default = [ ]; };\n")
	w("      }));\n      default = { };\n    };\n")
	w("    settings = mkOption {\n      type = types.submodule {\n")
	w("        options.a = mkOption { type = types.int; default = 0; };\n")
	w("        options.b = mkOption { type = types.bool; default = false; };\n")
	w("        options.c = mkOption { type = types.lines; default = \"\"; };\n")
	w("      };\n      default = { };\n    };\n")
	w("    count = mkOption { type = types.ints.unsigned; default = 0; };\n")
	w("  };\n\n")

	w("  config = mkMerge [\n")
	w("    {\n")
	w("      services.%s.enable = mkDefault %v;\n", s, i%3 != 0)
	w("      services.%s.name = mkDefault \"svc-%d\";\n", s, i)
	w("      services.%s.settings.a = mkOverride 900 %d;\n", s, i)
	w("      services.%s.settings.c = mkBefore \"# %s\";\n", s, s)
	w("      services.%s.tags = [ \"from-%d\" ];\n", svc(i+1), i)
	w("      services.%s.tags = mkAfter [ \"late-%d\" ];\n", svc(i+2), i)
	w("      services.%s.env.K%d = \"v%d\";\n", svc(i+7), i, i)
	w("      services.%s.env.PATH = mkOptionDefault \"/bin\";\n", s)
	w("      services.%s.instances.shared.flags = [ \"f%d\" ];\n", svc(i/4), i)
	w("      services.%s.extra = mkIf %v \"x%d\";\n", svc(i+11), i%5 == 0, i)
	w("      services.%s.count = %d;\n", s, i)
	w("    }\n")
	w("    (mkIf cfg.enable {\n")
	w("      services.%s.port = mkForce %d;\n", s, 2000+i)
	w("      services.%s.instances.\"i%d\" = { size = %d; };\n", svc(i+3), i, i)
	w("      services.%s.settings.c = \"enabled %d\";\n", s, i)
	w("      services.%s.settings.b = true;\n", s)
	w("    })\n")
	w("    (mkIf (cfg.level == \"high\") { services.%s.env.HIGH = \"1\"; })\n", s)
	if i%2 == 0 {
		w("    { services.%s.level = \"high\"; }\n", s)
	}
	if i%7 == 0 {
		w("    { services.%s.enable = mkForce false; }\n", svc(i+1))
	}
	w("  ];\n}\n")
	return b.String()
}
