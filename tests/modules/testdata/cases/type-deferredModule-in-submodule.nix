let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    {
      options.outer = mkOption {
        type = types.submodule ({ config, ... }: {
          options.m = mkOption { type = types.deferredModule; default = { }; };
          options.result = mkOption {
            type = types.int;
            default = (evalModules { modules = [ { options.v = mkOption { type = types.int; default = 0; }; } config.m ]; }).config.v;
          };
        });
        default = { };
      };
    }
    { outer.m = { v = 9; }; }
  ];
}).config.outer.result
