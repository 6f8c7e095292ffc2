# mkShell: a derivation meant for nix-shell, as nixpkgs' mkShell is called:
#
#   mkShell { packages = [ hello ]; buildInputs = [ zlib ]; inputsFrom = [ xz ];
#             shellHook = "echo ready"; }
#
# packages go to nativeBuildInputs; inputsFrom merges the inputs of other
# derivations (minus those derivations themselves) and chains their
# shellHooks before this one's. Building it only records that it is not
# meant to be built (the output is an empty file), so that
# `nix-build shell.nix` still captures the dependency closure.
{ stdenv }:
{ name ? "nix-shell"
, packages ? [ ]
, inputsFrom ? [ ]
, buildInputs ? [ ]
, nativeBuildInputs ? [ ]
, propagatedBuildInputs ? [ ]
, propagatedNativeBuildInputs ? [ ]
, shellHook ? ""
, ...
}@attrs:
let
  isIn = x: builtins.any (y: y == x) inputsFrom;
  mergeInputs = attr:
    (attrs.${attr} or [ ])
    ++ builtins.filter (x: !isIn x)
      (builtins.concatLists (map (d: d.${attr} or [ ]) inputsFrom));
  rest = removeAttrs attrs [
    "name" "packages" "inputsFrom" "buildInputs" "nativeBuildInputs"
    "propagatedBuildInputs" "propagatedNativeBuildInputs" "shellHook"
  ];
  hooks = builtins.filter (h: h != "") (map (d: d.shellHook or "") inputsFrom ++ [ shellHook ]);
in
stdenv.mkDerivation ({
  inherit name;
  buildInputs = mergeInputs "buildInputs";
  nativeBuildInputs = packages ++ mergeInputs "nativeBuildInputs";
  propagatedBuildInputs = mergeInputs "propagatedBuildInputs";
  propagatedNativeBuildInputs = mergeInputs "propagatedNativeBuildInputs";
  shellHook = builtins.concatStringsSep "\n" hooks;
  buildCommand = ''
    echo
    echo "This derivation is not meant to be built, unless you want to capture the dependency closure."
    echo
    : > "$out"
  '';
  preferLocalBuild = true;
} // rest)
