package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Grouping pages into one transaction. A commit is the most expensive part
// of storing a small page (a write of the WAL each time), so a harvest may
// ask the store to commit every CommitEvery pages instead of every page.
// Each page still goes in or stays out whole: it is written inside its own
// SAVEPOINT, rolled back alone if any of its statements fails. A crash loses
// at most the pages of the open batch, which the next harvest fetches again
// because they were never recorded as fetched.

// maxBatchAge bounds how long pages wait uncommitted, so a slow live
// harvest still commits at least this often.
const maxBatchAge = 2 * time.Second

// batch is the open transaction pages are being added to.
type batch struct {
	tx      *sql.Tx
	pages   int
	started time.Time
}

// writePage runs fn as one page's writes: in its own transaction, or in
// the open batch inside a savepoint when CommitEvery > 1.
func (s *Store) writePage(ctx context.Context, url string, fn func(*pageTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.CommitEvery <= 1 {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		p := &pageTx{s: s, ctx: ctx, tx: tx, url: url}
		if err := fn(p); err != nil {
			return err
		}
		if err := p.updateDerived(); err != nil {
			return fmt.Errorf("update derived data: %w", err)
		}
		return tx.Commit()
	}
	if s.batch == nil {
		// The batch outlives this call's context; Flush ends it.
		tx, err := s.db.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			return err
		}
		s.batch = &batch{tx: tx, started: time.Now()}
	}
	tx := s.batch.tx
	if _, err := tx.ExecContext(ctx, `SAVEPOINT page`); err != nil {
		return s.abortBatch(err)
	}
	if err := fn(&pageTx{s: s, ctx: ctx, tx: tx, url: url}); err != nil {
		if _, rerr := tx.ExecContext(context.WithoutCancel(ctx), `ROLLBACK TO page`); rerr != nil {
			return s.abortBatch(fmt.Errorf("%w (and rolling the page back failed: %v)", err, rerr))
		}
		if _, rerr := tx.ExecContext(context.WithoutCancel(ctx), `RELEASE page`); rerr != nil {
			return s.abortBatch(rerr)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE page`); err != nil {
		return s.abortBatch(err)
	}
	s.batch.pages++
	if s.batch.pages >= s.CommitEvery || time.Since(s.batch.started) > maxBatchAge {
		return s.commitBatch()
	}
	return nil
}

// Flush commits the open batch, if any, and brings derived data (fix
// release dates, the search index) up to date. Callers that batch must flush before they report what was stored;
// Close flushes too.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitBatch()
}

func (s *Store) commitBatch() error {
	if s.batch == nil {
		return s.indexPending()
	}
	b := s.batch
	s.batch = nil
	p := &pageTx{s: s, ctx: context.Background(), tx: b.tx}
	if err := p.updateDerived(); err != nil {
		b.tx.Rollback()
		return fmt.Errorf("update derived data for %d pages: %w", b.pages, err)
	}
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("commit %d pages: %w", b.pages, err)
	}
	return nil
}

// indexPending updates derived data for records changed outside the
// store's page writes (an operator's SQL, say), so any store activity
// brings it up to date.
func (s *Store) indexPending() error {
	ctx := context.Background()
	var pending bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM search_dirty) OR EXISTS (SELECT 1 FROM fix_dates_dirty)`).Scan(&pending); err != nil || !pending {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := (&pageTx{s: s, ctx: ctx, tx: tx}).updateDerived(); err != nil {
		return fmt.Errorf("update derived data: %w", err)
	}
	return tx.Commit()
}

// abortBatch rolls the whole open batch back after a failure that leaves
// its transaction unusable; the error says how many pages were lost.
func (s *Store) abortBatch(err error) error {
	b := s.batch
	s.batch = nil
	b.tx.Rollback()
	return fmt.Errorf("%w (the %d uncommitted pages of this batch were rolled back)", err, b.pages)
}

// queryRow reads through the open batch when there is one: the store has a
// single connection, and the batch holds it.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.batch != nil {
		return s.batch.tx.QueryRowContext(ctx, query, args...)
	}
	return s.db.QueryRowContext(ctx, query, args...)
}
