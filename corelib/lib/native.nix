# The native helpers of the module system (modules.nix: defsFinal,
# pushDownProperties, pushDownModules, pushDownDefs, defsByName,
# declTrees, unmatchedDefns, reverseList). The lib embedded in gonix gets them implemented in Go in
# place of this file; read from disk (-I gonix=DIR), the lib finds this
# empty set and uses its Nix definitions.
{ }
