package subst

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"gonix/internal/format/hash"
	"gonix/internal/format/narinfo"
	"gonix/internal/store/binarycache"
)

// diskSchema is Nix 2.8's NarInfoDiskCache schema (binary-cache-v6.sqlite).
const diskSchema = `
create table if not exists BinaryCaches (
    id        integer primary key autoincrement not null,
    url       text unique not null,
    timestamp integer not null,
    storeDir  text not null,
    wantMassQuery integer not null,
    priority  integer not null
);
create table if not exists NARs (
    cache            integer not null,
    hashPart         text not null,
    namePart         text,
    url              text,
    compression      text,
    fileHash         text,
    fileSize         integer,
    narHash          text,
    narSize          integer,
    refs             text,
    deriver          text,
    sigs             text,
    ca               text,
    timestamp        integer not null,
    present          integer not null,
    primary key (cache, hashPart),
    foreign key (cache) references BinaryCaches(id) on delete cascade
);
create table if not exists Realisations (
    cache integer not null,
    outputId text not null,
    content blob,
    timestamp        integer not null,
    primary key (cache, outputId),
    foreign key (cache) references BinaryCaches(id) on delete cascade
);
create table if not exists LastPurge (
    dummy            text primary key,
    value            integer
);
`

// DiskCache remembers narinfo answers of HTTP binary caches across runs,
// as Nix's NarInfoDiskCache does, in the same schema: a present path for
// PositiveTTL, an absent one for NegativeTTL. It is gonix's own file
// (DefaultDiskCachePath), so that a difference in what is recorded can
// never mislead Nix.
type DiskCache struct {
	mu          sync.Mutex
	conn        *sqlite.Conn
	ids         map[string]int64
	now         func() time.Time
	positiveTTL time.Duration
	negativeTTL time.Duration
}

// DefaultDiskCachePath is $XDG_CACHE_HOME/gonix/binary-cache-v6.sqlite
// (~/.cache when XDG_CACHE_HOME is unset).
func DefaultDiskCachePath(getenv func(string) string) string {
	dir := getenv("XDG_CACHE_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "gonix", "binary-cache-v6.sqlite")
}

// OpenDiskCache opens (creating) the cache database at path. TTLs of 0
// take Nix's defaults: 30 days for present paths (narinfo-cache-positive-
// ttl), 1 hour for absent ones (narinfo-cache-negative-ttl).
func OpenDiskCache(path string, positiveTTL, negativeTTL time.Duration) (*DiskCache, error) {
	if positiveTTL == 0 {
		positiveTTL = 30 * 24 * time.Hour
	}
	if negativeTTL == 0 {
		negativeTTL = time.Hour
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("narinfo disk cache: %w", err)
	}
	conn, err := sqlite.OpenConn(path, sqlite.OpenReadWrite|sqlite.OpenCreate|sqlite.OpenNoMutex)
	if err != nil {
		return nil, fmt.Errorf("narinfo disk cache %s: %w", path, err)
	}
	conn.SetBusyTimeout(time.Minute)
	// Nix's SQLite::isCache(): losing the cache costs only queries.
	for _, p := range []string{"pragma synchronous = off", "pragma main.journal_mode = truncate"} {
		if err := sqlitex.ExecuteTransient(conn, p, nil); err != nil {
			conn.Close()
			return nil, fmt.Errorf("narinfo disk cache %s: %w", path, err)
		}
	}
	if err := sqlitex.ExecuteScript(conn, diskSchema, nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("narinfo disk cache %s: %w", path, err)
	}
	return &DiskCache{conn: conn, ids: map[string]int64{}, now: time.Now, positiveTTL: positiveTTL, negativeTTL: negativeTTL}, nil
}

// Close closes the database.
func (d *DiskCache) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn.Close()
}

// cacheID returns the BinaryCaches row of c, creating it; d.mu held.
func (d *DiskCache) cacheID(c Cache) (int64, error) {
	if id, ok := d.ids[c.URI()]; ok {
		return id, nil
	}
	var id int64
	find := func() error {
		return sqlitex.Execute(d.conn, `select id from BinaryCaches where url = ?`, &sqlitex.ExecOptions{
			Args:       []any{c.URI()},
			ResultFunc: func(s *sqlite.Stmt) error { id = s.ColumnInt64(0); return nil },
		})
	}
	if err := find(); err != nil {
		return 0, err
	}
	if id == 0 {
		wmq := 0
		if w, ok := c.(interface{ WantMassQuery() bool }); ok && w.WantMassQuery() {
			wmq = 1
		}
		err := sqlitex.Execute(d.conn, `insert or replace into BinaryCaches(url, timestamp, storeDir, wantMassQuery, priority) values (?, ?, ?, ?, ?)`,
			&sqlitex.ExecOptions{Args: []any{c.URI(), d.now().Unix(), c.StoreDir(), wmq, c.Priority()}})
		if err != nil {
			return 0, err
		}
		id = d.conn.LastInsertRowID()
	}
	d.ids[c.URI()] = id
	return id, nil
}

// lookup returns (info, true) for a remembered present path, (nil, true)
// for a remembered absent one, and ok = false when nothing (fresh) is
// known.
func (d *DiskCache) lookup(c Cache, storePath string) (ni *narinfo.NarInfo, ok bool, err error) {
	base := filepath.Base(storePath)
	hashPart, _, _ := strings.Cut(base, "-")
	d.mu.Lock()
	defer d.mu.Unlock()
	id, err := d.cacheID(c)
	if err != nil {
		return nil, false, err
	}
	now := d.now()
	var text string
	err = sqlitex.Execute(d.conn, `select present, namePart, url, compression, fileHash, fileSize, narHash, narSize, refs, deriver, sigs, ca from NARs where cache = ? and hashPart = ? and ((present = 0 and timestamp > ?) or (present = 1 and timestamp > ?))`,
		&sqlitex.ExecOptions{
			Args: []any{id, hashPart, now.Add(-d.negativeTTL).Unix(), now.Add(-d.positiveTTL).Unix()},
			ResultFunc: func(s *sqlite.Stmt) error {
				ok = true
				if s.ColumnInt(0) == 0 {
					return nil
				}
				var b strings.Builder
				fmt.Fprintf(&b, "StorePath: %s/%s-%s\nURL: %s\nCompression: %s\n", c.StoreDir(), hashPart, s.ColumnText(1), s.ColumnText(2), s.ColumnText(3))
				if fh := s.ColumnText(4); fh != "" {
					fmt.Fprintf(&b, "FileHash: %s\nFileSize: %d\n", fh, s.ColumnInt64(5))
				}
				fmt.Fprintf(&b, "NarHash: %s\nNarSize: %d\nReferences: %s\n", s.ColumnText(6), s.ColumnInt64(7), s.ColumnText(8))
				if v := s.ColumnText(9); v != "" {
					fmt.Fprintf(&b, "Deriver: %s\n", v)
				}
				for _, sig := range strings.Fields(s.ColumnText(10)) {
					fmt.Fprintf(&b, "Sig: %s\n", sig)
				}
				if v := s.ColumnText(11); v != "" {
					fmt.Fprintf(&b, "CA: %s\n", v)
				}
				text = b.String()
				return nil
			},
		})
	if err != nil || !ok || text == "" {
		return nil, ok, err
	}
	ni, err = narinfo.Parse(c.StoreDir(), []byte(text))
	if err != nil || ni.StorePath != storePath {
		// A damaged or foreign row: ask the cache again.
		return nil, false, nil
	}
	return ni, true, nil
}

// record remembers an answer (ni nil: absent).
func (d *DiskCache) record(c Cache, storePath string, ni *narinfo.NarInfo) error {
	base := filepath.Base(storePath)
	hashPart, name, _ := strings.Cut(base, "-")
	d.mu.Lock()
	defer d.mu.Unlock()
	id, err := d.cacheID(c)
	if err != nil {
		return err
	}
	now := d.now().Unix()
	if ni == nil {
		return sqlitex.Execute(d.conn, `insert or replace into NARs(cache, hashPart, timestamp, present) values (?, ?, ?, 0)`,
			&sqlitex.ExecOptions{Args: []any{id, hashPart, now}})
	}
	var fileHash any
	if ni.FileHash.Algo != 0 {
		fileHash = ni.FileHash.Encode(hash.Base32, true)
	}
	var deriver, ca any
	if ni.Deriver != "" {
		deriver = ni.Deriver
	}
	if ni.CA != "" {
		ca = ni.CA
	}
	return sqlitex.Execute(d.conn, `insert or replace into NARs(cache, hashPart, namePart, url, compression, fileHash, fileSize, narHash, narSize, refs, deriver, sigs, ca, timestamp, present) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		&sqlitex.ExecOptions{Args: []any{id, hashPart, name, ni.URL, ni.Compression, fileHash, int64(ni.FileSize),
			ni.NarHash.Encode(hash.Base32, true), int64(ni.NarSize), strings.Join(ni.References, " "), deriver,
			strings.Join(ni.Sigs, " "), ca, now}})
}

// Wrap returns c with its narinfo queries answered from, and recorded in,
// the disk cache.
func (d *DiskCache) Wrap(c Cache) Cache { return &diskCached{Cache: c, d: d} }

type diskCached struct {
	Cache
	d *DiskCache
}

func (c *diskCached) QueryPathInfo(ctx context.Context, storePath string) (*narinfo.NarInfo, error) {
	if ni, ok, err := c.d.lookup(c.Cache, storePath); err == nil && ok {
		if ni == nil {
			return nil, fmt.Errorf("path '%s' is not in binary cache '%s' (remembered in the narinfo disk cache): %w", storePath, c.URI(), binarycache.ErrNotFound)
		}
		return ni, nil
	}
	ni, err := c.Cache.QueryPathInfo(ctx, storePath)
	switch {
	case errors.Is(err, binarycache.ErrNotFound):
		c.d.record(c.Cache, storePath, nil)
	case err == nil:
		c.d.record(c.Cache, storePath, ni)
	}
	return ni, err
}
