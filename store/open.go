package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// readerPragmas apply to every connection opened by OpenReadOnly; query_only
// makes any write statement fail even if the file itself is writable.
const readerPragmas = "mode=ro&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"

// OpenReadOnly opens an existing database for analysts' queries. The file is
// opened with mode=ro and every connection has query_only set, so any write
// statement fails instead of altering harvested data. A missing file is an
// error rather than a new empty database, and so is a schema newer than this
// binary's (ErrSchemaTooNew).
//
// A reader never creates a file, so a user who may read the database but
// not write its folder can query it, and no reader's -wal or -shm file is
// left for the owner's next harvest to trip over. The database stays in WAL
// mode between harvests, and in WAL mode SQLite creates the -wal and -shm
// files on first read unless they exist. So:
//
//   - while a harvest runs (or after one was killed) the -wal file exists:
//     mode=ro reads it and the -shm file like any reader;
//   - otherwise nobody is writing, every committed page is in the main
//     file, and it is opened immutable: no lock, no -wal, no -shm. A harvest
//     that starts during such a read can change the file under it; the read
//     then fails or sees part of the harvest's first checkpoint, and running
//     it again gives the right answer.
func OpenReadOnly(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("open database read-only: empty path")
	}
	wal, err := walHeader(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s read-only: %w", path, err)
	}
	query := readerPragmas
	if _, err := os.Stat(path + "-wal"); wal && errors.Is(err, os.ErrNotExist) {
		query = "immutable=1&" + query
	}
	name, err := dsn(path, query)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open database %s read-only: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s read-only: %w", path, err)
	}
	ms, err := migrations()
	if err == nil {
		err = checkSchemaVersion(context.Background(), db, ms)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s read-only: %w", path, err)
	}
	return db, nil
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// walHeader reads the database header of path and says whether the file
// is in WAL mode (its read and write versions are 2). An empty file is an
// empty database; anything else without the SQLite magic is refused.
func walHeader(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var h [20]byte
	n, err := io.ReadFull(f, h[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return false, nil
	case err != nil || !bytes.HasPrefix(h[:], []byte(sqliteMagic)):
		return false, fmt.Errorf("%w: not a SQLite database", ErrUnusable)
	}
	return h[18] == 2 && h[19] == 2, nil
}

// ErrSchemaTooNew means the database was migrated by a newer patchwatch.
// Its tables may mean something this binary does not know, so it neither
// writes nor reads them.
var ErrSchemaTooNew = errors.New("database schema is newer than this patchwatch")

// checkSchemaVersion refuses a database whose latest applied migration is
// newer than the newest one embedded in this binary. A database without a
// migrations table is older than every migration and passes.
func checkSchemaVersion(ctx context.Context, db *sql.DB, ms []migration) error {
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'migrations'`).Scan(&tables); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if tables == 0 || len(ms) == 0 {
		return nil
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if known := ms[len(ms)-1].version; have > known {
		return fmt.Errorf("%w: the database is at schema version %d, this patchwatch knows versions up to %d; upgrade patchwatch", ErrSchemaTooNew, have, known)
	}
	return nil
}

// ErrUnusable marks a database that cannot be used at all: not a SQLite
// file, or corrupted.
var ErrUnusable = errors.New("database is unusable")

// Unusable says whether err means the database itself is broken (not a
// SQLite file, or corrupted), as opposed to one statement or page
// failing. A harvest stops at such an error and exits 2: every later write
// would fail the same way.
func Unusable(err error) bool {
	if errors.Is(err, ErrUnusable) {
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}
