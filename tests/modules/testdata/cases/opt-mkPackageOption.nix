let lib = import <gonix/lib>; in
with lib;
let r = (evalModules {
  modules = [
    { options.p = mkPackageOption { hello = { type = "derivation"; name = "hello-1"; }; } "hello" { }; }
  ];
}).options.p; in [ r.default.name r.description r.type.name ]
