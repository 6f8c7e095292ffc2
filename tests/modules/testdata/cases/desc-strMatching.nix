let lib = import <gonix/lib>; in
with lib;
(types.strMatching "a.*").description
