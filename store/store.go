// Package store keeps patchwatch's records and the raw pages they came from in SQLite.
//
// Raw pages are kept next to the records parsed from them so a parser fix can
// be applied by re-parsing what is already on disk instead of fetching again.
// The schema lives in numbered, embedded migrations; a page and its records are
// written atomically (a savepoint in a batch's transaction, batch.go), and every
// write is an idempotent upsert, so a harvest can be interrupted (losing the
// open batch) and re-run at any point.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// timeLayout is how instants are stored: UTC RFC 3339 at second precision.
// The fixed width keeps text comparison equal to time comparison.
const timeLayout = time.RFC3339

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is patchwatch's SQLite database, opened for writing.
//
// It holds a single connection: SQLite allows one writer at a time, and
// queueing writers in the pool is cheaper and clearer than retrying on
// SQLITE_BUSY.
type Store struct {
	db *sql.DB

	// stmts are the page statements, prepared by Open and read-only after.
	stmts map[string]*sql.Stmt

	// reader is sqlPageState prepared on a separate read-only pool, so a
	// harvest's workers can look up pages while the writer is busy.
	readerDB *sql.DB
	reader   *sql.Stmt

	// checkpoints copies committed pages into the database file in the
	// background (checkpoint.go).
	checkpoints *checkpointer

	// CommitEvery > 1 groups that many pages per transaction (see
	// batch.go); set it before the first write.
	CommitEvery int
	mu          sync.Mutex // guards batch and serialises page writes
	batch       *batch

	// Now returns the current time. It defaults to time.Now; tests replace it
	// so stored timestamps are predictable.
	Now func() time.Time
}

// writerPragmas apply to every connection of a writable store: wait rather
// than fail when another process holds the lock, WAL so readers never block
// the harvester, enforced foreign keys, and BEGIN IMMEDIATE so a write
// transaction takes its lock up front instead of failing on upgrade.
//
// synchronous(NORMAL) syncs the WAL at checkpoints rather than at every
// commit: with WAL a crash of the process (or a kill -9) still never
// corrupts the database or loses a committed page, and only a power loss
// can undo the last commits, which the next harvest fetches again. It makes
// a commit per page cheap enough for archive-scale harvests.
// wal_autocheckpoint is raised to a backstop: the checkpointer
// (checkpoint.go) normally checkpoints long before the writer would.
const writerPragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-16384)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(16384)&_pragma=foreign_keys(1)&_txlock=immediate"

// dsn builds a SQLite URI for path. A "file:" URI lets SQLite see its own
// parameters (mode=ro) and keeps odd characters in the path from being
// taken as the start of the query.
func dsn(path, query string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve database path %s: %w", path, err)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: query}
	return u.String(), nil
}

// Open opens the database at path for writing, creating the file and its
// directory if needed, and applies any pending migrations. It fails if the
// connection did not end up in WAL mode with foreign keys enforced, because
// the store's guarantees depend on both.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open store: empty database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	name, err := dsn(path, writerPragmas)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, Now: time.Now}
	if err := s.init(path); err != nil {
		if s.readerDB != nil {
			s.readerDB.Close()
		}
		if s.checkpoints != nil {
			s.checkpoints.stop()
		}
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(path string) error {
	ctx := context.Background()
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("open store %s: read journal mode: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("open store %s: journal mode is %q, want wal", path, mode)
	}
	var fk int
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("open store %s: read foreign_keys: %w", path, err)
	}
	if fk != 1 {
		return fmt.Errorf("open store %s: foreign keys are off", path)
	}
	if err := s.migrate(ctx); err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.prepare(ctx); err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	s.readerDB = ro
	if s.checkpoints, err = startCheckpointer(path); err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	if s.reader, err = ro.PrepareContext(ctx, sqlPageState); err != nil {
		return fmt.Errorf("open store %s: prepare page state read: %w", path, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	flushErr := s.Flush()
	for _, st := range s.stmts {
		st.Close()
	}
	s.reader.Close()
	s.readerDB.Close()
	// The writer closes last: as the last connection it checkpoints
	// what is left and removes the WAL.
	checkpointErr := s.checkpoints.stop()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return errors.Join(flushErr, checkpointErr)
}

// prepare readies the page, derived-data and read statements once, before any transaction can
// hold the store's single connection.
func (s *Store) prepare(ctx context.Context) error {
	all := slices.Concat(pageStatements, readStatements)
	for _, d := range derivedStatements {
		all = append(all, d.query)
	}
	s.stmts = make(map[string]*sql.Stmt, len(all))
	for _, q := range all {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %.40q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

// DB returns the underlying database so tests and read helpers can run
// their own queries; it commits any open batch first. Do not hold a
// transaction on it across Store calls: the pool has one connection.
func (s *Store) DB() *sql.DB {
	s.Flush()
	return s.db
}

// now returns the store clock's current time in UTC, formatted for storage.
func (s *Store) now() string { return formatTime(s.Now()) }

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// migration is one numbered schema change from migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	file    string
}

// migrations lists the embedded migrations in version order.
func migrations() ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", f)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration %s: version %d already used by %s", f, v, prev)
		}
		seen[v] = f
		ms = append(ms, migration{version: v, name: name, file: f})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies every migration not yet recorded in the migrations table,
// each in its own transaction so a failed migration leaves the schema at
// the previous version.
func (s *Store) migrate(ctx context.Context) error {
	return s.migrateTo(ctx, math.MaxInt)
}

// migrateTo applies the pending migrations numbered up to last.
//
// Migrations run with foreign keys off, on one pinned connection, because
// SQLite's procedure for changing a table's schema (drop it and rename a
// rebuilt copy into its place) needs them off and cannot turn them off
// inside a transaction; every migration is instead checked with
// PRAGMA foreign_key_check before it commits. Foreign keys are back on when
// migrateTo returns, or its error says they could not be.
func (s *Store) migrateTo(ctx context.Context, last int) (err error) {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
) STRICT`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	if err := checkSchemaVersion(ctx, s.db, ms); err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("turn foreign keys off: %w", err)
	}
	defer func() {
		if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON"); onErr != nil {
			err = errors.Join(err, fmt.Errorf("turn foreign keys back on: %w", onErr))
		}
	}()
	for _, m := range ms {
		if m.version > last {
			break
		}
		if err := s.applyMigration(ctx, conn, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.file, err)
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	// Checked inside the (immediate) transaction so two processes opening a
	// new database at once cannot both apply the same migration.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrationFS.ReadFile(m.file)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, s.now()); err != nil {
		return err
	}
	return tx.Commit()
}

// foreignKeyCheck fails if any row in the database breaks a foreign key,
// naming the first few.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("check foreign keys: %w", err)
	}
	defer rows.Close()
	var broken []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return fmt.Errorf("check foreign keys: %w", err)
		}
		if len(broken) < 5 {
			row := "a row" // WITHOUT ROWID tables report none
			if rowid.Valid {
				row = fmt.Sprintf("row %d", rowid.Int64)
			}
			broken = append(broken, fmt.Sprintf("%s %s has no %s", table, row, parent))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check foreign keys: %w", err)
	}
	if len(broken) > 0 {
		return fmt.Errorf("foreign keys broken: %s", strings.Join(broken, "; "))
	}
	return nil
}

// dataTables are the tables Counts reports, in schema order.
var dataTables = []string{
	"documents", "advisories", "advisory_cves", "patches",
	"fixes", "fix_cves", "fix_patches", "fix_remedies", "runs", "run_sources", "run_errors",
}

// Counts returns the row count of every data table, keyed by table name.
// The demo prints it as a summary, and tests compare it before and after a
// repeated save to prove the save is idempotent.
func (s *Store) Counts(ctx context.Context) (map[string]int, error) {
	if err := s.Flush(); err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(dataTables))
	for _, t := range dataTables {
		var n int
		// t comes from the fixed list above, never from input.
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		counts[t] = n
	}
	return counts, nil
}
