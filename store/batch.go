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
//
// Each page still goes in or stays out whole. The batch remembers the pages
// it holds; when a page fails, the whole transaction is rolled back (taking
// the failing page's partial writes with it) and the earlier pages are
// written again in a fresh transaction and committed. A savepoint per page
// would give the same result, but SQLite then copies every database page a
// savepoint touches to its sub-journal first, about a tenth of a harvest's
// CPU; failures are rare, so the batch pays only when one happens.
// A crash loses at most the pages of the open batch, which the next harvest
// fetches again because they were never recorded as fetched.

// maxBatchAge bounds how long pages wait uncommitted, so a slow live
// harvest still commits at least this often.
const maxBatchAge = 2 * time.Second

// batch is the open transaction pages are being added to.
type batch struct {
	tx      *sql.Tx
	pages   []pageWrite     // the writes applied in tx, in order
	urls    map[string]bool // their URLs
	changes *changes        // the records they wrote
	bound   boundStmts      // the store's statements bound to tx
	started time.Time
}

// pageWrite is one page's writes, kept by the batch so they can be applied again.
type pageWrite struct {
	url   string
	apply func(*pageTx) error
}

// writePage runs fn as one page's writes: in its own transaction, or in
// the open batch when CommitEvery > 1.
func (s *Store) writePage(ctx context.Context, url string, fn func(*pageTx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.CommitEvery <= 1 {
		return s.writeAlone(ctx, []pageWrite{{url, fn}})
	}
	if s.batch == nil {
		// The batch outlives this call's context; Flush ends it.
		tx, err := s.db.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			return err
		}
		s.batch = &batch{tx: tx, urls: map[string]bool{}, changes: newChanges(), bound: boundStmts{}, started: time.Now()}
	}
	if err := fn(&pageTx{s: s, ctx: ctx, tx: s.batch.tx, bound: s.batch.bound, url: url, changes: s.batch.changes}); err != nil {
		return s.rewriteBatch(err)
	}
	s.batch.pages = append(s.batch.pages, pageWrite{url, fn})
	s.batch.urls[url] = true
	if len(s.batch.pages) >= s.CommitEvery || time.Since(s.batch.started) > maxBatchAge {
		return s.commitBatch()
	}
	return nil
}

// writeAlone applies writes in one transaction of their own and commits it.
func (s *Store) writeAlone(ctx context.Context, writes []pageWrite) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	p := &pageTx{s: s, ctx: ctx, tx: tx, bound: boundStmts{}, changes: newChanges()}
	for _, w := range writes {
		p.url = w.url
		if err := w.apply(p); err != nil {
			return err
		}
	}
	if err := p.updateDerived(); err != nil {
		return fmt.Errorf("update derived data: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.checkpoints.request()
	return nil
}

// rewriteBatch handles a page that failed inside the open batch: it rolls
// the batch back and commits its earlier pages again on their own, so only
// the failing page is lost. It returns the page's error, extended if the
// earlier pages could not be written again.
func (s *Store) rewriteBatch(pageErr error) error {
	b := s.batch
	s.batch = nil
	b.tx.Rollback()
	if len(b.pages) == 0 {
		return pageErr
	}
	// The earlier pages were already reported stored; a cancelled caller must not lose them.
	if err := s.writeAlone(context.Background(), b.pages); err != nil {
		return fmt.Errorf("%w (and writing the batch's %d earlier pages again failed, so they were lost: %v)", pageErr, len(b.pages), err)
	}
	return pageErr
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
		return nil
	}
	b := s.batch
	s.batch = nil
	p := &pageTx{s: s, ctx: context.Background(), tx: b.tx, bound: b.bound, changes: b.changes}
	if err := p.updateDerived(); err != nil {
		b.tx.Rollback()
		return fmt.Errorf("update derived data for %d pages (rolled back): %w", len(b.pages), err)
	}
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("commit %d pages: %w", len(b.pages), err)
	}
	s.checkpoints.request()
	return nil
}

// queryRow reads through the open batch when there is one: the store has a
// single connection, and the batch holds it. Statements prepared at Open
// are reused.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	stmt, prepared := s.stmts[query]
	switch {
	case s.batch != nil && prepared:
		return s.batch.bound.get(ctx, s.batch.tx, query, stmt).QueryRowContext(ctx, args...)
	case s.batch != nil:
		return s.batch.tx.QueryRowContext(ctx, query, args...)
	case prepared:
		return stmt.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, query, args...)
}

// boundStmts are the store's prepared statements bound to one transaction,
// each bound on first use. database/sql keeps every statement bound to a
// transaction (Tx.StmtContext) until the transaction ends, so binding one
// per call held tens of thousands of them in a batch: 25 MB for the batch
// holding a 20,000-advisory feed page.
type boundStmts map[string]*sql.Stmt

// get returns prepared, the statement prepared at Open for query, bound
// to tx.
func (b boundStmts) get(ctx context.Context, tx *sql.Tx, query string, prepared *sql.Stmt) *sql.Stmt {
	st, ok := b[query]
	if !ok {
		st = tx.StmtContext(ctx, prepared)
		b[query] = st
	}
	return st
}
