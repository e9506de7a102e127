package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The ledger's read side, for `patchwatch runs`: queries over runs,
// run_sources and run_errors on a read-only handle (OpenReadOnly), so the
// CLI holds no SQL.

// RunSummary is one harvest run as `runs` lists it.
type RunSummary struct {
	ID                    int64
	StartedAt, FinishedAt string // FinishedAt is "" while running or after a crash
	Status, Sources       string
	Pages, Failed, Errors int
}

// ListRuns returns the newest limit runs, newest first, each with how many
// page errors it recorded.
func ListRuns(ctx context.Context, db *sql.DB, limit int) ([]RunSummary, error) {
	rows, err := db.QueryContext(ctx, `
SELECT id, started_at, coalesce(finished_at, ''), status, sources, pages, failed,
	(SELECT count(*) FROM run_errors WHERE run_id = runs.id)
FROM runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []RunSummary
	for rows.Next() {
		var r RunSummary
		if err := rows.Scan(&r.ID, &r.StartedAt, &r.FinishedAt, &r.Status, &r.Sources, &r.Pages, &r.Failed, &r.Errors); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// RunSourceLine is one source's line of a run as stored (times as the
// RFC 3339 text in the ledger).
type RunSourceLine struct {
	Source, StartedAt, FinishedAt, Status                   string
	Requests, HTTP2xx, HTTP304, HTTP4xx, HTTP5xx, NetErrors int
	New, Changed, Unchanged, Failed                         int
}

// ReadRunSources returns one run's per-source lines, by source name.
func ReadRunSources(ctx context.Context, db *sql.DB, runID int64) ([]RunSourceLine, error) {
	rows, err := db.QueryContext(ctx, `
SELECT source, started_at, finished_at, status, requests, http_2xx, http_304, http_4xx, http_5xx,
	net_errors, new, changed, unchanged, failed
FROM run_sources WHERE run_id = ? ORDER BY source`, runID)
	if err != nil {
		return nil, fmt.Errorf("run %d sources: %w", runID, err)
	}
	defer rows.Close()
	var out []RunSourceLine
	for rows.Next() {
		var r RunSourceLine
		if err := rows.Scan(&r.Source, &r.StartedAt, &r.FinishedAt, &r.Status, &r.Requests, &r.HTTP2xx, &r.HTTP304, &r.HTTP4xx,
			&r.HTTP5xx, &r.NetErrors, &r.New, &r.Changed, &r.Unchanged, &r.Failed); err != nil {
			return nil, fmt.Errorf("run %d sources: %w", runID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run %d sources: %w", runID, err)
	}
	return out, nil
}

// RunError is one page that failed in a run.
type RunError struct{ Source, URL, Message string }

// ReadRunErrors returns one run's page errors in the order they happened.
func ReadRunErrors(ctx context.Context, db *sql.DB, runID int64) ([]RunError, error) {
	rows, err := db.QueryContext(ctx, `SELECT source, url, message FROM run_errors WHERE run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, fmt.Errorf("run %d errors: %w", runID, err)
	}
	defer rows.Close()
	var out []RunError
	for rows.Next() {
		var r RunError
		if err := rows.Scan(&r.Source, &r.URL, &r.Message); err != nil {
			return nil, fmt.Errorf("run %d errors: %w", runID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("run %d errors: %w", runID, err)
	}
	return out, nil
}
