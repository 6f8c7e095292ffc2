let lib = import <gonix/lib>; in
with lib;
let

  checked = cfg:
    let failed = map (x: x.message) (filter (x: !x.assertion) cfg.assertions);
    in if failed != [ ] then throw "\nFailed assertions:\n${concatStringsSep "\n" (map (x: "- ${x}") failed)}"
       else showWarnings cfg.warnings cfg.value;

  cfg = (evalModules {
    modules = [
      {
        options.assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
        options.warnings = mkOption { type = types.listOf types.str; default = [ ]; };
        options.value = mkOption { type = types.int; default = 1; };
      }
      (mkRenamedOptionModule [ "oldValue" ] [ "value" ])
      { assertions = [ { assertion = false; message = "first failed"; } { assertion = true; message = "ok"; } { assertion = 1 == 2; message = "second failed"; } ]; }
    ];
  }).config;
in
checked cfg
