# gonix lib: text fragments ordered by their dependencies, as activation
# scripts use them (lib.stringsWithDeps).
{ lib }:
rec {
  # The texts of the entries named in arg, each after its deps, each once.
  textClosureList = predefined: arg:
    let
      f = done: todo:
        if todo == [ ] then { result = [ ]; inherit done; }
        else
          let entry = builtins.head todo; in
          if builtins.isAttrs entry then
            let
              x = f done entry.deps;
              y = f x.done (builtins.tail todo);
            in
            { result = x.result ++ [ entry.text ] ++ y.result; done = y.done; }
          else if done ? ${entry} then f done (builtins.tail todo)
          else f (done // { ${entry} = 1; }) ([ predefined.${entry} ] ++ builtins.tail todo);
    in
    (f { } arg).result;

  textClosureMap = f: predefined: names:
    builtins.concatStringsSep "\n" (map f (textClosureList predefined names));

  noDepEntry = text: { inherit text; deps = [ ]; };
  fullDepEntry = text: deps: { inherit text deps; };
  packEntry = deps: { inherit deps; text = ""; };
  stringAfter = deps: text: { inherit text deps; };
}
