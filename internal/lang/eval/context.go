package eval

import "sort"

// Context is the set of store references a string carries (spec §3.10):
// "/nix/store/…" (plain path), "=/nix/store/….drv" (all outputs) or
// "!out!/nix/store/….drv" (one output). It is kept sorted and duplicate
// free; nil means empty.
type Context []string

// contextBuilder accumulates context elements.
type contextBuilder struct {
	set map[string]struct{}
	one Context
}

func (c *contextBuilder) add(ctx Context) {
	if len(ctx) == 0 {
		return
	}
	if c.set == nil && c.one == nil {
		c.one = ctx
		return
	}
	if c.set == nil {
		c.set = make(map[string]struct{}, len(c.one)+len(ctx))
		for _, s := range c.one {
			c.set[s] = struct{}{}
		}
	}
	for _, s := range ctx {
		c.set[s] = struct{}{}
	}
}

func (c *contextBuilder) addOne(s string) { c.add(Context{s}) }

func (c *contextBuilder) result() Context {
	if c.set == nil {
		return c.one
	}
	out := make(Context, 0, len(c.set))
	for s := range c.set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
