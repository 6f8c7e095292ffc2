let lib = import <gonix/lib>; in
with lib;
let r = (evalModules {
  modules = [
    { options.e = mkEnableOption "the thing"; }
  ];
}).options.e; in [ r.default r.description r.type.name r.example ]
