# gonix lib: assertions with messages (lib.asserts).
{ lib }:
rec {
  assertMsg = pred: msg: pred || builtins.throw msg;
  assertOneOf = name: val: xs:
    assertMsg (builtins.elem val xs)
      "${name} must be one of ${lib.generators.toPretty { } xs}, but is: ${lib.generators.toPretty { } val}";
}
