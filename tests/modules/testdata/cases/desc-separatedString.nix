let lib = import <gonix/lib>; in
with lib;
(types.separatedString ":").description
