package store

import (
	"context"
	"fmt"
	"strings"
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
