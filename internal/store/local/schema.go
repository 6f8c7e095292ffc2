package local

// schemaVersion is the value of db/schema that Nix 2.0 … 2.8 write.
const schemaVersion = 10

// schemaSQL creates the tables of a new database. SQLite keeps each
// statement's text in sqlite_master; written this way (the same column lines
// as Nix's, spec/store.md §7.2) `.schema` prints exactly what it prints for a
// database Nix created.
const schemaSQL = `create table if not exists ValidPaths (
    id               integer primary key autoincrement not null,
    path             text unique not null,
    hash             text not null,
    registrationTime integer not null,
    deriver          text,
    narSize          integer,
    ultimate         integer, -- null implies "false"
    sigs             text, -- space-separated
    ca               text -- if not null, an assertion that the path is content-addressed; see ValidPathInfo
);

create table if not exists Refs (
    referrer  integer not null,
    reference integer not null,
    primary key (referrer, reference),
    foreign key (referrer) references ValidPaths(id) on delete cascade,
    foreign key (reference) references ValidPaths(id) on delete restrict
);

create index if not exists IndexReferrer on Refs(referrer);
create index if not exists IndexReference on Refs(reference);

create trigger if not exists DeleteSelfRefs before delete on ValidPaths
  begin
    delete from Refs where referrer = old.id and reference = old.id;
  end;

create table if not exists DerivationOutputs (
    drv  integer not null,
    id   text not null, -- symbolic output id, usually "out"
    path text not null,
    primary key (drv, id),
    foreign key (drv) references ValidPaths(id) on delete cascade
);

create index if not exists IndexDerivationOutputs on DerivationOutputs(path);
`

// The statements of spec/store.md §7 (the same queries Nix prepares).
const (
	sqlRegister   = `insert into ValidPaths (path, hash, registrationTime, deriver, narSize, ultimate, sigs, ca) values (?, ?, ?, ?, ?, ?, ?, ?);`
	sqlUpdate     = `update ValidPaths set narSize = ?, hash = ?, ultimate = ?, sigs = ?, ca = ? where path = ?;`
	sqlAddRef     = `insert or replace into Refs (referrer, reference) values (?, ?);`
	sqlInfo       = `select id, hash, registrationTime, deriver, narSize, ultimate, sigs, ca from ValidPaths where path = ?;`
	sqlID         = `select id from ValidPaths where path = ?;`
	sqlRefs       = `select path from Refs join ValidPaths on reference = id where referrer = ?;`
	sqlReferrers  = `select path from Refs join ValidPaths on referrer = id where reference = (select id from ValidPaths where path = ?);`
	sqlInvalidate = `delete from ValidPaths where path = ?;`
	sqlAddDrvOut  = `insert or replace into DerivationOutputs (drv, id, path) values (?, ?, ?);`
	sqlDerivers   = `select v.id, v.path from DerivationOutputs d join ValidPaths v on d.drv = v.id where d.path = ?;`
	sqlDrvOuts    = `select id, path from DerivationOutputs where drv = ?;`
	sqlFromHash   = `select path from ValidPaths where path >= ? limit 1;`
	sqlAllPaths   = `select path from ValidPaths;`
)
