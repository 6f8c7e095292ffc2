{
  imports = [ ./foo.nix ];
  foo = [ "from-bar" ];
}
