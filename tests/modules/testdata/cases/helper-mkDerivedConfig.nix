let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.text = mkOption { type = types.str; }; options.len = mkOption { type = types.int; }; }
    ({ options, ... }: { len = mkDerivedConfig options.text stringLength; })
    { text = mkDefault "hello"; }
    { len = mkOverride 900 1; }
  ];
}).config
