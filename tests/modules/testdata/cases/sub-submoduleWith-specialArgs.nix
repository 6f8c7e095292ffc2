let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { options.s = mkOption { type = types.submoduleWith { modules = [ ({ greeting, ... }: { options.v = mkOption { default = greeting; }; }) ]; specialArgs.greeting = "hi"; }; default = { }; }; }
  ];
}).config
