# The small helper set the collection needs (fixpoints, overlays,
# callPackage, override). <gonix/lib> will offer the nixpkgs-compatible
# names; until it exists the collection keeps working with this.
rec {
  fix = f: let x = f x; in x;

  # extends overlay f: the fixpoint function f with overlay (self: super: ...) on top.
  extends = overlay: f: self: let super = f self; in super // overlay self super;

  composeOverlays = overlays: f: builtins.foldl' (acc: o: extends o acc) f overlays;

  optional = c: x: if c then [ x ] else [ ];
  optionals = c: xs: if c then xs else [ ];
  optionalString = c: s: if c then s else "";
  concatStringsSep = builtins.concatStringsSep;
  concatMapStringsSep = sep: f: xs: builtins.concatStringsSep sep (map f xs);
  filter = builtins.filter;
  unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];

  # makeOverridable f args: f args, with .override (newArgs or a function
  # of the old ones) giving f applied to the updated arguments.
  makeOverridable = f: args:
    let
      result = f args;
      override = newArgs: makeOverridable f (args // (if builtins.isFunction newArgs then newArgs args else newArgs));
    in
    if builtins.isAttrs result then result // { inherit override; }
    else if builtins.isFunction result then { inherit override; __functor = _: result; }
    else result;

  # callPackageWith scope fn args: fn (a path or a function) called with the
  # attributes of scope it names, overridden by args; the result is
  # overridable.
  callPackageWith = scope: fn: args:
    let
      f = if builtins.isFunction fn then fn else import fn;
      wanted = builtins.functionArgs f;
      auto = builtins.intersectAttrs wanted scope;
    in makeOverridable f (auto // args);
}
