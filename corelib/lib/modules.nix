# The module system (lib.evalModules and the property helpers): spec nixos.md §1.
{ lib }:
let
  inherit (builtins)
    addErrorContext
    all
    any
    attrNames
    catAttrs
    concatLists
    concatMap
    concatStringsSep
    elem
    filter
    foldl'
    functionArgs
    genericClosure
    head
    isAttrs
    isBool
    isList
    isString
    length
    mapAttrs
    removeAttrs
    seq
    sort
    substring
    tail
    typeOf
    unsafeGetAttrPos
    zipAttrsWith
    ;
  u = import ./module-util.nix { inherit lib; };
  # Native helpers in the embedded lib; an empty set when read from disk.
  native = import ./native.nix;
  inherit (u)
    showOption
    showFiles
    showDefs
    isFunc
    setAttrByPath
    attrByPath
    getAttrFromPath
    last
    init
    take
    optional
    ;
  inherit (lib.options) mkOption isOption;
  types = lib.types;

  unknownModule = "<unknown-file>";
  defaultOverridePriority = 100;
  defaultOrderPriority = 1000;

  # lib.warn: nixpkgs' trace-based warning on a Nix without builtins.warn
  # (spec §1.8); Nix drops its colour codes off a terminal.
  inherit (lib.trivial) warn;

  esc = builtins.fromJSON "\"\\u001b\"";
  ansiWarn = s: "${esc}[1;35m${s}${esc}[0m";
  ansiCode = s: "${esc}[1m${s}${esc}[0m";

  notAModule =
    fallbackFile: type: prefix:
    "Expected a module, but found a value of type ${ansiWarn (u.escapeNixString type)}"
    + (
      if fallbackFile != null && fallbackFile != unknownModule then
        ", while trying to load a module into ${toString fallbackFile}"
      else
        ""
    )
    + (
      if prefix != [ ] then ", while trying to load a module into ${ansiCode (showOption prefix)}" else ""
    )
    + ".\nA module is typically loaded by adding it to the ${ansiCode "imports = [ ... ];"} attribute of an existing module, or in the ${ansiCode "modules = [ ... ];"} argument of various functions.\nPlease make sure that each of the list items is a module, and not a different kind of value."
    + (
      if type == "configuration" then
        "\n\nIf you really mean to import this configuration, instead please only import the modules that make up the configuration.\nYou may have to create a `let` binding, file or attribute to give yourself access to the relevant modules.\nWhile loading a configuration into the module system is a very sensible idea, it can not be done cleanly in practice."
      else
        ""
    );

  importsHint = "if you get an infinite recursion here, you probably reference `config` in `imports`. If you are trying to achieve a conditional import behavior dependent on `config`, consider importing unconditionally, and using `mkEnableOption` and `mkIf` to control its effect.";

  # The options of the internal module, built once (not per evaluation).
  internalOptions = internal: {
    _module.args = mkOption (
      {
        type = types.lazyAttrsOf types.raw;
        description = "Additional arguments passed to each module in addition to ones like `lib`, `config`, and `pkgs`, `modulesPath`.";
      }
      // (if internal then { internal = true; } else { })
    );
    _module.check = mkOption {
      type = types.bool;
      internal = true;
      default = true;
      description = "Whether to check whether all option definitions have matching declarations.";
    };
    _module.freeformType = mkOption {
      type = types.nullOr types.optionType;
      internal = true;
      default = null;
      description = "If set, merge all definitions that don't have an associated option together using this type.";
    };
    _module.specialArgs = mkOption {
      readOnly = true;
      internal = true;
      description = "Externally provided module arguments that can't be modified from within a configuration, but can be used in module imports.";
    };
  };
  internalOptionsTop = internalOptions false;
  internalOptionsSub = internalOptions true;

  # ---------------------------------------------------------------- evalModules

  evalModules =
    evalArgs@{
      modules,
      prefix ? [ ],
      specialArgs ? { },
      class ? null,
      args ? { },
      check ? true,
    }:
    let
      withWarnings =
        x:
        let
          a =
            if evalArgs ? args then
              warn "The args argument to evalModules is deprecated. Please set config._module.args instead."
            else
              (y: y);
          c =
            if evalArgs ? check then
              warn "The check argument to evalModules is deprecated. Please set config._module.check instead."
            else
              (y: y);
        in
        a (c x);

      legacyModules =
        optional (evalArgs ? args) { config._module.args = args; }
        ++ optional (evalArgs ? check) { config._module.check = mkDefault check; };

      regularModules = modules ++ legacyModules;

      internalModule = {
        _file = "lib/modules.nix";
        key = "lib/modules.nix";
        options = if prefix == [ ] then internalOptionsTop else internalOptionsSub;
        config._module.args = {
          inherit extendModules;
          moduleType = type;
        };
        config._module.specialArgs = specialArgs;
      };

      moduleArgs = {
        inherit lib options specialArgs;
        _class = class;
        _prefix = prefix;
        config = addErrorContext importsHint config;
      }
      // specialArgs;

      collected = collectModules class (specialArgs.modulesPath or "") (
        regularModules ++ [ internalModule ]
      ) moduleArgs;

      merged = mergeModules prefix (reverseList collected.modules);

      options = merged.matchedOptions;

      declaredConfig = merged.config;

      config =
        if declaredConfig._module.freeformType == null then
          declaredConfig
        else
          let
            defs = map (def: {
              inherit (def) file;
              value = setAttrByPath def.prefix def.value;
            }) merged.unmatchedDefns;
            freeformConfig =
              if defs == [ ] then { } else declaredConfig._module.freeformType.merge prefix defs;
          in
          u.recursiveUpdate freeformConfig declaredConfig;

      checkUnmatched =
        if
          declaredConfig._module.check
          && declaredConfig._module.freeformType == null
          && merged.unmatchedDefns != [ ]
        then
          unmatchedError prefix options (head merged.unmatchedDefns)
        else
          null;

      checked = seq checkUnmatched;

      extendModules =
        extendArgs@{
          modules ? [ ],
          specialArgs ? { },
          prefix ? [ ],
        }:
        evalModules (
          evalArgs
          // {
            modules = regularModules ++ modules;
            specialArgs = evalArgs.specialArgs or { } // specialArgs;
            prefix = extendArgs.prefix or evalArgs.prefix or [ ];
          }
        );

      type = types.submoduleWith { inherit modules specialArgs class; };
    in
    withWarnings {
      _type = "configuration";
      options = checked options;
      config = checked (removeAttrs config [ "_module" ]);
      _module = checked config._module;
      inherit (collected) graph;
      inherit extendModules type class;
    };

  unmatchedError =
    prefix: options: def:
    let
      optText = showOption (prefix ++ def.prefix);
      defText =
        addErrorContext
          "while evaluating the error message for definitions for `${optText}', which is an option that does not exist"
          (addErrorContext "while evaluating a definition from `${def.file}'" (showDefs [ def ]));
      parent = init def.prefix;
      absParent = prefix ++ parent;
      siblings = attrNames (attrByPath parent { } options);
      candidates = if parent == [ ] then filter (n: n != "_module") siblings else siblings;
      bad = last def.prefix;
      scored = map (n: {
        inherit n;
        d = u.levenshtein bad n;
      }) candidates;
      near = if length candidates < 100 then scored else filter (x: x.d <= 2) scored;
      suggestions = map (x: x.n) (take 3 (sort (a: b: a.d < b.d) near));
      show = s: "`${showOption (absParent ++ [ s ])}'";
      suggestion =
        if suggestions == [ ] then
          ""
        else if length suggestions == 1 then
          "\n\nDid you mean ${show (head suggestions)}?"
        else
          "\n\nDid you mean ${concatStringsSep ", " (map show (init suggestions))} or ${show (last suggestions)}?";
      base = "The option `${optText}' does not exist. Definition values:${defText}${suggestion}";
    in
    if attrNames options == [ "_module" ] then
      if prefix == [ ] then
        throw "${base}\n\nIt seems as if you're trying to declare an option by placing it into `config' rather than `options'!\n"
      else
        throw "${base}\n\nHowever there are no options defined in `${showOption prefix}'. Are you sure you've\ndeclared your options properly? This can happen if you e.g. declared your options in `types.submodule'\nunder `config' rather than `options'.\n"
    else
      throw base;

  reverseList =
    native.reverseList or (
      l:
      let
        n = length l;
      in
      builtins.genList (i: builtins.elemAt l (n - i - 1)) n
    );

  # ----------------------------------------------------------- collecting modules

  collectModules =
    class: modulesPath: initialModules: args:
    let
      checkClass =
        m:
        if m._class == null || m._class == class then
          m
        else
          throw "The module `${m._file or m.key}` (class: ${u.escapeNixString m._class}) cannot be imported into a module evaluation that expects class ${u.escapeNixString class}.\n\nHelp:\n- Ensure that you are importing the correct module.\n- Verify that the module's `_class`, ${u.escapeNixString m._class} matches the expected `class` ${u.escapeNixString class}.\n- If you are using a custom class, make sure it is correctly defined and used consistently across your modules.\n";

      load =
        file: key: m:
        if builtins.isFunction m || isAttrs m && m ? __functor && isFunc m then
          unifyModuleSyntax file key (applyModuleArgs key m args)
        else if isAttrs m then
          let
            t = m._type or "module";
          in
          if t == "module" then
            unifyModuleSyntax file key m
          else if t == "if" || t == "override" then
            load file key { config = m; }
          else
            throw (notAModule file t args._prefix)
        else if isList m then
          throw "Module imports can't be nested lists. Perhaps you meant to remove one level of lists? Definitions: ${
            showDefs [
              {
                inherit file;
                value = m;
              }
            ]
          }"
        else
          let
            p = toString m;
          in
          unifyModuleSyntax p p (applyModuleArgsIfFunction p (import m) args);

      # A tree of { key, module, modules, disabled } (disabled: the
      # disabledModules lists of this module and everything below it).
      structure =
        parentFile: parentKey: ms:
        builtins.genList (
          i:
          let
            x = builtins.elemAt ms i;
            loaded = load parentFile "${parentKey}:anon-${toString (i + 1)}" x;
            module = if class == null then loaded else checkClass loaded;
            children = structure module._file module.key module.imports;
          in
          {
            inherit (module) key;
            inherit module;
            modules = children;
            disabled =
              (
                if module.disabledModules != [ ] then
                  [
                    {
                      file = module._file;
                      disabled = module.disabledModules;
                    }
                  ]
                else
                  [ ]
              )
              ++ concatLists (catAttrs "disabled" children);
          }
        ) (length ms);

      tree = structure unknownModule "" initialModules;

      keyOf =
        file: m:
        if isString m then
          (if substring 0 1 m == "/" then m else toString modulesPath + "/" + m)
        else if u.isConvertibleWithToString m then
          (
            if m ? key && m.key != toString m then
              throw "Module `${file}` contains a disabledModules item that is an attribute set that can be converted to a string (${toString m}) but also has a `.key` attribute (${m.key}) with a different value. This makes it ambiguous which module should be disabled."
            else
              toString m
          )
        else if m ? key then
          m.key
        else if isAttrs m then
          throw "Module `${file}` contains a disabledModules item that is an attribute set, presumably a module, that does not have a `key` attribute. This means that the module system doesn't have any means to identify the module that should be disabled. Make sure that you've put the correct value in disabledModules: a string path relative to modulesPath, a path value, or an attribute set with a `key` attribute."
        else
          throw "Each disabledModules item must be a path, string, or a attribute set with a key attribute, or a value supported by toString. However, one of the disabledModules items in `${toString file}` is none of that, but is of type ${typeOf m}.";

      disabledKeys = concatMap (d: map (keyOf d.file) d.disabled) (concatLists (catAttrs "disabled" tree));
      # Keys may carry string context (a module imported from the store);
      # attribute names may not.
      disabledSet = builtins.listToAttrs (
        map (k: {
          name = builtins.unsafeDiscardStringContext k;
          value = true;
        }) disabledKeys
      );
      isDisabled = s: disabledKeys != [ ] && disabledSet ? ${builtins.unsafeDiscardStringContext s.key};
      keep = if disabledKeys == [ ] then (ms: ms) else filter (s: !isDisabled s);

      toGraph = s: {
        disabled = isDisabled s;
        inherit (s) key;
        file = s.module._file;
        imports = map toGraph s.modules;
      };
    in
    {
      modules = map (s: s.module) (genericClosure {
        startSet = keep tree;
        operator = s: keep s.modules;
      });
      graph = map toGraph (filter (s: s.key != "lib/modules.nix") tree);
    };

  setDefaultModuleLocation = file: m: {
    _file = file;
    imports = [ m ];
  };

  fullFormKeys = {
    _class = null;
    _file = null;
    key = null;
    disabledModules = null;
    imports = null;
    options = null;
    config = null;
    meta = null;
    freeformType = null;
  };

  unifyModuleSyntax =
    file: key: m:
    let
      withFreeform =
        c: if m ? freeformType then mkMerge [ c { _module.freeformType = m.freeformType; } ] else c;
    in
    if m ? config || m ? options then
      let
        bad = attrNames (removeAttrs m (attrNames fullFormKeys));
      in
      if bad != [ ] then
        throw "Module `${key}' has an unsupported attribute `${head bad}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${toString bad}) into the explicit `config' attribute."
      else
        {
          _file = toString m._file or file;
          _class = m._class or null;
          key = toString m.key or key;
          disabledModules = m.disabledModules or [ ];
          imports = m.imports or [ ];
          options = m.options or { };
          config =
            let
              c = m.config or { };
              withMeta = if m ? meta then mkMerge [ c { meta = m.meta; } ] else c;
            in
            if m ? freeformType then mkMerge [ withMeta { _module.freeformType = m.freeformType; } ] else withMeta;
        }
    else if !isAttrs m then
      throw "module ${file} (${key}) does not look like a module."
    else
      {
        _file = toString m._file or file;
        _class = m._class or null;
        key = toString m.key or key;
        disabledModules = m.disabledModules or [ ];
        imports = m.require or [ ] ++ m.imports or [ ];
        options = { };
        config = withFreeform (
          removeAttrs m [
            "_class"
            "_file"
            "key"
            "disabledModules"
            "require"
            "imports"
            "freeformType"
          ]
        );
      };

  applyModuleArgsIfFunction =
    key: f: args: if isFunc f then applyModuleArgs key f args else f;

  applyModuleArgs =
    key: f: args:
    let
      extra = mapAttrs (
        name: _:
        addErrorContext "while evaluating the module argument `${name}' in \"${key}\":" (
          args.${name} or (addErrorContext
            "noting that argument `${name}` is not externally provided, so querying `_module.args` instead, requiring `config`"
            args.config._module.args.${name}
          )
        )
      ) (u.fnArgs f);
    in
    f (args // extra);

  # -------------------------------------------------------------------- merging

  mergeModules = prefix: modules: mergeModules' prefix modules (pushDownModules modules);

  # Each module's config pushed down, as { file; config; } (native in the
  # embedded lib).
  pushDownModulesNix = concatMap (
    m:
    map (c: {
      file = m._file;
      config = c;
    }) (pushDown' m.config)
  );
  pushDownModules =
    if native ? pushDownModules then native.pushDownModules pushDownModulesNix else pushDownModulesNix;

  # The same for definitions { file; value; } (native in the embedded lib).
  pushDownDefsNix = concatMap (
    d:
    map (c: {
      inherit (d) file;
      config = c;
    }) (pushDown' d.value)
  );
  pushDownDefs = if native ? pushDownDefs then native.pushDownDefs pushDownDefsNix else pushDownDefsNix;

  # Returns { matchedOptions, unmatchedDefns, config } for one level of the
  # option tree. Definitions are grouped by name once (zipAttrsWith); the
  # property push-down happens only for names that lead to a sub-tree.
  mergeModules' =
    prefix: modules: configs:
    let
      declTrees =
        if native ? declTrees then native.declTrees declTreesNix modules else declTreesNix modules;
      declTreesNix =
        map (
          module:
          let
            tree = module.options;
          in
          if !isAttrs tree then
            throw "An option declaration for `${concatStringsSep "." prefix}' has type\n`${typeOf tree}' rather than an attribute set.\nDid you mean to define this outside of `options'?\n"
          else
            mapAttrs (n: o: {
              inherit (module) _file;
              pos = unsafeGetAttrPos n tree;
              options = o;
            }) tree
        );

      # { name = [ { file; value; } … ]; } of the definitions (native in
      # the embedded lib)
      defsByName =
        if native ? defsByName then native.defsByName defsByNameNix configs else defsByNameNix configs;
      defsByNameNix = configs: zipAttrsWith (n: ds: ds) (
        map (
          c:
          if !isAttrs c.config then
            throw "In module `${c.file}', you're trying to define a value of type `${typeOf c.config}'\nrather than an attribute set for the option\n`${concatStringsSep "." prefix}'!\n\nThis usually happens if `${concatStringsSep "." prefix}' has option\ndefinitions inside that are not matched. Please check how to properly define\nthis option by e.g. referring to `man 5 configuration.nix'!\n"
          else
            mapAttrs (n: v: {
              inherit (c) file;
              value = v;
            }) c.config
        ) configs
      );

      treeToOption =
        decl:
        if isOption decl.options then
          decl
        else
          decl
          // {
            options = mkOption {
              type = types.submoduleWith {
                modules = [ { options = decl.options; } ];
                shorthandOnlyDefinesConfig = null;
              };
            };
          };

      results = zipAttrsWith (
        name: decls:
        let
          loc = prefix ++ [ name ];
          defs = defsByName.${name} or [ ];
          isOptDecl =
            m:
            m.options ? _type
            && (m.options._type == "option" || throwDeclarationTypeError loc m.options._type m._file);
          option =
            opt:
            let
              o = evalOptionValue loc opt defs;
            in
            {
              isOption = true;
              matchedOptions = o;
              unmatchedDefns = [ ];
              config = o.value;
            };
          optionDecls = filter isOptDecl decls;
        in
        if length decls == 1 then
          (
            if isOptDecl (head decls) then
              option (fixupOptionType loc (mergeOptionDecls loc decls))
            else
              mergeModules' loc decls (pushDownDefs defs)
          )
        else if length optionDecls == length decls then
          option (fixupOptionType loc (mergeOptionDecls loc decls))
        else if optionDecls != [ ] then
          if all (x: x.options.type.name or null == "submodule") optionDecls then
            option (fixupOptionType loc (mergeOptionDecls loc (map treeToOption decls)))
          else
            throw "The option `${showOption loc}' in module `${(head optionDecls)._file}' would be a parent of the following options, but its type `${
              (head optionDecls).options.type.description or "<no description>"
            }' does not support nested options.\n${showRawDecls loc (filter (m: !isOption m.options) decls)}"
        else
          mergeModules' loc decls (pushDownDefs defs)
      ) declTrees;

    in
    {
      isOption = false;
      matchedOptions = mapAttrs (n: r: r.matchedOptions) results;
      config = mapAttrs (n: r: r.config) results;
      # In name order, sub-trees and undeclared names together.
      unmatchedDefns =
        if configs == [ ] then
          [ ]
        else
          unmatchedDefnsOf {
            inherit results;
            undeclared = removeAttrs defsByName (attrNames results);
          };
    };

  # The definitions of one level that match no option, in name order:
  # those of undeclared names and those below sub-trees, each with its
  # prefix below this level (native in the embedded lib).
  unmatchedDefnsNix =
    { results, undeclared }:
    concatMap (
      name:
      if results ? ${name} then
        (
          let
            r = results.${name};
          in
          if r.isOption then [ ] else withPrefix name r.unmatchedDefns
        )
      else
        withPrefix name undeclared.${name}
    ) (attrNames (results // undeclared));
  unmatchedDefnsOf =
    if native ? unmatchedDefns then native.unmatchedDefns unmatchedDefnsNix else unmatchedDefnsNix;

  withPrefix =
    name:
    map (
      def:
      def
      // {
        prefix = [ name ] ++ (def.prefix or [ ]);
      }
    );

  showDeclPrefix =
    loc: decl: prefix:
    " - option(s) with prefix `${showOption (loc ++ [ prefix ])}' in module `${decl._file}'";

  showRawDecls =
    loc: decls:
    concatStringsSep "\n" (
      sort (a: b: a < b) (concatMap (decl: map (showDeclPrefix loc decl) (attrNames decl.options)) decls)
    );

  throwDeclarationTypeError =
    loc: tag: file:
    let
      name = u.escapeNixIdentifier (last loc);
      comment = if length loc > 1 then "\n    # ${showOption loc}" else "";
      first = "In module ${file}: expected an option declaration at option path `${showOption loc}` but got an attribute set with type ${tag}";
    in
    throw (
      if tag == "option-type" then
        "${first}\n\nWhen declaring an option, you must wrap the type in a `mkOption` call. It should look somewhat like:\n    ${comment}\n    ${name} = lib.mkOption {\n      description = ...;\n      type = <the type you wrote for ${name}>;\n      ...\n    };\n"
      else
        first
    );

  mergeOptionDecls =
    loc: opts:
    if length opts == 1 then
      let
        opt = head opts;
        o = opt.options;
        subs = o.type.getSubModules or null;
      in
      o
      // {
        inherit loc;
        declarations = [ opt._file ];
        declarationPositions = [
          (
            if opt.pos or null != null then
              opt.pos
            else
              {
                file = opt._file;
                line = null;
                column = null;
              }
          )
        ];
        options = if subs != null then map (setDefaultModuleLocation opt._file) subs else [ ];
      }
    else
      foldl'
      (
        res: opt:
        let
          o = opt.options;
          both = k: o ? ${k} && res ? ${k};
          already = throw "The option `${showOption loc}' in `${opt._file}' is already declared in ${showFiles res.declarations}.";
          typeSet =
            if o ? type && res ? type then
              let
                mt = res.type.typeMerge o.type.functor;
              in
              if mt != null then { type = mt; } else already
            else
              { };
          subs = o.type.getSubModules or null;
        in
        if both "default" || both "example" || both "description" || both "apply" then
          already
        else
          o
          // res
          // {
            declarations = res.declarations ++ [ opt._file ];
            declarationPositions =
              res.declarationPositions
              ++ [
                (
                  if opt.pos or null != null then
                    opt.pos
                  else
                    {
                      file = opt._file;
                      line = null;
                      column = null;
                    }
                )
              ];
            options = if subs != null then map (setDefaultModuleLocation opt._file) subs ++ res.options else res.options;
          }
          // typeSet
      )
      {
        inherit loc;
        declarations = [ ];
        declarationPositions = [ ];
        options = [ ];
      }
      opts;

  evalOptionValue =
    loc: opt: defs:
    let
      defs' =
        if opt ? default then
          [
            {
              file = head opt.declarations;
              value = mkOptionDefault opt.default;
            }
          ]
          ++ defs
        else
          defs;
      # An option with nothing but its default (most options): the result of
      # filtering [ (mkOptionDefault default) ] is known without looking at
      # the default (priority 1500, one definition, the wrapper stripped).
      onlyDefault = defs == [ ] && opt ? default;
      defaultDef = {
        file = head opt.declarations;
        value = opt.default;
      };
      res =
        if onlyDefault then
          mergeDefinitions' {
            values =
              if opt.default._type or "" == "order" then sortProperties [ defaultDef ] else [ defaultDef ];
            highestPrio = 1500;
          } loc opt.type [ ]
        else if opt.readOnly or false && length defs' > 1 then
          throw "The option `${showOption loc}' is read-only, but it's set multiple times. Definition values:${
            showDefs (map (def: def // { value = (mergeDefinitions loc opt.type [ def ]).mergedValue; }) defs')
          }"
        else
          mergeDefinitions loc opt.type defs';
      value = if opt ? apply then opt.apply res.mergedValue else res.mergedValue;
      withDeprecation =
        if opt.type.deprecationMessage or null != null then
          warn "The type `types.${opt.type.name}' of option `${showOption loc}' defined in ${showFiles opt.declarations} is deprecated. ${opt.type.deprecationMessage}" opt
        else
          opt;
    in
    withDeprecation
    // {
      value = addErrorContext "while evaluating the option `${showOption loc}':" value;
      inherit (res.defsFinal') highestPrio;
      definitions = map (def: def.value) res.defsFinal;
      files = map (def: def.file) res.defsFinal;
      definitionsWithLocations = res.defsFinal;
      inherit (res) isDefined;
      valueMeta = res.checkedAndMerged.valueMeta;
      __toString = _: showOption loc;
    };

  mergeDefinitions = mergeDefinitions' null;

  # mergeDefinitions' pre: as mergeDefinitions, with the filtered and sorted
  # definitions given (pre = { values, highestPrio }) unless pre is null.
  # An option's definitions with their properties discharged, filtered to
  # the highest priority and sorted by order: { values; highestPrio; }.
  # The embedded lib computes it natively (native.nix); this is the
  # definition, and the fallback for anything unusual.
  defsFinalNix =
    defs:
    let
      d = head defs;
    in
    if
      length defs == 1
      && addErrorContext "while evaluating definitions from `${d.file}':" (
        !(isAttrs d.value && d.value ? _type)
      )
    then
      {
        values = defs;
        highestPrio = defaultOverridePriority;
      }
    else if
      all (
        d:
        let
          v = d.value;
        in
        !(isAttrs v && v ? _type) || v._type == "override"
      ) defs
    then
      # Only plain values and mkOverride at the top: nothing to discharge.
      let
        prioritised = map (
          d:
          let
            v = d.value;
          in
          if isAttrs v && v ? _type then
            {
              p = v.priority;
              d = d // { value = v.content; };
            }
          else
            {
              p = defaultOverridePriority;
              inherit d;
            }
        ) defs;
        highestPrio = if defs == [ ] then 9999 else head (sort builtins.lessThan (catAttrs "p" prioritised));
        values = catAttrs "d" (filter (x: x.p == highestPrio) prioritised);
      in
      {
        values = if any (def: def.value._type or "" == "order") values then sortProperties values else values;
        inherit highestPrio;
      }
    else
      let
        normal = concatMap (
          m:
          map (
            v:
            if v._type or null == "definition" then
              v
            else
              {
                inherit (m) file;
                value = v;
              }
          ) (addErrorContext "while evaluating definitions from `${m.file}':" (dischargeProperties m.value))
        ) defs;
        filtered = filterOverrides' normal;
      in
      {
        values =
          if any (def: def.value._type or "" == "order") filtered.values then
            sortProperties filtered.values
          else
            filtered.values;
        inherit (filtered) highestPrio;
      };

  defsFinalOf = if native ? defsFinal then native.defsFinal defsFinalNix else defsFinalNix;

  # pushDownProperties as mergeModules uses it: native in the embedded lib.
  pushDown' =
    if native ? pushDownProperties then native.pushDownProperties pushDownProperties else pushDownProperties;

  mergeDefinitions' = pre: loc: type: defs: rec {
    defsFinal' = if pre != null then pre else defsFinalOf defs;

    defsFinal = defsFinal'.values;

    isDefined = defsFinal != [ ];

    mergedValue =
      if isDefined then
        if type.merge ? v2 then
          if checkedAndMerged.headError or null != null then
            throw "A definition for option `${showOption loc}' is not of type `${type.description}'. TypeError: ${checkedAndMerged.headError.message}"
          else
            checkedAndMerged.value
        else if all (def: type.check def.value) defsFinal then
          type.merge loc defsFinal
        else
          throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${
            showDefs (filter (def: !type.check def.value) defsFinal)
          }"
      else if type.emptyValue ? value then
        type.emptyValue.value
      else
        throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";

    checkedAndMerged =
      if type.merge ? v2 then
        let
          r =
            if type.check.isV2MergeCoherent or false then
              type.merge.v2 {
                inherit loc;
                defs = defsFinal;
              }
            else
              throw "The option `${showOption loc}' has a type `${type.description}' that uses\nan ad-hoc `type // { check = ...; }' override, which is incompatible with\nthe v2 merge mechanism.\n\nPlease use `lib.types.addCheck` instead of `type // { check }' to add\ncustom validation. For example:\n\n  lib.types.addCheck baseType (value: /* your check */)\n\ninstead of:\n\n  baseType // { check = value: /* your check */; }\n";
        in
        r // { valueMeta = r.valueMeta // { _internal = { inherit type; }; }; }
      else
        {
          headError = null;
          value = mergedValue;
          valueMeta = { };
        };

    optionalValue = if isDefined then { value = mergedValue; } else { };
  };

  # ---------------------------------------------------------------- properties

  mapAttrsIfAttrs = f: v: if isAttrs v then mapAttrs f v else v;

  pushDownProperties =
    cfg:
    let
      t = cfg._type or "";
    in
    if t == "merge" then
      concatMap pushDownProperties cfg.contents
    else if t == "if" then
      map (mapAttrsIfAttrs (n: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
    else if t == "override" then
      map (mapAttrsIfAttrs (n: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
    else
      [ cfg ];

  dischargeProperties =
    def:
    let
      t = def._type or "";
    in
    if t == "merge" then
      concatMap dischargeProperties def.contents
    else if t == "if" then
      if isBool def.condition then
        (if def.condition then dischargeProperties def.content else [ ])
      else
        throw "‘mkIf’ called with a non-Boolean condition"
    else
      [ def ];

  filterOverrides' =
    defs:
    let
      prio = def: if def.value._type or "" == "override" then def.value.priority else defaultOverridePriority;
      highestPrio = foldl' (p: def: let q = prio def; in if q < p then q else p) 9999 defs;
      strip = def: if def.value._type or "" == "override" then def // { value = def.value.content; } else def;
    in
    {
      values = concatMap (def: if prio def == highestPrio then [ (strip def) ] else [ ]) defs;
      inherit highestPrio;
    };

  filterOverrides = defs: (filterOverrides' defs).values;

  sortProperties =
    defs:
    let
      strip =
        def:
        if def.value._type or "" == "order" then
          def
          // {
            value = def.value.content;
            inherit (def.value) priority;
          }
        else
          def;
    in
    sort (a: b: (a.priority or defaultOrderPriority) < (b.priority or defaultOrderPriority)) (
      map strip defs
    );

  fixupOptionType =
    loc: opt:
    if opt.type.getSubModules or null == null then
      opt // { type = opt.type or types.unspecified; }
    else
      opt
      // {
        type = opt.type.substSubModules opt.options;
        options = [ ];
      };

  mergeAttrDefinitionsWithPrio =
    opt:
    let
      byName = zipAttrsWith (n: ds: ds) (
        concatMap (
          def:
          map (
            c:
            mapAttrs (n: v: def // { value = v; }) c
          ) (pushDown' def.value)
        ) opt.definitionsWithLocations
      );
    in
    assert opt.type.name == "attrsOf" || opt.type.name == "lazyAttrsOf";
    mapAttrs (
      n: ds:
      let
        m = mergeDefinitions (opt.loc ++ [ n ]) opt.type.nestedTypes.elemType ds;
      in
      {
        value = m.mergedValue;
        inherit (m.defsFinal') highestPrio;
      }
    ) byName;

  mkIf = condition: content: {
    _type = "if";
    inherit condition content;
  };

  mkAssert =
    assertion: message: content:
    mkIf (if assertion then true else throw "\nFailed assertion: ${message}") content;

  mkMerge = contents: {
    _type = "merge";
    inherit contents;
  };

  mkDefinition = args@{ file, value, ... }: args // { _type = "definition"; };

  mkOverride = priority: content: {
    _type = "override";
    inherit priority content;
  };

  mkOptionDefault = mkOverride 1500;
  mkDefault = mkOverride 1000;
  mkImageMediaOverride = mkOverride 60;
  mkForce = mkOverride 50;
  mkVMOverride = mkOverride 10;

  mkFixStrictness = x: x;

  mkOrder = priority: content: {
    _type = "order";
    inherit priority content;
  };

  # f applied to the value inside a definition, keeping the properties
  # (mkMerge, mkIf, mkOverride, mkOrder, mkDefinition) around it.
  mapDefinitionValue =
    f: def:
    let
      t = def._type or null;
    in
    if t == "merge" then
      def // { contents = map (mapDefinitionValue f) def.contents; }
    else if t == "if" || t == "override" || t == "order" then
      def // { content = mapDefinitionValue f def.content; }
    else if t == "definition" then
      def // { value = mapDefinitionValue f def.value; }
    else
      f def;

  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;

  mkAliasDefinitions = mkAliasAndWrapDefinitions (x: x);
  mkAliasAndWrapDefinitions = wrap: option: mkIf option.isDefined (wrap (mkMerge option.definitions));

  mkAliasAndWrapDefsWithPriority =
    wrap: option:
    let
      prio = option.highestPrio or defaultOverridePriority;
    in
    mkIf option.isDefined (wrap (mkMerge (map (mkOverride prio) option.definitions)));

  mkAliasIfDef = option: mkIf (isOption option && option.isDefined);

  mkDerivedConfig = opt: f: mkOverride (opt.highestPrio or defaultOverridePriority) (f opt.value);

  fixMergeModules =
    modules: args:
    evalModules {
      inherit modules args;
      check = false;
    };

  # ------------------------------------------------------------ helper modules

  mkRemovedOptionModule =
    optionName: replacementInstructions:
    { options, ... }:
    {
      options = setAttrByPath optionName (mkOption {
        visible = false;
        apply =
          x:
          throw "The option `${showOption optionName}' can no longer be used since it's been removed. ${replacementInstructions}";
      });
      config.assertions =
        let
          opt = getAttrFromPath optionName options;
        in
        [
          {
            assertion = !opt.isDefined;
            message = ''
              The option definition `${showOption optionName}' in ${showFiles opt.files} no longer has any effect; please remove it.
              ${replacementInstructions}
            '';
          }
        ];
    };

  doRename =
    {
      from,
      to,
      visible,
      warn,
      use,
      withPriority ? true,
      condition ? true,
    }:
    { config, options, ... }:
    let
      fromOpt = getAttrFromPath from options;
      toOf = attrByPath to (abort "Renaming error: option `${showOption to}' does not exist.");
      toType =
        let
          opt = attrByPath to { } options;
        in
        opt.type or (types.submodule { });
    in
    {
      options = setAttrByPath from (
        mkOption {
          inherit visible;
          description = "Alias of {option}`${showOption to}`.";
          apply = x: use (toOf config);
        }
        // (if toType != null then { type = toType; } else { })
      );
      config = mkIf condition (mkMerge [
        (
          if options ? warnings then
            {
              warnings = optional (warn && fromOpt.isDefined) "The option `${showOption from}' defined in ${showFiles fromOpt.files} has been renamed to `${showOption to}'.";
            }
          else
            { }
        )
        (
          if withPriority then
            mkAliasAndWrapDefsWithPriority (setAttrByPath to) fromOpt
          else
            mkAliasAndWrapDefinitions (setAttrByPath to) fromOpt
        )
      ]);
    };

  mkRenamedOptionModule =
    from: to:
    doRename {
      inherit from to;
      visible = false;
      warn = true;
      use = builtins.trace "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
    };

  mkRenamedOptionModuleWith =
    {
      from,
      to,
      sinceRelease,
    }:
    let
      old = sinceRelease <= (lib.trivial.oldestSupportedRelease or 2205);
    in
    doRename {
      inherit from to;
      visible = false;
      warn = old;
      use =
        if old then
          warn "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'."
        else
          (x: x);
    };

  mkAliasOptionModule =
    from: to:
    doRename {
      inherit from to;
      visible = true;
      warn = false;
      use = x: x;
    };

  mkMergedOptionModule =
    from: to: mergeFn:
    { config, options, ... }:
    {
      options = foldl' u.recursiveUpdate { } (
        map (
          path:
          setAttrByPath path (mkOption {
            visible = false;
            default = "_mkMergedOptionModule";
          })
        ) from
      );
      config = {
        warnings = filter (x: x != "") (
          map (
            f:
            let
              val = getAttrFromPath f config;
              opt = getAttrFromPath f options;
            in
            if val != "_mkMergedOptionModule" then
              "The option `${showOption f}' defined in ${showFiles opt.files} has been changed to `${showOption to}' that has a different type. Please read `${showOption to}' documentation and update your configuration accordingly."
            else
              ""
          ) from
        );
      }
      // setAttrByPath to (
        mkMerge (
          optional (any (f: (getAttrFromPath f config) != "_mkMergedOptionModule") from) (mergeFn config)
        )
      );
    };

  mkChangedOptionModule =
    from: to: changeFn:
    mkMergedOptionModule [ from ] to changeFn;

  importApply =
    modulePath: staticArg: setDefaultModuleLocation modulePath (import modulePath staticArg);

  importJSON = file: {
    _file = file;
    config = lib.importJSON file;
  };

  importTOML = file: {
    _file = file;
    config = lib.importTOML file;
  };
in
{
  inherit
    defaultOrderPriority
    defaultOverridePriority
    doRename
    evalModules
    evalOptionValue
    filterOverrides
    filterOverrides'
    fixMergeModules
    fixupOptionType
    importApply
    importJSON
    importTOML
    mergeDefinitions
    mergeAttrDefinitionsWithPrio
    mergeOptionDecls
    mkAfter
    mkAliasAndWrapDefinitions
    mkAliasAndWrapDefsWithPriority
    mkAliasDefinitions
    mkAliasIfDef
    mkAliasOptionModule
    mkAssert
    mkBefore
    mkChangedOptionModule
    mkDefault
    mkDefinition
    mapDefinitionValue
    mkDerivedConfig
    mkFixStrictness
    mkForce
    mkIf
    mkImageMediaOverride
    mkMerge
    mkMergedOptionModule
    mkOptionDefault
    mkOrder
    mkOverride
    mkRemovedOptionModule
    mkRenamedOptionModule
    mkRenamedOptionModuleWith
    mkVMOverride
    setDefaultModuleLocation
    sortProperties
    unifyModuleSyntax
    applyModuleArgsIfFunction
    mergeModules
    mergeModules'
    pushDownProperties
    dischargeProperties
    ;
  collectModules = collectModules null;
  mkAliasOptionModuleMD = mkAliasOptionModule;
}
