package eval

// builtinGroups lists the builtin tables in registration order. Each
// table lives in its own builtins_*.go file.
func builtinGroups() [][]builtinDef {
	return [][]builtinDef{
		coreBuiltins,    // builtins_core.go: import, scopedImport, findFile, derivationStrict
		attrsBuiltins,   // builtins_attrs.go
		listBuiltins,    // builtins_lists.go
		stringBuiltins,  // builtins_strings.go
		miscBuiltins,    // builtins_misc.go: types, arithmetic, control, versions
		jsonBuiltins,    // builtins_json.go: toJSON, fromJSON, fromTOML, toXML
		contextBuiltins, // builtins_context.go
		fileBuiltins,    // builtins_files.go: files, hashes, store paths
		regexBuiltins,   // builtins_regex.go: match, split
		fetchBuiltins,   // builtins_fetch.go
	}
}
