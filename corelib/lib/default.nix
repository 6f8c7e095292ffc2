# gonix lib: the library NixOS modules are written against, with the names
# and behaviour of nixpkgs' current lib (master of mid-2026, run on Nix 2.8). `import <gonix/lib>` gives this
# set; its sub-libraries see the final set (lib.extend works as in nixpkgs).
let
  # As nixpkgs: the top-level set has `extend` but no `__unfix__`; an
  # extended lib is an ordinary makeExtensible set.
  makeExtensible' = rattrs:
    let self = rattrs self // { extend = f: lib.makeExtensible (lib.extends f rattrs); }; in
    self;

  lib = makeExtensible' (self:
    let callLibs = file: import file { lib = self; }; in
    {
      trivial = callLibs ./trivial.nix;
      fixedPoints = callLibs ./fixed-points.nix;

      attrsets = callLibs ./attrsets.nix;
      lists = callLibs ./lists.nix;
      strings = callLibs ./strings.nix;
      stringsWithDeps = callLibs ./strings-with-deps.nix;

      customisation = callLibs ./customisation.nix;
      maintainers = import ./maintainers.nix;
      teams = { };
      meta = callLibs ./meta.nix;
      sources = callLibs ./sources.nix;
      versions = callLibs ./versions.nix;

      modules = callLibs ./modules.nix;
      options = callLibs ./options.nix;
      types = callLibs ./types.nix;

      licenses = callLibs ./licenses.nix;
      systems = callLibs ./systems.nix;

      cli = callLibs ./cli.nix;
      generators = callLibs ./generators.nix;

      asserts = callLibs ./asserts.nix;
      debug = callLibs ./debug.nix;
      misc = callLibs ./deprecated.nix;

      fetchers = callLibs ./fetchers.nix;
      filesystem = callLibs ./filesystem.nix;

      platforms = self.systems.doubles;

      kernel = callLibs ./kernel.nix;

      inherit (builtins) add addErrorContext attrNames concatLists
        deepSeq elem elemAt filter genericClosure genList getAttr
        hasAttr head isAttrs isBool isInt isList isString length
        lessThan listToAttrs pathExists readFile replaceStrings seq
        stringLength sub substring tail trace;
      inherit (self.trivial) id const pipe concat or and bitAnd bitOr bitXor
        bitNot boolToString mergeAttrs flip mapNullable inNixShell isFloat min max
        importJSON importTOML warn warnIf warnIfNot throwIf throwIfNot checkListOfEnum
        info showWarnings nixpkgsVersion version isInOldestRelease
        mod compare splitByAndCompare
        functionArgs setFunctionArgs isFunction toFunction
        toHexString toBaseDigits;
      inherit (self.fixedPoints) fix fix' converge extends composeExtensions
        composeManyExtensions makeExtensible makeExtensibleWithCustomName;
      inherit (self.attrsets) attrByPath hasAttrByPath setAttrByPath
        getAttrFromPath attrVals attrValues getAttrs catAttrs filterAttrs
        filterAttrsRecursive foldAttrs collect nameValuePair mapAttrs
        mapAttrs' mapAttrsToList mapAttrsRecursive mapAttrsRecursiveCond
        genAttrs isDerivation toDerivation optionalAttrs
        zipAttrsWithNames zipAttrsWith zipAttrs recursiveUpdateUntil
        recursiveUpdate matchAttrs overrideExisting showAttrPath getOutput getBin
        getLib getDev getMan chooseDevOutputs
        recurseIntoAttrs dontRecurseIntoAttrs
        updateManyAttrsByPath;
      inherit (self.lists) singleton forEach foldr fold foldl foldl' imap0 imap1
        concatMap flatten remove findSingle findFirst any all count
        optional optionals toList range partition zipListsWith zipLists
        reverseList listDfs toposort sort naturalSort compareLists take
        drop sublist last init crossLists unique intersectLists
        subtractLists mutuallyExclusive groupBy groupBy';
      inherit (self.strings) concatStrings concatMapStrings concatImapStrings
        intersperse concatStringsSep concatMapStringsSep
        concatImapStringsSep makeSearchPath makeSearchPathOutput
        makeLibraryPath makeBinPath optionalString
        hasInfix hasPrefix hasSuffix stringToCharacters stringAsChars escape
        escapeShellArg escapeShellArgs isValidPosixName toShellVar toShellVars
        escapeRegex escapeXML lowerChars
        upperChars toLower toUpper addContextFrom splitString
        removePrefix removeSuffix versionOlder versionAtLeast
        getName getVersion
        nameFromURL enableFeature enableFeatureAs withFeature
        withFeatureAs fixedWidthString fixedWidthNumber isStorePath
        toInt fileContents;
      inherit (self.stringsWithDeps) textClosureList textClosureMap
        noDepEntry fullDepEntry packEntry stringAfter;
      inherit (self.customisation) overrideDerivation makeOverridable
        callPackageWith callPackagesWith extendDerivation hydraJob
        makeScope makeScopeWithSplicing;
      inherit (self.meta) addMetaAttrs dontDistribute setName updateName
        appendToName mapDerivationAttrset setPrio lowPrio lowPrioSet hiPrio
        hiPrioSet getLicenseFromSpdxId getExe;
      inherit (self.filesystem) pathType pathIsDirectory pathIsRegularFile;
      inherit (self.sources) cleanSourceFilter
        cleanSource sourceByRegex sourceFilesBySuffices
        commitIdFromGitRepo cleanSourceWith pathHasContext
        canCleanSource pathIsGitRepo revOrTag repoRevToName;
      inherit (self.modules) evalModules setDefaultModuleLocation
        unifyModuleSyntax applyModuleArgsIfFunction mergeModules
        mergeModules' mergeOptionDecls evalOptionValue mergeDefinitions
        pushDownProperties dischargeProperties filterOverrides
        sortProperties fixupOptionType mkIf mkAssert mkMerge mkOverride
        mkOptionDefault mkDefault mkImageMediaOverride mkForce mkVMOverride
        mkFixStrictness mkOrder mkBefore mkAfter mkAliasDefinitions
        mkAliasAndWrapDefinitions fixMergeModules mkRemovedOptionModule
        mkRenamedOptionModule mkRenamedOptionModuleWith
        mkMergedOptionModule mkChangedOptionModule
        mkAliasOptionModule mkDerivedConfig doRename;
      inherit (self.options) isOption mkEnableOption mkSinkUndeclaredOptions
        mergeDefaultOption mergeOneOption mergeEqualOption mergeUniqueOption
        getValues getFiles
        optionAttrSetToDocList optionAttrSetToDocList'
        scrubOptionValue literalExpression
        showOption showFiles unknownModule mkOption mkPackageOption;
      inherit (self.options) literalMD showOptionWithDefLocs mdDoc mkPackageOptionMD;
      inherit (self.modules) mkDefinition mkAliasOptionModuleMD;
      inherit (self.types) isType setType defaultTypeMerge defaultFunctor
        isOptionType mkOptionType;
      inherit (self.asserts) assertMsg assertOneOf;
      inherit (self.debug) traceIf traceVal traceValFn traceSeq traceSeqN
        traceValSeq traceValSeqFn traceValSeqN traceValSeqNFn traceFnSeqN
        runTests testAllTrue;
      inherit (self.misc) maybeEnv defaultMergeArg defaultMerge foldArgs
        maybeAttrNullable maybeAttr ifEnable checkFlag getValue
        checkReqs uniqList uniqListExt condConcat lazyGenericClosure
        innerModifySumArgs modifySumArgs innerClosePropagation
        closePropagation nvs setAttr setAttrMerge
        mergeAttrsWithFunc mergeAttrsConcatenateValues
        mergeAttrsNoOverride mergeAttrByFunc mergeAttrsByFuncDefaults
        mergeAttrsByFuncDefaultsClean mergeAttrBy
        fakeHash fakeSha256 fakeSha512
        nixType imap;
      inherit (self.versions) splitVersion;

      # Names nixpkgs' lib gained after 22.05.
      inherit (builtins) getContext hasContext convertHash hashString hashFile
        parseDrvName placeholder fromJSON fromTOML toFile toJSON toString toXML
        tryEval baseNameOf dirOf map match split typeOf readDir readFileType
        filterSource path unsafeDiscardStringContext unsafeDiscardOutputDependency
        unsafeGetAttrPos appendContext isPath addDrvOutputDependencies;
      inherit (self.trivial) mul div xor boolToYesNo defaultTo
        oldestSupportedReleaseIsAtLeast mirrorFunctionArgs fromHexString
        inPureEvalMode ceil floor;
      inherit (self.fixedPoints) toExtension;
      inherit (self.attrsets) attrsToList cartesianProduct mapCartesianProduct
        concatMapAttrs foldlAttrs genAttrs' getFirstOutput getInclude getStatic
        intersectAttrs removeAttrs mapAttrsToListRecursive
        mapAttrsToListRecursiveCond mergeAttrsList;
      inherit (self.lists) allUnique uniqueStrings concatAttrValues dropEnd
        takeEnd replicate ifilter0 replaceElemAt sortOn;
      inherit (self.strings) join concatLines concatMapAttrsStringSep
        replaceString makeIncludePath isStringLike escapeURL trim trimWith
        splitStringBy toSentenceCase toCamelCase toIntBase10 cmakeOptionType
        cmakeBool cmakeFeature mesonOption mesonBool mesonEnable compareVersions;
      inherit (self.meta) getExe' getLicenseFromSpdxIdOr licensesSpdx;
      inherit (self.generators) mkLuaInline;
      inherit (self.customisation) extendMkDerivation makeScopeWithSplicing'
        mapCrossIndex renameCrossIndexFrom renameCrossIndexTo;
    });
in
lib
