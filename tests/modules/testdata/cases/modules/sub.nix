{ lib, name, ... }:
{
  options.x = lib.mkOption { type = lib.types.int; default = 0; };
  options.n = lib.mkOption { type = lib.types.str; default = name; };
}
