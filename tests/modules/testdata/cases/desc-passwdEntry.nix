let lib = import <gonix/lib>; in
with lib;
(types.passwdEntry types.str).description
