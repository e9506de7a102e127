package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// RunStats is what a harvest run reports when it ends.
type RunStats struct {
	Pages  int // pages fetched and stored
	Failed int // pages that could not be fetched, parsed or stored
}

// StartRun records the start of a harvest over sources and returns the run's
// ID. Keeping a ledger makes an interrupted or partial harvest visible
// instead of leaving silent gaps in the data.
func (s *Store) StartRun(ctx context.Context, sources []string) (int64, error) {
	if err := s.Flush(); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO runs (started_at, status, sources) VALUES (?, 'running', ?)`,
		s.now(), strings.Join(sources, ","))
	if err != nil {
		return 0, fmt.Errorf("start run: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("start run: %w", err)
	}
	return id, nil
}

// RecordError notes one page that failed during run runID, so the failure
// is kept with the run rather than only scrolling past on a terminal.
func (s *Store) RecordError(ctx context.Context, runID int64, source, url, msg string) error {
	if err := s.Flush(); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO run_errors (run_id, source, url, message, at) VALUES (?, ?, ?, ?, ?)`,
		runID, source, url, msg, s.now())
	if err != nil {
		return fmt.Errorf("record error of run %d for %s: %w", runID, url, err)
	}
	return nil
}

// FinishRun closes run runID with status "ok", "partial" or "failed" and its
// page counts.
func (s *Store) FinishRun(ctx context.Context, runID int64, status string, stats RunStats) error {
	if err := s.Flush(); err != nil {
		return err
	}
	switch status {
	case "ok", "partial", "failed":
	default:
		return fmt.Errorf("finish run %d: unknown status %q, want ok, partial or failed", runID, status)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE runs SET finished_at = ?, status = ?, pages = ?, failed = ? WHERE id = ?`,
		s.now(), status, stats.Pages, stats.Failed, runID)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", runID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("finish run %d: %w", runID, err)
	}
	if n == 0 {
		return fmt.Errorf("finish run %d: no such run", runID)
	}
	return nil
}

// SourceRun is one source's line in a run: what it fetched and what it
// found. Requests counts what went on the wire, by outcome; New, Changed,
// Unchanged and Failed count pages.
type SourceRun struct {
	Source     string
	StartedAt  time.Time
	FinishedAt time.Time
	Status     string // ok, partial or failed
	Requests   int
	HTTP2xx    int
	HTTP304    int
	HTTP4xx    int
	HTTP5xx    int
	NetErrors  int
	New        int
	Changed    int
	Unchanged  int
	Failed     int
}

// FinishSource records one source's line of run runID.
func (s *Store) FinishSource(ctx context.Context, runID int64, r SourceRun) error {
	if err := s.Flush(); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `
INSERT INTO run_sources (run_id, source, started_at, finished_at, status, requests, http_2xx, http_304, http_4xx, http_5xx,
	net_errors, new, changed, unchanged, failed)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		runID, r.Source, formatTime(r.StartedAt), formatTime(r.FinishedAt), r.Status, r.Requests, r.HTTP2xx, r.HTTP304,
		r.HTTP4xx, r.HTTP5xx, r.NetErrors, r.New, r.Changed, r.Unchanged, r.Failed)
	if err != nil {
		return fmt.Errorf("record source %s of run %d: %w", r.Source, runID, err)
	}
	return nil
}

// AbortStaleRuns closes runs still marked running — their process was
// killed — as failed, with an error saying so. Only the holder of the
// harvest lock may call it, or it would close a live run.
func (s *Store) AbortStaleRuns(ctx context.Context) (int, error) {
	if err := s.Flush(); err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("close interrupted runs: %w", err)
	}
	defer tx.Rollback()
	now := s.now()
	if _, err := tx.ExecContext(ctx, `
INSERT INTO run_errors (run_id, source, url, message, at)
SELECT id, '', '', 'interrupted: the harvest process ended before finishing this run', ? FROM runs WHERE status = 'running'`, now); err != nil {
		return 0, fmt.Errorf("close interrupted runs: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'failed', finished_at = ? WHERE status = 'running'`, now)
	if err != nil {
		return 0, fmt.Errorf("close interrupted runs: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), tx.Commit()
}

// SourceHealth is a source's latest attempt and latest success.
type SourceHealth struct {
	Source      string
	LastRun     time.Time // zero if never harvested
	LastStatus  string
	LastSuccess time.Time // zero if never succeeded
}

// ReadSourceHealth reports, for each source that was ever harvested, when
// it last ran and when it last fully succeeded. It only reads, so it works
// on a database opened with OpenReadOnly.
func ReadSourceHealth(ctx context.Context, db *sql.DB) ([]SourceHealth, error) {
	rows, err := db.QueryContext(ctx, `
SELECT source,
	max(finished_at),
	(SELECT status FROM run_sources l WHERE l.source = r.source ORDER BY finished_at DESC, run_id DESC LIMIT 1),
	coalesce(max(CASE WHEN status = 'ok' THEN finished_at END), '')
FROM run_sources r GROUP BY source ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("source health: %w", err)
	}
	defer rows.Close()
	var out []SourceHealth
	for rows.Next() {
		var h SourceHealth
		var last, success string
		if err := rows.Scan(&h.Source, &last, &h.LastStatus, &success); err != nil {
			return nil, fmt.Errorf("source health: %w", err)
		}
		if h.LastRun, err = time.Parse(timeLayout, last); err != nil {
			return nil, fmt.Errorf("source health of %s: %w", h.Source, err)
		}
		if success != "" {
			if h.LastSuccess, err = time.Parse(timeLayout, success); err != nil {
				return nil, fmt.Errorf("source health of %s: %w", h.Source, err)
			}
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
