{ lib, ... }:
{
  options.foo = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ ]; };
  config.foo = [ "from-foo" ];
}
