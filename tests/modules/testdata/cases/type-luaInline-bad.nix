let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.luaInline; }; }
    { _file = "m1.nix"; a = "vim.fn.x()"; }
  ];
}).config.a
