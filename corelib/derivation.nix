/* gonix: the `derivation` function (spec/language.md §3.16).
   The line and column of every attribute below is deliberate: they
   equal Nix 2.8's, so unsafeGetAttrPos and located XML agree. */
attrs @ { outputs ? [ "out" ], ... }:

let

  built = derivationStrict attrs;

  shared = attrs // (builtins.listToAttrs perOutput) //
    {
      all = map (o: o.value) perOutput;
      inherit drvAttrs;
    };

  forOutput = outputName:
    { name = outputName;
      value = shared // {
        outPath = builtins.getAttr outputName built;
        drvPath = built.drvPath;
        type = "derivation";
        inherit outputName;
      };
    };

  perOutput = map forOutput outputs;

  drvAttrs = attrs;

in (builtins.head perOutput).value
