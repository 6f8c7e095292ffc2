# gonix lib: attribute sets to GNU-style command lines (lib.cli).
{ lib }:
rec {
  toGNUCommandLineShell = options: attrs: lib.strings.escapeShellArgs (toGNUCommandLine options attrs);

  # { a = true; b = [ 1 2 ]; long = "x"; n = null; } ->
  # [ "-a" "-b" "1" "-b" "2" "--long" "x" ]
  toGNUCommandLine =
    { mkOptionName ? k: if builtins.stringLength k == 1 then "-${k}" else "--${k}"
    , mkBool ? k: v: lib.lists.optional v (mkOptionName k)
    , mkList ? k: v: builtins.concatMap (mkOption k) v
    , mkOption ? k: v: if v == null then [ ] else [ (mkOptionName k) (lib.generators.mkValueStringDefault { } v) ]
    }:
    options:
    let
      render = k: v:
        if builtins.isBool v then mkBool k v
        else if builtins.isList v then mkList k v
        else mkOption k v;
    in
    builtins.concatMap (k: render k options.${k}) (builtins.attrNames options);
}
