# gonix lib: tracing helpers and a tiny unit-test runner (lib.debug).
{ lib }:
let
  inherit (builtins) trace isList isAttrs attrNames concatStringsSep mapAttrs;
  deprecated = name: advice:
    trace ("Warning: `${name}` is deprecated and will be removed in the next release. " + advice);
in
rec {
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

  traceShowVal = x: trace (showVal x) x;
  traceShowValMarked = str: x: trace (str + showVal x) x;

  attrNamesToStr = a:
    trace ("Warning: `attrNamesToStr` is deprecated and will be removed in the next release. "
      + "Please use more specific concatenation for your uses (`lib.concat(Map)StringsSep`).")
      (concatStringsSep "; " (map (x: "${x}=") (attrNames a)));

  showVal =
    trace "Warning: `showVal` is deprecated and will be removed in the next release, please use `traceSeqN`"
      (let
        modify = v:
          let pr = f: { __pretty = f; val = v; }; in
          if lib.attrsets.isDerivation v then pr (drv: "<δ:${drv.name}:${concatStringsSep "," (attrNames drv)}>")
          else if [ ] == v then pr (_: "[]")
          else if isList v then pr (l: "[ ${go (builtins.head l)}, … ]")
          else if isAttrs v then pr (a: "{ ${concatStringsSep ", " (attrNames a)} }")
          else v;
        go = x: lib.generators.toPretty { allowPrettyValues = true; } (modify x);
      in
      go);

  traceXMLVal = x:
    deprecated "traceXMLVal" "Please use `traceValFn builtins.toXML`." (trace (builtins.toXML x) x);
  traceXMLValMarked = str: x:
    deprecated "traceXMLValMarked" "Please use `traceValFn (x: str + builtins.toXML x)`." (trace (str + builtins.toXML x) x);

  traceCall = n: f: a:
    let t = n2: x: traceShowValMarked "${n} ${n2}:" x; in t "result" (f (t "arg 1" a));
  traceCall2 = n: f: a: b:
    let t = n2: x: traceShowValMarked "${n} ${n2}:" x; in t "result" (f (t "arg 1" a) (t "arg 2" b));
  traceCall3 = n: f: a: b: c:
    let t = n2: x: traceShowValMarked "${n} ${n2}:" x; in t "result" (f (t "arg 1" a) (t "arg 2" b) (t "arg 3" c));

  traceValIfNot = c: x:
    deprecated "traceValIfNot" "Please use `if/then/else` and `traceValSeq 1`."
      (if c x then true else traceSeq (showVal x) false);

  addErrorContextToAttrs = attrs:
    deprecated "addErrorContextToAttrs" "Please use `builtins.addErrorContext` directly."
      (mapAttrs (a: v: builtins.addErrorContext "while evaluating ${a}" v) attrs);

  traceCallXml = a:
    deprecated "traceCallXml" "Please complain if you use the function regularly."
      (if !builtins.isInt a then traceCallXml 1 "calling ${a}\n"
      else
        str: expr:
          if lib.trivial.isFunction expr
          then arg: traceCallXml (a + 1) "${str}\n arg ${toString a} is \n ${builtins.toXML (builtins.seq arg arg)}" (expr arg)
          else let r = builtins.seq expr expr; in trace "${str}\n result:\n${builtins.toXML r}" r);
}
