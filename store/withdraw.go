package store

import (
	"context"
	"fmt"
)

// WithdrawDocuments marks withdrawn every advisory stored from one of the
// document URLs, as when a vendor's deletion list names them, and returns
// how many changed. The advisories and everything linked to them stay: a
// withdrawn advisory is still history, and nothing stored is deleted.
// Only the status is written, which the search index does not hold.
func (s *Store) WithdrawDocuments(ctx context.Context, urls []string) (int, error) {
	if len(urls) == 0 {
		return 0, nil
	}
	if err := s.Flush(); err != nil {
		return 0, err
	}
	list, err := jsonList(urls)
	if err != nil {
		return 0, fmt.Errorf("withdraw documents: %w", err)
	}
	res, err := s.db.ExecContext(ctx, `
UPDATE advisories SET status = 'withdrawn'
WHERE status <> 'withdrawn' AND document_url IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return 0, fmt.Errorf("withdraw advisories of %d documents: %w", len(urls), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("withdraw advisories of %d documents: %w", len(urls), err)
	}
	return int(n), nil
}
