package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gonix/internal/cli/args"
	"gonix/internal/format/narinfo"
	"gonix/internal/store/binarycache"
	"gonix/internal/store/local"
	"gonix/internal/store/subst"
)

// openSubstituters opens the substituters the settings name (substituters
// and extra-substituters, in priority order), with trusted-public-keys,
// require-sigs (default true) and fallback. With substitute = false, or no
// substituter, it returns nil. Unlike Nix 2.8, whose default substituter
// is https://cache.nixos.org/, gonix has none by default: the collection
// it builds is not on that cache, so asking it would only cost time.
// A substituter that cannot be opened is reported and skipped, as Nix
// disables an unreachable cache. Answers of HTTP caches are remembered in
// a disk cache (subst.DiskCache) for narinfo-cache-positive-ttl and
// narinfo-cache-negative-ttl seconds, as Nix does.
func openSubstituters(e *Env, settings *args.Settings, ls *local.Store) (*subst.Set, error) {
	boolSetting := func(name string, def bool) bool {
		v, ok := settings.Lookup(name)
		if !ok {
			return def
		}
		return v == "true" || v == "1" || v == "yes"
	}
	if !boolSetting("substitute", true) {
		return nil, nil
	}
	urls, _ := settings.Lookup("substituters")
	if len(strings.Fields(urls)) == 0 {
		return nil, nil
	}
	var keys []narinfo.PublicKey
	kv, _ := settings.Lookup("trusted-public-keys")
	for _, s := range strings.Fields(kv) {
		k, err := narinfo.ParsePublicKey(s)
		if err != nil {
			return nil, fmt.Errorf("setting 'trusted-public-keys': %w", err)
		}
		keys = append(keys, k)
	}
	warn := func(msg string) { fmt.Fprintln(e.Stderr, msg) }
	var caches []subst.Cache
	var disk *subst.DiskCache
	diskCache := func() *subst.DiskCache {
		if disk != nil {
			return disk
		}
		path := subst.DefaultDiskCachePath(e.Getenv)
		if path == "" {
			return nil
		}
		ttl := func(name string) time.Duration {
			if v, ok := settings.Lookup(name); ok {
				if n, err := strconv.Atoi(v); err == nil && n >= 0 {
					return time.Duration(n) * time.Second
				}
			}
			return 0
		}
		d, err := subst.OpenDiskCache(path, ttl("narinfo-cache-positive-ttl"), ttl("narinfo-cache-negative-ttl"))
		if err != nil {
			warn("warning: " + err.Error())
			return nil
		}
		disk = d
		return d
	}
	seen := map[string]bool{}
	for _, u := range strings.Fields(urls) {
		if seen[u] {
			continue
		}
		seen[u] = true
		c, err := binarycache.OpenURL(e.Ctx(), u, binarycache.WithStoreDir(ls.StoreDir()), binarycache.WithWarn(func(msg string) { warn("warning: " + msg) }))
		if err != nil {
			warn(fmt.Sprintf("warning: disabling binary cache '%s': %v", u, err))
			continue
		}
		var sc subst.Cache = c
		// Like Nix, only HTTP caches keep their answers on disk.
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			if d := diskCache(); d != nil {
				sc = d.Wrap(c)
			}
		}
		caches = append(caches, sc)
	}
	jobs := 0
	if v, ok := settings.Lookup("http-connections"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			jobs = n
		}
	}
	return subst.New(caches, subst.Options{
		Trusted:     keys,
		RequireSigs: boolSetting("require-sigs", true),
		Fallback:    boolSetting("fallback", false),
		Jobs:        jobs,
		Warn:        warn,
	}), nil
}
