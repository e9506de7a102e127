package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// The Internet Archive side of the store: which captures are held, and how
// far each CDX listing has been read. Captures themselves are documents
// (SavePage and SaveDocument with Document.CapturedAt set).

// HaveCapture reports whether the capture of url with the archive's digest
// is stored already, parsed or not, so a history run need not fetch it,
// and the links stored with it, so the run still follows them.
func (s *Store) HaveCapture(ctx context.Context, url, digest string) (bool, []string, error) {
	if err := s.Flush(); err != nil {
		return false, nil, fmt.Errorf("capture %s: %w", url, err)
	}
	var links string
	err := s.db.QueryRowContext(ctx, `
SELECT coalesce((SELECT d.links FROM documents d WHERE d.url = c.url AND d.sha256 = c.sha256), '[]')
FROM archive_captures c WHERE c.url = ? AND c.digest = ?`, url, digest).Scan(&links)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil, nil
	case err != nil:
		return false, nil, fmt.Errorf("capture %s: %w", url, err)
	}
	var out []string
	if err := json.Unmarshal([]byte(links), &out); err != nil {
		return false, nil, fmt.Errorf("capture %s: links: %w", url, err)
	}
	return true, out, nil
}

// Listing is how far one CDX listing (named by its query) has been read.
type Listing struct {
	// ResumeKey asks for the first page not yet read; "" with Complete
	// false means the listing was never started.
	ResumeKey string
	// Captures counts the captures the listing has yielded so far.
	Captures int
	Complete bool
}

// ListingProgress returns how far the listing query has been read.
func (s *Store) ListingProgress(ctx context.Context, query string) (Listing, error) {
	var l Listing
	err := s.db.QueryRowContext(ctx, `SELECT resume_key, captures, complete FROM archive_listings WHERE query = ?`, query).
		Scan(&l.ResumeKey, &l.Captures, &l.Complete)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Listing{}, fmt.Errorf("listing %s: %w", query, err)
	}
	return l, nil
}

// SaveListingProgress records that the listing query has been read up to
// l. The pages stored so far are committed first, so the ledger never says
// a listing page was read while its captures could still be lost.
func (s *Store) SaveListingProgress(ctx context.Context, query string, l Listing) error {
	if err := s.Flush(); err != nil {
		return fmt.Errorf("listing %s: %w", query, err)
	}
	_, err := s.db.ExecContext(ctx, `
INSERT INTO archive_listings (query, resume_key, captures, complete, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (query) DO UPDATE SET resume_key = excluded.resume_key, captures = excluded.captures,
	complete = excluded.complete, updated_at = excluded.updated_at`,
		query, l.ResumeKey, l.Captures, l.Complete, s.now())
	if err != nil {
		return fmt.Errorf("listing %s: %w", query, err)
	}
	return nil
}
