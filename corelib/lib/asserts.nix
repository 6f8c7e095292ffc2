# gonix lib: assertions with messages (lib.asserts).
{ lib }:
rec {
  assertMsg = pred: msg: pred || builtins.throw msg;
  assertOneOf = name: val: xs:
    assertMsg (builtins.elem val xs)
      "${name} must be one of ${lib.generators.toPretty { } xs}, but is: ${lib.generators.toPretty { } val}";
  assertEachOneOf = name: vals: xs:
    assertMsg (builtins.all (val: builtins.elem val xs) vals)
      "each element in ${name} must be one of ${lib.generators.toPretty { } xs}, but is: ${lib.generators.toPretty { } vals}";
  checkAssertWarn = assertions: warnings: val:
    let failed = map (x: x.message) (builtins.filter (x: !x.assertion) assertions); in
    if failed != [ ]
    then throw "\nFailed assertions:\n${builtins.concatStringsSep "\n" (map (x: "- ${x}") failed)}"
    else lib.trivial.showWarnings warnings val;
}
