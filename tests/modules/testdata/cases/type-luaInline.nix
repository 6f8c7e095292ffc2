let lib = import <gonix/lib>; in
with lib;
(evalModules {
  modules = [
    { _file = "decl.nix"; options.a = mkOption { type = types.luaInline; }; }
    { _file = "m1.nix"; a = generators.mkLuaInline "vim.fn.x()"; }
    { _file = "m2.nix"; a = generators.mkLuaInline "vim.fn.x()"; }
  ];
}).config.a
