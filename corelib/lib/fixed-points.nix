# gonix lib: fixed points and overlays (lib.fixedPoints).
{ lib, ... }:
rec {
  fix = f: let x = f x; in x;
  fix' = f: let x = f x // { __unfix__ = f; }; in x;
  converge = f: x: let x' = f x; in if x' == x then x else converge f x';
  extends = f: rattrs: self: let super = rattrs self; in super // f self super;
  composeExtensions = f: g: final: prev:
    let
      fApplied = f final prev;
      prev' = prev // fApplied;
    in
    fApplied // g final prev';
  composeManyExtensions = exts:
    builtins.foldl' (acc: e: composeExtensions e acc) (final: prev: { }) (lib.reverseList exts);
  makeExtensible = makeExtensibleWithCustomName "extend";
  makeExtensibleWithCustomName = extenderName: rattrs:
    fix' rattrs // {
      ${extenderName} = f: makeExtensibleWithCustomName extenderName (extends f rattrs);
    };
  # An overlay from a function of prev, of final and prev, or a plain set.
  toExtension = f:
    if lib.trivial.isFunction f then
      final: prev: let fPrev = f prev; in if lib.trivial.isFunction fPrev then f final prev else fPrev
    else final: prev: f;
}
