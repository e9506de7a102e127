package store

import (
	"context"
	"fmt"
)

const sqlWithdrawDocuments = `
UPDATE advisories SET status = 'withdrawn'
WHERE status <> 'withdrawn' AND document_url IN (SELECT value FROM json_each(?))`

// WithdrawDocuments marks withdrawn every advisory stored from one of the
// document URLs, as when a vendor's deletion list names them, and returns
// how many changed. The advisories and everything linked to them stay: a
// withdrawn advisory is still history, and nothing stored is deleted.
// Only the status is written, which the search index does not hold. The
// write joins the open batch like a page's, so it neither waits for the
// batch nor commits it early.
func (s *Store) WithdrawDocuments(ctx context.Context, urls []string) (int, error) {
	if len(urls) == 0 {
		return 0, nil
	}
	list, err := jsonList(urls)
	if err != nil {
		return 0, fmt.Errorf("withdraw documents: %w", err)
	}
	var n int64
	err = s.writePage(ctx, "", func(p *pageTx) error {
		res, err := p.exec(sqlWithdrawDocuments, list)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("withdraw advisories of %d documents: %w", len(urls), err)
	}
	return int(n), nil
}
