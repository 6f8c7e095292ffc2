# gonix lib: package customisation: callPackage, override, scopes
# (lib.customisation; nixpkgs 22.05 names).
{ lib }:
let
  inherit (builtins) isAttrs attrNames intersectAttrs listToAttrs length elemAt;
  inherit (lib.trivial) isFunction functionArgs setFunctionArgs;
in
rec {
  overrideDerivation = drv: f:
    let newDrv = derivation (drv.drvAttrs // (f drv)); in
    extendDerivation true
      ({ meta = drv.meta or { }; passthru = if drv ? passthru then drv.passthru else { }; }
        // (drv.passthru or { })
        // (if drv ? crossDrv && drv ? nativeDrv then {
          crossDrv = overrideDerivation drv.crossDrv f;
          nativeDrv = overrideDerivation drv.nativeDrv f;
        } else { }))
      newDrv;

  # makeOverridable f args: f args, plus `override` (new arguments),
  # `overrideDerivation` and, when the result has it, `overrideAttrs`.
  makeOverridable = f: origArgs:
    let
      result = f origArgs;
      copyArgs = g: setFunctionArgs g (functionArgs f);
      overrideWith = newArgs: origArgs // (if isFunction newArgs then newArgs origArgs else newArgs);
      overrideArgs = copyArgs (newArgs: makeOverridable f (overrideWith newArgs));
      overrideResult = g: makeOverridable (copyArgs (args: g (f args))) origArgs;
    in
    if isAttrs result then
      result // {
        override = overrideArgs;
        overrideDerivation = fdrv: overrideResult (x: overrideDerivation x fdrv);
        ${if result ? overrideAttrs then "overrideAttrs" else null} = fdrv: overrideResult (x: x.overrideAttrs fdrv);
      }
    else if isFunction result then
      setFunctionArgs result (functionArgs result) // { override = overrideArgs; }
    else result;

  callPackageWith = autoArgs: fn: args:
    let
      f = if isFunction fn then fn else import fn;
      fargs = functionArgs f;
      allArgs = intersectAttrs fargs autoArgs // args;
      missingArgs = builtins.filter (name: !fargs.${name}) (attrNames (removeAttrs fargs (attrNames allArgs)));
      getSuggestions = arg:
        map (x: "\"" + x + "\"")
          (lib.lists.take 3
            (builtins.sort (x: y: lib.strings.levenshtein x arg < lib.strings.levenshtein y arg)
              (builtins.filter (lib.strings.levenshteinAtMost 2 arg) (attrNames (autoArgs // args)))));
      prettySuggestions = s:
        if s == [ ] then ""
        else if length s == 1 then ", did you mean ${elemAt s 0}?"
        else ", did you mean ${builtins.concatStringsSep ", " (lib.lists.init s)} or ${lib.lists.last s}?";
      errorForArg = arg:
        let
          loc = builtins.unsafeGetAttrPos arg fargs;
          loc' =
            if loc != null then loc.file + ":" + toString loc.line
            else if !isFunction fn then toString fn + lib.strings.optionalString (lib.filesystem.pathIsDirectory fn) "/default.nix"
            else "<unknown location>";
        in
        "lib.customisation.callPackageWith: Function called without required argument \"${arg}\" at ${loc'}${prettySuggestions (getSuggestions arg)}";
    in
    if missingArgs == [ ] then makeOverridable f allArgs else abort (errorForArg (builtins.head missingArgs));

  callPackagesWith = autoArgs: fn: args:
    let
      f = if isFunction fn then fn else import fn;
      origArgs = intersectAttrs (functionArgs f) autoArgs // args;
      pkgs = f origArgs;
      mkAttrOverridable = name: _: makeOverridable (newArgs: (f newArgs).${name}) origArgs;
    in
    if lib.attrsets.isDerivation pkgs then
      throw ("function `callPackages` was called on a *single* derivation "
        + "\"${pkgs.name or "<unknown-name>"}\";"
        + " did you mean to use `callPackage` instead?")
    else builtins.mapAttrs mkAttrOverridable pkgs;

  extendDerivation = condition: passthru: drv:
    let
      outputs = drv.outputs or [ "out" ];
      commonAttrs = drv // (listToAttrs outputsList) // { all = map (x: x.value) outputsList; } // passthru;
      outputsList = map
        (outputName: {
          name = outputName;
          value = commonAttrs // {
            inherit (drv.${outputName}) type outputName;
            outputSpecified = true;
            drvPath = assert condition; drv.${outputName}.drvPath;
            outPath = assert condition; drv.${outputName}.outPath;
          };
        })
        outputs;
    in
    commonAttrs // {
      drvPath = assert condition; drv.drvPath;
      outPath = assert condition; drv.outPath;
    };

  hydraJob = drv:
    let
      outputs = drv.outputs or [ "out" ];
      commonAttrs = { inherit (drv) name system meta; inherit outputs; }
        // lib.attrsets.optionalAttrs (drv._hydraAggregate or false) {
        _hydraAggregate = true;
        constituents = map hydraJob (lib.lists.flatten drv.constituents);
      }
        // (listToAttrs outputsList);
      outputsList = map
        (outputName:
          let output = drv.${outputName}; in {
            name = outputName;
            value = commonAttrs // {
              outPath = output.outPath;
              drvPath = output.drvPath;
              type = "derivation";
              inherit outputName;
            };
          })
        outputs;
      drv' = (builtins.head outputsList).value;
    in
    builtins.deepSeq drv' drv';

  makeScope = newScope: f:
    let
      self = { callPackage = self.newScope { }; } // f self // {
        newScope = scope: newScope (self // scope);
        overrideScope = g: makeScope newScope (lib.fixedPoints.extends g f);
        packages = f;
      };
    in
    self;

  makeScopeWithSplicing = splicePackages: newScope: otherSplices: keep: extra: f:
    makeScopeWithSplicing' { inherit splicePackages newScope; } { inherit otherSplices keep extra f; };

  makeScopeWithSplicing' = { splicePackages, newScope }:
    { otherSplices, keep ? (_self: { }), extra ? (_spliced0: { }), f }:
    let
      spliced0 = splicePackages {
        pkgsBuildBuild = otherSplices.selfBuildBuild;
        pkgsBuildHost = otherSplices.selfBuildHost;
        pkgsBuildTarget = otherSplices.selfBuildTarget;
        pkgsHostHost = otherSplices.selfHostHost;
        pkgsHostTarget = self;
        pkgsTargetTarget = otherSplices.selfTargetTarget;
      };
      spliced = extra spliced0 // spliced0 // keep self;
      self = f self // {
        newScope = scope: newScope (spliced // scope);
        callPackage = newScope spliced;
        overrideScope = g: makeScopeWithSplicing' { inherit splicePackages newScope; }
          { inherit otherSplices keep extra; f = lib.fixedPoints.extends g f; };
        packages = f;
      };
    in
    self;

  # A derivation constructor (mkDerivation-like, taking a set or a
  # fixed-point function final: { … }) whose arguments extendDrvArgs
  # final previous extends; functionArgs merges both signatures.
  extendMkDerivation =
    { constructDrv
    , excludeDrvArgNames ? [ ]
    , excludeFunctionArgNames ? [ ]
    , extendDrvArgs
    , inheritFunctionArgs ? true
    , transformDrv ? (x: x)
    }:
    {
      __functor = self: fpargs:
        transformDrv (constructDrv (final:
          let previous = if lib.trivial.isFunction fpargs then fpargs final else fpargs; in
          removeAttrs previous excludeDrvArgNames // extendDrvArgs final previous));
      __functionArgs = removeAttrs
        (lib.attrsets.optionalAttrs inheritFunctionArgs (removeAttrs (lib.trivial.functionArgs constructDrv) excludeDrvArgNames)
          // lib.trivial.functionArgs (extendDrvArgs { }))
        excludeFunctionArgNames;
      inherit constructDrv excludeDrvArgNames extendDrvArgs transformDrv;
    };

  mapCrossIndex = f: { buildBuild, buildHost, buildTarget, hostHost, hostTarget, targetTarget }: {
    buildBuild = f buildBuild;
    buildHost = f buildHost;
    buildTarget = f buildTarget;
    hostHost = f hostHost;
    hostTarget = f hostTarget;
    targetTarget = f targetTarget;
  };
  renameCrossIndexFrom = prefix: x: {
    buildBuild = x."${prefix}BuildBuild";
    buildHost = x."${prefix}BuildHost";
    buildTarget = x."${prefix}BuildTarget";
    hostHost = x."${prefix}HostHost";
    hostTarget = x."${prefix}HostTarget";
    targetTarget = x."${prefix}TargetTarget";
  };
  renameCrossIndexTo = prefix: x: {
    "${prefix}BuildBuild" = x.buildBuild;
    "${prefix}BuildHost" = x.buildHost;
    "${prefix}BuildTarget" = x.buildTarget;
    "${prefix}HostHost" = x.hostHost;
    "${prefix}HostTarget" = x.hostTarget;
    "${prefix}TargetTarget" = x.targetTarget;
  };
}
