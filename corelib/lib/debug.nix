# gonix lib: tracing helpers and a tiny unit-test runner (lib.debug).
{ lib }:
let
  inherit (builtins) trace isList isAttrs attrNames concatStringsSep mapAttrs;
  deprecated = name: advice:
    trace ("Warning: `${name}` is deprecated and will be removed in the next release. " + advice);
in
rec {
  inherit (builtins) trace addErrorContext unsafeGetAttrPos;

  # Traces each failure of runTests, then throws a summary (null when
  # there is none).
  throwTestFailures = { failures, description ? "tests", ... }:
    if failures == [ ] then null
    else
      let
        pretty = value: builtins.unsafeDiscardStringContext (lib.generators.toPretty { allowPrettyValues = true; } value);
        show = failure: ''
          FAIL ${pretty failure.name}:
          Expected:
          ${pretty failure.expected}
          Result:
          ${pretty failure.result}
        '';
        traced = builtins.foldl' (_: failure: traceVal (show failure)) null failures;
      in
      throw (builtins.seq traced (
        "${toString (builtins.length failures)} ${description} failed:\n- "
        + concatStringsSep "\n- " (map (failure: failure.name) failures)
        + "\n\n" + builtins.toJSON failures));

  traceIf = pred: msg: x: if pred then trace msg x else x;
  traceValFn = f: x: trace (f x) x;
  traceVal = traceValFn (x: x);
  traceSeq = x: y: trace (builtins.deepSeq x x) y;

  # traceSeqN depth x y: trace x pretty-printed down to depth levels, the
  # rest shown as […] / {…}.
  traceSeqN = depth: x: y:
    let
      snip = v:
        if isList v then noQuotes "[…]" v
        else if isAttrs v then noQuotes "{…}" v
        else v;
      noQuotes = str: v: { __pretty = _: str; val = v; };
      modify = n: fn: v:
        if n == 0 then fn v
        else if isList v then map (modify (n - 1) fn) v
        else if isAttrs v then mapAttrs (_: modify (n - 1) fn) v
        else v;
    in
    trace (lib.generators.toPretty { allowPrettyValues = true; } (modify depth snip x)) y;

  traceValSeqFn = f: v: traceValFn f (builtins.deepSeq v v);
  traceValSeq = traceValSeqFn (x: x);
  traceValSeqNFn = f: depth: v: traceSeqN depth (f v) v;
  traceValSeqN = traceValSeqNFn (x: x);
  traceFnSeqN = depth: name: f: v:
    let res = f v; in
    traceSeqN (depth + 1) { fn = name; from = v; to = res; } res;

  # runTests { testX = { expr; expected; }; tests = [ names ]? }: the
  # failing tests as [ { name; expected; result; } ].
  runTests = tests:
    let
      testsToRun = tests.tests or [ ];
      failing = name: test:
        (builtins.substring 0 4 name == "test" || builtins.elem name testsToRun)
        && (testsToRun == [ ] || builtins.elem name tests.tests)
        && (test.expr != test.expected);
    in
    builtins.concatMap
      (name: let test = tests.${name}; in
        if failing name test then [ { inherit name; expected = test.expected; result = test.expr; } ] else [ ])
      (attrNames tests);
  testAllTrue = expr: { inherit expr; expected = map (x: true) expr; };
}
