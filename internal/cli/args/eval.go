package args

// An AutoArg is one --arg NAME EXPR or --argstr NAME STRING: a value passed to
// the top-level function of an evaluated expression.
type AutoArg struct {
	Name string
	// Value is a Nix expression, or the string itself when IsString.
	Value    string
	IsString bool
}

// EvalArgs are the evaluation flags of Nix 2.8's MixEvalArgs
// (src/libcmd/common-eval-args.cc).
type EvalArgs struct {
	// AutoArgs are in command-line order. Nix keeps them in a map, so the
	// last one given for a name is the one that counts.
	AutoArgs []AutoArg
	// SearchPath holds the -I/--include entries in order.
	SearchPath []string
	// Impure is --impure.
	Impure bool
	// EvalStoreURL is --eval-store.
	EvalStoreURL string
	// OverrideFlakes are the --override-flake pairs (original, resolved).
	OverrideFlakes [][2]string
}

// EvalFlags returns the MixEvalArgs flags writing into e.
func EvalFlags(e *EvalArgs) []Flag {
	return []Flag{
		{Names: []string{"--arg"}, Arity: 2, Handle: func(_ string, v []string) error {
			e.AutoArgs = append(e.AutoArgs, AutoArg{Name: v[0], Value: v[1]})
			return nil
		}},
		{Names: []string{"--argstr"}, Arity: 2, Handle: func(_ string, v []string) error {
			e.AutoArgs = append(e.AutoArgs, AutoArg{Name: v[0], Value: v[1], IsString: true})
			return nil
		}},
		{Names: []string{"--include", "-I"}, Arity: 1, Handle: func(_ string, v []string) error {
			e.SearchPath = append(e.SearchPath, v[0])
			return nil
		}},
		{Names: []string{"--impure"}, Handle: func(string, []string) error {
			e.Impure = true
			return nil
		}},
		{Names: []string{"--override-flake"}, Arity: 2, Handle: func(_ string, v []string) error {
			e.OverrideFlakes = append(e.OverrideFlakes, [2]string{v[0], v[1]})
			return nil
		}},
		{Names: []string{"--eval-store"}, Arity: 1, Handle: func(_ string, v []string) error {
			e.EvalStoreURL = v[0]
			return nil
		}},
	}
}
