package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Checkpoints in the background. In WAL mode a commit only appends to the
// -wal file; a checkpoint later copies those pages into the database file
// and syncs it. SQLite normally checkpoints inside the commit that fills
// the WAL past a threshold, so the writer — and every harvest worker
// waiting on it — sat through the copy and the fsync about once per batch.
// The checkpointer runs them on a connection of its own instead, right
// after each commit, while the writer goes on with the next batch (WAL
// lets a checkpoint and a writer run at once). The writer's own automatic
// checkpoint stays on as a backstop at 16384 pages (64 MiB of WAL, set in
// writerPragmas), well above one batch, so the WAL stays bounded even if
// background checkpoints fall behind.

// checkpointer runs PASSIVE checkpoints on its own connection whenever
// kicked.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	done chan error // the first failure, or nil, once the loop has ended
}

func startCheckpointer(path string) (*checkpointer, error) {
	name, err := dsn(path, "_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open checkpoint connection: %w", err)
	}
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), done: make(chan error, 1)}
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	var first error
	for range c.kick {
		_, err := c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		if err != nil && first == nil && !isBusy(err) {
			first = fmt.Errorf("checkpoint: %w", err)
		}
	}
	c.done <- first
}

// request asks for a checkpoint soon; requests made while one runs are
// merged into the next.
func (c *checkpointer) request() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// stop waits for the running checkpoint, closes the connection and
// reports the first checkpoint that failed for a reason other than being
// busy (a busy checkpoint is simply left to the next one).
func (c *checkpointer) stop() error {
	close(c.kick)
	err := <-c.done
	return errors.Join(err, c.db.Close())
}

func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
