# A module-system-like workload, written for this benchmark in plain Nix (no
# nixpkgs). Its shape follows lib.evalModules: hundreds of small modules, each
# a function of { config, lib } returning `imports`, `options` and `config`;
# the import closure is collected with builtins.genericClosure; definitions
# carry properties (mkIf, mkMerge, mkOverride/mkDefault/mkForce, mkBefore/
# mkAfter) encoded as { _type = ...; } sets, pushed down through attribute
# sets, discharged, filtered to the lowest priority and merged by option type;
# the resulting `config` is a fixed point passed back to every module.
let
  inherit (builtins)
    attrNames concatMap concatStringsSep filter foldl' genList genericClosure
    hashString head isAttrs isBool isInt isList isString length mapAttrs sort
    stringLength zipAttrsWith;

  # ---- properties -------------------------------------------------------
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkOptionDefault = mkOverride 1500;
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;
  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOrder = priority: content: { _type = "order"; inherit priority content; };
  mkBefore = mkOrder 500;
  mkAfter = mkOrder 1500;
  defaultOverridePriority = 100;
  defaultOrderPriority = 1000;

  mkOption = attrs: attrs // { _type = "option"; };
  isType = t: v: isAttrs v && (v._type or null) == t;
  showLoc = concatStringsSep ".";

  # ---- types --------------------------------------------------------------
  mergeEqual = loc: defs:
    let first = head defs; in
    foldl'
      (acc: d:
        if d.value == first.value then acc
        else throw "The option `${showLoc loc}' has conflicting definition values, in `${first.file}' and `${d.file}'.")
      first.value
      defs;

  types = {
    bool = { name = "boolean"; check = isBool; merge = mergeEqual; };
    int = { name = "signed integer"; check = isInt; merge = mergeEqual; };
    str = { name = "string"; check = isString; merge = mergeEqual; };
    lines = {
      name = "strings concatenated with \"\\n\"";
      check = isString;
      merge = loc: defs: concatStringsSep "\n" (map (d: d.value) defs);
    };
    listOf = elemType: {
      name = "list of ${elemType.name}";
      check = isList;
      merge = loc: defs: concatMap
        (d: map
          (x: if elemType.check x then x
          else throw "A definition for option `${showLoc loc}' in `${d.file}' has an element that is not of type `${elemType.name}'.")
          d.value)
        defs;
    };
    # Each attribute is merged on its own, so it may carry properties.
    attrsOf = elemType: {
      name = "attribute set of ${elemType.name}";
      check = isAttrs;
      merge = loc: defs: mapAttrs
        (name: defs': mergeDefinitions (loc ++ [ name ]) elemType defs')
        (zipAttrsWith (name: vs: vs)
          (map (d: mapAttrs (n: v: { inherit (d) file; value = v; }) d.value) defs));
    };
  };

  # ---- definitions ----------------------------------------------------------
  # mkIf/mkOverride around a set become mkIf/mkOverride around each attribute,
  # so the set's names are known without forcing any condition.
  pushDown = cfg:
    if isType "merge" cfg then concatMap pushDown cfg.contents
    else if isType "if" cfg then map (mapAttrs (n: v: mkIf cfg.condition v)) (pushDown cfg.content)
    else if isType "override" cfg then map (mapAttrs (n: v: mkOverride cfg.priority v)) (pushDown cfg.content)
    else [ cfg ];

  # Evaluates conditions; keeps override and order wrappers.
  discharge = v:
    if isType "merge" v then concatMap discharge v.contents
    else if isType "if" v then
      (if isBool v.condition then (if v.condition then discharge v.content else [ ])
      else throw "mkIf called with a non-Boolean condition")
    else if isType "override" v then map (mkOverride v.priority) (discharge v.content)
    else [ v ];

  priorityOf = d: if isType "override" d.value then d.value.priority else defaultOverridePriority;

  filterOverrides = defs:
    let
      best = foldl' (p: d: let q = priorityOf d; in if q < p then q else p) 9999 defs;
      strip = d: if isType "override" d.value then { inherit (d) file; value = d.value.content; } else d;
    in
    map strip (filter (d: priorityOf d == best) defs);

  sortProperties = defs:
    let
      strip = d:
        if isType "order" d.value then { inherit (d) file; value = d.value.content; order = d.value.priority; }
        else { inherit (d) file value; order = defaultOrderPriority; };
    in
    sort (a: b: a.order < b.order) (map strip defs);

  mergeDefinitions = loc: type: defs:
    let
      discharged = concatMap (d: map (v: { inherit (d) file; value = v; }) (discharge d.value)) defs;
      sorted = sortProperties (filterOverrides discharged);
      checked = map
        (d: if type.check d.value then d
        else throw "A definition for option `${showLoc loc}' is not of type `${type.name}'. Definition in `${d.file}'.")
        sorted;
    in
    if length checked == 0 then throw "The option `${showLoc loc}' is used but not defined."
    else type.merge loc checked;

  mergeOption = loc: decl: defs:
    let
      opt = decl.value;
      withDefault = defs ++ (if opt ? default then [{ inherit (decl) file; value = mkOptionDefault opt.default; }] else [ ]);
    in
    (opt.apply or (x: x)) (mergeDefinitions loc opt.type withDefault);

  byName = list: zipAttrsWith (name: vs: vs)
    (map (d: mapAttrs (n: v: { inherit (d) file; value = v; }) d.value) list);

  # decls and defs are lists of { file; value; } holding the option and config
  # subtrees at `loc`; the result has the shape of the declared options.
  evalTree = loc: decls: defs:
    let
      declsByName = byName decls;
      defsByName = byName (concatMap (d: map (v: { inherit (d) file; value = v; }) (pushDown d.value)) defs);
      undeclared = filter (n: !(declsByName ? ${n})) (attrNames defsByName);
    in
    if undeclared != [ ] then
      throw "The option `${showLoc (loc ++ [ (head undeclared) ])}' does not exist. Definition in `${(head defsByName.${head undeclared}).file}'."
    else
      mapAttrs
        (name: ds:
          let
            sub = loc ++ [ name ];
            options = filter (d: isType "option" d.value) ds;
          in
          if options == [ ] then evalTree sub ds (defsByName.${name} or [ ])
          else if length ds > 1 then throw "The option `${showLoc sub}' is declared more than once, in `${(head ds).file}'."
          else mergeOption sub (head options) (defsByName.${name} or [ ]))
        declsByName;

  evalModules = root:
    let
      lib = { inherit mkIf mkMerge mkOverride mkDefault mkForce mkOptionDefault mkBefore mkAfter mkOption types; };
      load = m:
        let r = m.module { inherit config lib; }; in
        { inherit (m) key; imports = r.imports or [ ]; options = r.options or { }; config = r.config or { }; };
      closure = genericClosure {
        startSet = [{ inherit (root) key; loaded = load root; }];
        operator = item: map (m: { inherit (m) key; loaded = load m; }) item.loaded.imports;
      };
      modules = map (item: item.loaded) closure;
      config = evalTree [ ]
        (map (m: { file = m.key; value = m.options; }) modules)
        (map (m: { file = m.key; value = m.config; }) modules);
    in
    { inherit config; count = length modules; };

  # ---- the modules ------------------------------------------------------------
  services = 600;
  svcName = i: "svc${toString i}";
  mod = i: i - i / 11 * 11;

  core = {
    key = "core";
    module = { lib, ... }: with lib; {
      options = {
        networking.hostName = mkOption { type = types.str; default = "nixos"; };
        networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.int; default = [ ]; };
        environment.etc = mkOption { type = types.attrsOf types.str; default = { }; };
        environment.systemPackages = mkOption { type = types.listOf types.str; default = [ ]; };
        boot.kernelParams = mkOption { type = types.listOf types.str; default = [ ]; };
        system.activationScript = mkOption { type = types.lines; default = ""; };
        system.stateVersion = mkOption { type = types.str; apply = v: "v${v}"; };
      };
      config = {
        boot.kernelParams = [ "quiet" ];
        system.activationScript = mkBefore "#!/bin/sh";
        system.stateVersion = mkDefault "22.05";
      };
    };
  };

  # Service i imports its children 2i+1, 2i+2 and, when enabled, enables them
  # with mkDefault, so enabling svc0 enables a tree unless something overrides.
  service = i:
    let
      name = svcName i;
      children = filter (j: j < services) [ (2 * i + 1) (2 * i + 2) ];
    in
    {
      key = "service-${toString i}";
      module = { config, lib, ... }: with lib;
        let cfg = config.services.${name}; in
        {
          imports = map service children ++ (if i == 0 then [ core ] else [ ]);
          options.services.${name} = {
            enable = mkOption { type = types.bool; default = false; };
            port = mkOption { type = types.int; default = 2000 + i; };
            package = mkOption { type = types.str; default = "pkg-${name}"; };
            extraConfig = mkOption { type = types.lines; default = ""; };
            settings = mkOption { type = types.attrsOf types.str; default = { }; };
          };
          config = mkMerge ([
            (mkIf cfg.enable {
              environment.systemPackages = [ cfg.package ];
              environment.etc."${name}.conf" = "port=${toString cfg.port}\n${cfg.extraConfig}";
              networking.firewall.allowedTCPPorts = [ cfg.port ];
              system.activationScript = "start ${name} on ${config.networking.hostName}";
              services.${name}.settings.user = mkDefault name;
            })
            (mkIf (cfg.enable && mod i == 5) {
              boot.kernelParams = mkAfter [ "${name}.debug=1" ];
            })
            {
              services.${name}.settings.owner = mkDefault "root";
            }
          ] ++ map
            (j: mkIf cfg.enable {
              services.${svcName j} = {
                enable = mkDefault true;
                extraConfig = "required-by=${name}";
              };
            })
            children
          # Every 11th service is switched off at priority 900, which beats
          # the parent's mkDefault (1000) but not a plain definition (100).
          ++ (if mod i == 0 && i > 0 then [{ services.${name}.enable = mkOverride 900 false; }] else [ ]));
        };
    };

  # Several machines share the service modules, as a deployment evaluating
  # many hosts does; each enables a different part of the service tree.
  host = m: {
    key = "host";
    module = { config, lib, ... }: with lib; {
      imports = [ (service 0) ];
      config = {
        networking.hostName = "host${toString m}";
        services.svc0.enable = m != 0;
        services.${svcName (m + 1)}.enable = true;
        services.svc22.enable = true;
        services.svc7.enable = mkForce false;
        services.svc12.port = mkForce (9990 + m);
        services.svc12.settings.owner = "admin";
        environment.etc.motd = "welcome to ${config.networking.hostName}";
        system.stateVersion = "23.11";
      };
    };
  };

  machines = 6;
  machine = m:
    let
      result = evalModules (host m);
      cfg = result.config;
      enabled = filter (n: cfg.services.${n}.enable) (attrNames cfg.services);
      etc = cfg.environment.etc;
      etcText = concatStringsSep "\n" (map (n: "${n}:${etc.${n}}") (attrNames etc));
      settingsText = concatStringsSep "," (map
        (n: concatStringsSep ";" (map (k: "${k}=${cfg.services.${n}.settings.${k}}") (attrNames cfg.services.${n}.settings)))
        (attrNames cfg.services));
      ports = foldl' builtins.add 0 cfg.networking.firewall.allowedTCPPorts;
      digest = hashString "sha256" (concatStringsSep "|" [
        etcText
        settingsText
        cfg.system.activationScript
        (concatStringsSep " " cfg.boot.kernelParams)
        (concatStringsSep " " cfg.environment.systemPackages)
        cfg.system.stateVersion
      ]);
    in
    assert result.count == services + 2;
    assert cfg.services.svc12.settings.owner == "admin";
    assert cfg.system.stateVersion == "v23.11";
    assert cfg.services.svc12.port == 9990 + m;
    "${toString m}:${toString (length enabled)}/${toString (length (attrNames etc))}/${toString ports}/${builtins.substring 0 8 digest}";
in
"modules=${toString (services + 2)} ${concatStringsSep " " (genList machine machines)}"
