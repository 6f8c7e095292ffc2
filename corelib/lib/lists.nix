# gonix lib: list functions (lib.lists; nixpkgs' current names and
# behaviour).
{ lib }:
let
  inherit (builtins) head tail length elemAt genList filter elem concatLists
    isList isString isInt foldl' concatMap;
in
rec {
  inherit (builtins) head tail length isList elemAt concatLists filter elem genList map;
  inherit (builtins) foldl' concatMap any all partition groupBy sort;

  singleton = x: [ x ];
  forEach = xs: f: map f xs;

  # foldr op nul [ x1 x2 ] = op x1 (op x2 nul), lazy in the accumulator.
  foldr = op: nul: list:
    let
      len = length list;
      go = n: if n == len then nul else op (elemAt list n) (go (n + 1));
    in
    go 0;
  fold = lib.trivial.warn "fold has been deprecated, use foldr instead" foldr;

  # foldl op nul [ x1 x2 ] = op (op nul x1) x2; lazy in the accumulator
  # (foldl' is the strict one).
  foldl = op: nul: list:
    let go = n: if n == -1 then nul else op (go (n - 1)) (elemAt list n);
    in go (length list - 1);

  imap0 = f: list: genList (n: f n (elemAt list n)) (length list);
  imap1 = f: list: genList (n: f (n + 1) (elemAt list n)) (length list);

  flatten = x: if isList x then concatMap flatten x else [ x ];

  remove = e: filter (x: x != e);

  findSingle = pred: default: multiple: list:
    let found = filter pred list; len = length found;
    in if len == 0 then default else if len != 1 then multiple else head found;

  findFirst = pred: default: list:
    let found = filter pred list;
    in if found == [ ] then default else head found;

  count = pred: foldl' (c: x: if pred x then c + 1 else c) 0;

  optional = cond: elem: if cond then [ elem ] else [ ];
  optionals = cond: elems: if cond then elems else [ ];

  toList = x: if isList x then x else [ x ];

  range = first: last:
    if first > last then [ ] else genList (n: first + n) (last - first + 1);

  groupBy' = op: nul: pred: lst: builtins.mapAttrs (name: foldl op nul) (builtins.groupBy pred lst);

  zipListsWith = f: fst: snd:
    genList (n: f (elemAt fst n) (elemAt snd n)) (lib.trivial.min (length fst) (length snd));
  zipLists = zipListsWith (fst: snd: { inherit fst snd; });

  reverseList = xs: let l = length xs; in genList (n: elemAt xs (l - n - 1)) l;

  # Depth-first search for a minimal element (or a cycle) under `before`.
  listDfs = stopOnCycles: before: list:
    let
      dfs' = us: visited: rest:
        let
          c = filter (x: before x us) visited;
          b = builtins.partition (x: before x us) rest;
        in
        if stopOnCycles && (length c > 0)
        then { cycle = us; loops = c; inherit visited rest; }
        else if length b.right == 0
        then { minimal = us; inherit visited rest; }
        else dfs' (head b.right) ([ us ] ++ visited) (tail b.right ++ b.wrong);
    in
    dfs' (head list) [ ] (tail list);

  toposort = before: list:
    let
      dfsthis = listDfs true before list;
      toporest = toposort before (dfsthis.visited ++ dfsthis.rest);
    in
    if length list < 2 then { result = list; }
    else if dfsthis ? cycle then { cycle = reverseList ([ dfsthis.cycle ] ++ dfsthis.visited); inherit (dfsthis) loops; }
    else if toporest ? cycle then toporest
    else { result = [ dfsthis.minimal ] ++ toporest.result; };

  compareLists = cmp: a: b:
    let
      la = length a;
      lb = length b;
      go = i:
        if i == la then (if i == lb then 0 else -1)
        else if i == lb then 1
        else let rel = cmp (elemAt a i) (elemAt b i); in if rel == 0 then go (i + 1) else rel;
    in
    go 0;

  naturalSort = lst:
    let
      vectorise = s: map (x: if isList x then lib.strings.toInt (head x) else x) (builtins.split "(0|[1-9][0-9]*)" s);
      prepared = map (x: [ (vectorise x) x ]) lst;
      less = a: b: (compareLists lib.trivial.compare (head a) (head b)) < 0;
    in
    map (x: elemAt x 1) (builtins.sort less prepared);

  take = count: sublist 0 count;
  drop = count: list: sublist count (length list) list;
  sublist = start: count: list:
    let len = length list; in
    genList (n: elemAt list (n + start))
      (if start >= len then 0 else if start + count > len then len - start else count);

  last = list:
    assert lib.asserts.assertMsg (list != [ ]) "lists.last: list must not be empty!";
    elemAt list (length list - 1);
  init = list:
    assert lib.asserts.assertMsg (list != [ ]) "lists.init: list must not be empty!";
    take (length list - 1) list;

  crossLists = f: foldl (fs: args: concatMap (f: map f args) fs) [ f ];

  # Keeps the first occurrence of each element. Lists of only strings or
  # only integers go through genericClosure (one ordered-set pass);
  # anything else is compared pairwise with == as nixpkgs does. A list of
  # one element is never forced, as in nixpkgs.
  unique = list:
    if length list < 2 then list
    else if builtins.all isString list || builtins.all isInt list
    then map (x: x.key) (builtins.genericClosure { startSet = map (key: { inherit key; }) list; operator = _: [ ]; })
    else foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [ ] list;

  intersectLists = e: filter (x: elem x e);
  subtractLists = e: filter (x: !(elem x e));
  mutuallyExclusive = a: b: length a == 0 || !(builtins.any (x: elem x a) b);

  allUnique = list: length (unique list) == length list;
  uniqueStrings = list: builtins.attrNames (builtins.groupBy (x: x) list);
  concatAttrValues = set: concatLists (builtins.attrValues set);
  dropEnd = n: xs: take (lib.trivial.max 0 (length xs - n)) xs;
  takeEnd = n: xs: drop (lib.trivial.max 0 (length xs - n)) xs;
  replicate = n: elem: genList (_: elem) n;

  # The index of the first element satisfying pred, or default; like
  # nixpkgs, pred is called on elements up to the first match only.
  findFirstIndex = pred: default: list:
    let
      r = foldl' (index: el: if index < 0 then (if pred el then -index - 1 else index - 1) else index) (-1) list;
    in
    if r < 0 then default else r;

  commonPrefix = list1: list2:
    take (findFirstIndex (x: x) (length (zipListsWith (a: b: a != b) list1 list2))
      (zipListsWith (a: b: a != b) list1 list2)) list1;

  hasPrefix = list1: list2: take (length list1) list2 == list1;
  removePrefix = list1: list2:
    if hasPrefix list1 list2 then drop (length list1) list2
    else throw "lib.lists.removePrefix: First argument is not a list prefix of the second argument";

  ifilter0 = ipred: input:
    map (idx: elemAt input idx) (filter (idx: ipred idx (elemAt input idx)) (genList (x: x) (length input)));

  replaceElemAt = list: idx: newElem:
    assert lib.asserts.assertMsg (idx >= 0 && idx < length list)
      "'lists.replaceElemAt' called with index ${toString idx} on a list of size ${toString (length list)}";
    genList (i: if i == idx then newElem else elemAt list i) (length list);

  sortOn = f: list:
    map (x: elemAt x 1) (builtins.sort (a: b: head a < head b) (map (x: [ (f x) x ]) list));
}
