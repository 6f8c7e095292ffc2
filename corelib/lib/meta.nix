# gonix lib: helpers for derivation meta attributes and priorities (lib.meta).
{ lib }:
rec {
  addMetaAttrs = newAttrs: drv: drv // { meta = (drv.meta or { }) // newAttrs; };
  dontDistribute = drv: addMetaAttrs { hydraPlatforms = [ ]; } drv;
  setName = name: drv: drv // { inherit name; };
  updateName = updater: drv: drv // { name = updater drv.name; };
  appendToName = suffix: updateName (name:
    let x = builtins.parseDrvName name; in "${x.name}-${suffix}-${x.version}");
  mapDerivationAttrset = f: set:
    builtins.mapAttrs (name: pkg: if lib.attrsets.isDerivation pkg then f pkg else pkg) set;
  setPrio = priority: addMetaAttrs { inherit priority; };
  lowPrio = setPrio 10;
  lowPrioSet = set: mapDerivationAttrset lowPrio set;
  hiPrio = setPrio (-10);
  hiPrioSet = set: mapDerivationAttrset hiPrio set;

  # A platform matches a system string, or a pattern over its parsed form.
  platformMatch = platform: elem:
    lib.attrsets.matchAttrs (if builtins.isString elem then { system = elem; } else { parsed = elem; }) platform;
  availableOn = platform: pkg:
    builtins.any (platformMatch platform) pkg.meta.platforms
    && builtins.all (elem: !platformMatch platform elem) (pkg.meta.badPlatforms or [ ]);

  defaultPriority = 5;

  licensesSpdx = lib.attrsets.mapAttrs' (_: l: { name = l.spdxId; value = l; })
    (lib.attrsets.filterAttrs (_: l: l ? spdxId) lib.licenses);
  getLicenseFromSpdxIdOr =
    let lower = lib.attrsets.mapAttrs' (name: value: { name = lib.strings.toLower name; inherit value; }) licensesSpdx; in
    licstr: default: lower.${lib.strings.toLower licstr} or default;
  getLicenseFromSpdxId = licstr:
    getLicenseFromSpdxIdOr licstr (lib.trivial.warn "getLicenseFromSpdxId: No license with the given SPDX ID found: ${licstr}" { shortName = licstr; spdxId = licstr; });

  getExe' = x: y:
    assert lib.asserts.assertMsg (lib.attrsets.isDerivation x)
      "lib.meta.getExe': The first argument is of type ${builtins.typeOf x}, but it should be a derivation instead.";
    assert lib.asserts.assertMsg (builtins.isString y)
      "lib.meta.getExe': The second argument is of type ${builtins.typeOf y}, but it should be a string instead.";
    assert lib.asserts.assertMsg (builtins.match ".*/.*" y == null)
      "lib.meta.getExe': The second argument \"${y}\" is a nested path with a \"/\" character, but it should just be the name of the executable instead.";
    "${lib.attrsets.getBin x}/bin/${y}";
  getExe = x:
    getExe' x (x.meta.mainProgram or (lib.trivial.warn
      "getExe: Package ${lib.strings.escapeNixIdentifier x.meta.name or x.pname or x.name} does not have the meta.mainProgram attribute. We'll assume that the main program has the same name for now, but this behavior is deprecated, because it leads to surprising errors when the assumption does not hold. If the package has a main program, please set `meta.mainProgram` in its definition to make this warning go away. Otherwise, if the package does not have a main program, or if you don't control its definition, use getExe' to specify the name to the program, such as lib.getExe' foo \"bar\"."
      lib.strings.getName x));
}
