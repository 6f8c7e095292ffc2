let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { }
    { imports = [ { } { bogus = 1; options = { }; } ]; }
  ];
}).config
