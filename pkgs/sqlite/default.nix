# SQLite from Debian's copy of the upstream source tree (sqlite3: the full
# tree, not the amalgamation): its build generates the parser, opcodes,
# sqlite3.h and the sqlite3.c amalgamation with tclsh, so tcl is a
# nativeBuildInput. Library, headers and the sqlite3 shell; no readline,
# no Tcl extension.
{ stdenv, fetchDebianSource, debian, tcl }:
let
  version = debian.sourceVersion "sqlite3";
  sqlite = stdenv.mkDerivation {
    pname = "sqlite";
    inherit version;
    src = fetchDebianSource "sqlite3" "sqlite3_${version}.orig.tar.xz";
    nativeBuildInputs = [ tcl ];
    configureFlags = [ "--disable-tcl" "--disable-readline" "--disable-editline" "--enable-fts5" ];
    enableParallelBuilding = true;

    # The shell answers `select 1` and keeps a table across two runs; a
    # program compiled against the library (through buildInputs) reads it
    # back.
    passthru.tests.run = stdenv.runCommand "sqlite-test-run" { buildInputs = [ sqlite ]; } ''
      [ "$(${sqlite}/bin/sqlite3 :memory: 'select 1')" = 1 ]
      ${sqlite}/bin/sqlite3 t.db "create table t(a integer primary key, b text); insert into t(b) values ('gonix'), ('pkgs');"
      [ "$(${sqlite}/bin/sqlite3 t.db "select group_concat(b, ' ') from (select b from t order by a)")" = "gonix pkgs" ]
      cat > c.c <<'C'
      #include <stdio.h>
      #include <sqlite3.h>
      static int row(void *u, int n, char **v, char **c) { (void)u; (void)c; return n != 2 || printf("%s=%s\n", v[0], v[1]) < 0; }
      int main(void) {
        sqlite3 *db;
        if (sqlite3_open("t.db", &db) != SQLITE_OK) return 1;
        if (sqlite3_exec(db, "select a, b from t order by a", row, 0, 0) != SQLITE_OK) return 2;
        printf("%s\n", sqlite3_libversion());
        return sqlite3_close(db) != SQLITE_OK;
      }
      C
      # Only -lsqlite3: ld finds libm.so.6, which libsqlite3.so needs,
      # through the compiler wrapper's -rpath-link for libc.
      cc -o c c.c -lsqlite3
      ./c | tee $out
      [ "$(cat $out)" = "$(printf '1=gonix\n2=pkgs\n${version}')" ]
    '';
  };
in sqlite
