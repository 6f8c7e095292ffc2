# gonix lib: filtered copies of source trees and git metadata (lib.sources).
{ lib }:
let
  inherit (builtins) match readDir split tryEval pathExists readFile isString filter;
  inherit (lib.strings) hasPrefix hasSuffix removePrefix removeSuffix fileContents;

  # lib.filesystem's, on builtins.readFileType (missing on Nix 2.8, so the
  # git helpers fail there as nixpkgs' do).
  inherit (lib.filesystem) pathIsRegularFile;

  # Drops version-control directories, editor backups, objects, result
  # links and special files.
  cleanSourceFilter = name: type:
    let baseName = baseNameOf (toString name); in
    !((baseName == ".git" || type == "directory" && (baseName == ".svn" || baseName == "CVS" || baseName == ".hg"))
      || hasSuffix "~" baseName
      || match "^\\.sw[a-z]$" baseName != null
      || match "^\\..*\\.sw[a-z]$" baseName != null
      || hasSuffix ".o" baseName
      || hasSuffix ".so" baseName
      || (type == "symlink" && hasPrefix "result" baseName)
      || (type == "unknown"));

  cleanSource = src: cleanSourceWith { filter = cleanSourceFilter; inherit src; };

  # Filters compose: a cleanSourceWith of a cleanSourceWith copies the
  # original path once, with both filters (builtins.path gives the filter
  # absolute paths under the original source).
  cleanSourceWith = { src, filter ? _path: _type: true, name ? null }:
    let orig = toSourceAttributes src; in
    fromSourceAttributes {
      inherit (orig) origSrc;
      filter = path: type: filter path type && orig.filter path type;
      name = if name != null then name else orig.name;
    };

  trace = src:
    let attrs = toSourceAttributes src; in
    fromSourceAttributes (attrs // {
      filter = path: type:
        let r = attrs.filter path type; in
        builtins.trace "${attrs.name}.filter ${path} = ${lib.trivial.boolToString r}" r;
    }) // {
      satisfiesSubpathInvariant = src ? satisfiesSubpathInvariant && src.satisfiesSubpathInvariant;
    };

  sourceByRegex = src: regexes:
    let origSrc = if src ? _isLibCleanSourceWith then src.origSrc else src; in
    cleanSourceWith {
      filter = path: type:
        let relPath = removePrefix (toString origSrc + "/") (toString path); in
        builtins.any (re: match re relPath != null) regexes;
      inherit src;
    };

  sourceFilesBySuffices = src: exts:
    cleanSourceWith {
      filter = name: type:
        let base = baseNameOf (toString name); in
        type == "directory" || builtins.any (ext: hasSuffix ext base) exts;
      inherit src;
    };

  pathIsGitRepo = path: (tryEval (commitIdFromGitRepo path)).success;

  # The commit HEAD points at, read from the .git directory (or a gitdir
  # file of a worktree/submodule), loose refs first, then packed-refs.
  commitIdFromGitRepo =
    let
      readCommitFromFile = file: path:
        let
          fileName = toString path + "/" + file;
          packedRefsName = toString path + "/packed-refs";
          absolutePath = base: path: if hasPrefix "/" path then path else toString (/. + "${base}/${path}");
        in
        if pathIsRegularFile path then
          let m = match "^gitdir: (.*)$" (fileContents path); in
          if m == null then throw ("File contains no gitdir reference: " + path)
          else
            let
              gitDir = absolutePath (dirOf path) (builtins.head m);
              commonDir'' = if pathIsRegularFile "${gitDir}/commondir" then fileContents "${gitDir}/commondir" else gitDir;
              commonDir = absolutePath gitDir (removeSuffix "/" commonDir'');
              refFile = removePrefix "${commonDir}/" "${gitDir}/${file}";
            in
            readCommitFromFile refFile commonDir
        else if pathIsRegularFile fileName then
          let
            fileContent = fileContents fileName;
            matchRef = match "^ref: (.*)$" fileContent;
          in
          if matchRef == null then fileContent else readCommitFromFile (builtins.head matchRef) path
        else if pathIsRegularFile packedRefsName then
          let
            matchRef = match "([a-z0-9]+) ${file}";
            refs = filter (s: isString s && matchRef s != null) (split "\n" (readFile packedRefsName));
          in
          if refs == [ ] then throw ("Could not find " + file + " in " + packedRefsName)
          else builtins.head (matchRef (builtins.head refs))
        else throw ("Not a .git directory: " + path);
    in
    readCommitFromFile "HEAD";

  pathHasContext = builtins.hasContext;
  canCleanSource = src: src ? _isLibCleanSourceWith || !(pathHasContext (toString src));

  toSourceAttributes = src:
    let isFiltered = src ? _isLibCleanSourceWith; in
    {
      origSrc = if isFiltered then src.origSrc else src;
      filter = if isFiltered then src.filter else _: _: true;
      name = if isFiltered then src.name else "source";
    };

  fromSourceAttributes = { origSrc, filter, name }: {
    _isLibCleanSourceWith = true;
    inherit origSrc filter name;
    outPath = builtins.path { inherit filter name; path = origSrc; };
  };
  # The name part of a repository URL: the last path component without
  # one .git/archive extension at a time.
  urlToName = url:
    let
      base = baseNameOf (removeSuffix "/" (lib.lists.last (lib.strings.splitString ":" (toString url))));
      removeExt = name:
        let m = match "(.*)\\.(git|tar|zip|gz|tgz|bz|tbz|bz2|tbz2|lzma|txz|xz|zstd)$" name; in
        if m != null then builtins.head m else name;
      shrink = f: x: let v = f x; in if builtins.stringLength v < builtins.stringLength x then shrink f v else x;
    in
    shrink removeExt base;

  # "refs/tags/v12.0" -> "12.0", a commit hash -> its first 7 characters.
  shortRev = rev:
    let
      baseRev = baseNameOf (toString rev);
      matchHash = match "[a-f0-9]+" baseRev;
      matchVer = match "([A-Za-z]+[-_. ]?)*(v)?([0-9.]+.*)" baseRev;
    in
    if matchHash != null then builtins.substring 0 7 baseRev
    else if matchVer != null then lib.lists.last matchVer
    else baseRev;

  revOrTag = rev: tag: if tag != null then tag else if rev != null then rev else "HEAD";

  repoRevToNameFull = repo_: rev_: suffix_:
    "${urlToName repo_}${if rev_ != null then "-${shortRev rev_}" else ""}${if suffix_ != null then "-${suffix_}" else ""}-source";
  repoRevToName = kind:
    if kind == "source" then (repo: rev: suffix: "source")
    else if kind == "versioned" then (repo: rev: suffix: repoRevToNameFull repo rev null)
    else if kind == "full" then repoRevToNameFull
    else throw "repoRevToName: invalid kind";
in
{
  inherit (builtins) filterSource;
  inherit urlToName shortRev revOrTag repoRevToName pathIsGitRepo
    commitIdFromGitRepo cleanSource cleanSourceWith cleanSourceFilter
    pathHasContext canCleanSource sourceByRegex sourceFilesBySuffices trace;
}
