let lib = import <gonix/lib>; in
with lib;
let r = (evalModules {
  modules = [
    { options.a = mkOption { internal = true; visible = false; readOnly = false; default = 1; }; }
  ];
}).options.a; in [ r.internal r.visible r.readOnly ]
