# gonix lib: maintainer handles (lib.maintainers); nixpkgs' list is data
# about nixpkgs, so gonix ships it empty: meta.maintainers = [ ] still works.
{ }
