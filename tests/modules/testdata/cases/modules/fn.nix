{ lib, ... }:
{
  options.fn.value = lib.mkOption { type = lib.types.int; };
}
