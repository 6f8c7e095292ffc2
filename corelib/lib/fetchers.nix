# gonix lib: helpers shared by fetchers (lib.fetchers).
{ lib }:
let
  defaultHashTypes = [ "sha256" ];
  hashNamesOf = hashTypes: [ "hash" ] ++ hashTypes;
  hashSetOf = hashTypes: lib.attrsets.genAttrs (hashNamesOf hashTypes) (_: { });
  fakeH = { hash = lib.misc.fakeHash; sha256 = lib.misc.fakeSha256; sha512 = lib.misc.fakeSha512; };
in
rec {
  proxyImpureEnvVars = [
    "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy"
    "HTTP_PROXY" "HTTPS_PROXY" "FTP_PROXY" "ALL_PROXY" "NO_PROXY"
    "NIX_SSL_CERT_FILE"
  ];

  # One of hash/sha256/… (the hashTypes) becomes outputHash and
  # outputHashAlgo (null for an SRI `hash`); "" is the fake hash. Arguments
  # that already have outputHash pass unchanged.
  normalizeHash = { hashTypes ? defaultHashTypes, required ? true }:
    args:
    if args ? outputHash then args
    else
      let
        given = lib.attrsets.attrsToList (builtins.intersectAttrs (hashSetOf hashTypes) args);
        h =
          if given == [ ] then lib.trivial.throwIf required "fetcher called without `hash`" null
          else if builtins.length given != 1 then
            throw "fetcher called with mutually-incompatible arguments: ${builtins.concatStringsSep ", " (map (a: a.name) given)}"
          else builtins.head given;
      in
      removeAttrs args (hashNamesOf hashTypes)
      // lib.attrsets.optionalAttrs (h != null) {
        outputHashAlgo = if h.name == "hash" then null else h.name;
        outputHash = if h.value == "" then fakeH.${h.name} or (throw "no “fake hash” defined for ${h.name}") else h.value;
      };

  # A fetcher taking outputHash/outputHashAlgo, wrapped to take hash (and
  # the hashTypes) instead.
  withNormalizedHash = { hashTypes ? defaultHashTypes }: fetcher:
    let
      fArgs = lib.trivial.functionArgs fetcher;
      normalize = normalizeHash { inherit hashTypes; required = !fArgs.outputHash; };
    in
    assert fArgs ? outputHash && fArgs ? outputHashAlgo;
    assert builtins.intersectAttrs fArgs (hashSetOf hashTypes) == { };
    lib.trivial.setFunctionArgs (args: fetcher (normalize args))
      (removeAttrs fArgs [ "outputHash" "outputHashAlgo" ] // { hash = fArgs.outputHash; });
}
