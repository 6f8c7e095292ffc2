# Pinned Debian inputs: binary seeds (.deb) and upstream source tarballs
# (*.orig.tar.*), fetched as fixed-output downloads from mirror://debian
# (the builtin fetcher resolves the mirror: GONIX_MIRROR_DEBIAN, else the
# host's apt sources) and checked against pins.json, which
# ./update-pins.sh regenerates from the archive's current indexes.
{ lib }:
let
  pins = builtins.fromJSON (builtins.readFile ./pins.json);
  missing = kind: name: throw
    "gonixpkgs: no pin for Debian ${kind} package '${name}' in pkgs/debian/pins.json; add it to pkgs/debian/${if kind == "binary" then "seeds" else "sources"}.txt and run pkgs/debian/update-pins.sh";
  # Store path names may not hold '~' (Debian's "before" version marker).
  fetch = path: sha256: import <nix/fetchurl.nix> {
    url = "mirror://debian/${path}";
    name = builtins.replaceStrings [ "~" ] [ "_" ] (baseNameOf path);
    inherit sha256;
  };
in rec {
  inherit pins;

  # fetchDeb "bash": the pinned .deb file.
  fetchDeb = name:
    let p = pins.binary.${name} or (missing "binary" name);
    in fetch p.filename p.sha256;

  # unpackDeb "bash": the .deb's data tree, unpacked by gonix's builtin
  # (no host program runs).
  unpackDeb = name: derivation {
    name = "deb-${name}-${builtins.replaceStrings [ ":" "~" ] [ "_" "_" ] pins.binary.${name}.version}";
    system = "builtin";
    builder = "builtin:unpack-deb";
    src = fetchDeb name;
    preferLocalBuild = true;
  };

  # fetchSource "hello" [ file ]: the upstream tarball of a source
  # package (its only .orig tarball when file is null).
  fetchSource = name: file:
    let
      s = pins.source.${name} or (missing "source" name);
      names = builtins.attrNames s.files;
      f = if file != null then file
          else if builtins.length names == 1 then builtins.head names
          else throw "gonixpkgs: source package '${name}' has several tarballs (${toString names}); name one";
      entry = s.files.${f} or (throw "gonixpkgs: source package '${name}' has no pinned file '${f}'; run pkgs/debian/update-pins.sh");
    in fetch entry.path entry.sha256;

  # The upstream version of a source package: "1:1.2.13.dfsg-1" -> "1.2.13.dfsg".
  sourceVersion = name:
    let
      v = (pins.source.${name} or (missing "source" name)).version;
      noEpoch = let m = builtins.match "[0-9]+:(.*)" v; in if m == null then v else builtins.head m;
      m = builtins.match "(.*)-[^-]*" noEpoch;
    in if m == null then noEpoch else builtins.head m;
}
