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

  getLicenseFromSpdxId =
    let
      spdxLicenses = builtins.mapAttrs (id: ls: assert builtins.length ls == 1; builtins.head ls)
        (builtins.groupBy (l: lib.strings.toLower l.spdxId) (builtins.filter (l: l ? spdxId) (builtins.attrValues lib.licenses)));
    in
    licstr:
    spdxLicenses.${lib.strings.toLower licstr} or (lib.trivial.warn "getLicenseFromSpdxId: No license matches the given SPDX ID: ${licstr}" { shortName = licstr; });

  getExe = x: "${lib.attrsets.getBin x}/bin/${x.meta.mainProgram or (lib.strings.getName x)}";
}
