# gonix lib: evaluation-time directory walks (lib.filesystem).
{ lib }:
{
  inherit (builtins) baseNameOf dirOf hashFile isPath readDir readFileType;

  # builtins.readFileType, as nixpkgs (missing on Nix 2.8: selecting it
  # fails there too).
  pathType = builtins.readFileType;
  pathIsDirectory = path: builtins.pathExists path && lib.filesystem.pathType path == "directory";
  pathIsRegularFile = path: builtins.pathExists path && lib.filesystem.pathType path == "regular";

  # A directory (or a string ending in "/") names its default.nix.
  resolveDefaultNix = v:
    if lib.filesystem.pathIsDirectory v then v + "/default.nix"
    else if builtins.isString v && lib.strings.hasSuffix "/" v then v + "default.nix"
    else v;
  # Subdirectories of root that hold a <name>.cabal file, by name.
  haskellPathsInDir = root:
    let
      withPaths = map (file: { name = file; value = root + "/${file}"; }) (builtins.attrNames (builtins.readDir root));
    in
    builtins.listToAttrs (builtins.filter ({ name, value }: builtins.pathExists (value + "/${name}.cabal")) withPaths);

  # The closest directory at or above file holding a name matching pattern.
  locateDominatingFile = pattern: file:
    let
      go = path:
        let
          matches = builtins.filter (m: m != null) (map (builtins.match pattern) (builtins.attrNames (builtins.readDir path)));
        in
        if builtins.length matches != 0 then { inherit path matches; }
        else if path == /. then null
        else go (dirOf path);
      parent = dirOf file;
      isDir = file == /. || ((builtins.readDir parent).${baseNameOf file} or null) == "directory";
    in
    go (if isDir then file else parent);

  listFilesRecursive = dir:
    builtins.concatMap
      (name:
        let type = (builtins.readDir dir).${name}; in
        if type == "directory" then lib.filesystem.listFilesRecursive (dir + "/${name}") else [ (dir + "/${name}") ])
      (builtins.attrNames (builtins.readDir dir));
}
