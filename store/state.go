package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// The reads a harvest or a re-parse makes for every page, prepared once
// when the store opens.
const (
	sqlPageState = `
SELECT sha256, etag, last_modified, last_fetched_at, links, parse_error,
	EXISTS (SELECT 1 FROM archive_captures c
		WHERE c.url = documents.url AND c.sha256 = documents.sha256 AND c.captured_at = documents.last_fetched_at)
FROM documents WHERE url = ? ORDER BY last_fetched_at DESC, id DESC LIMIT 1`
	// The latest fetch whose records were written: a fetch stored unparsed
	// (a new body that failed to parse) wrote none and is passed over.
	sqlRecordsFrom = `
SELECT records FROM documents WHERE url = ?1 AND (records_digest <> '' OR parse_error = '')
ORDER BY last_fetched_at DESC, id DESC LIMIT 1`
	sqlDocument = `
SELECT url, source, last_fetched_at, status, content_type, body, body_encoding, etag, last_modified, links, parse_error, records_digest,
	coalesce(captured_at, ''), archive_url
FROM documents WHERE id = ?`
)

// readStatements lists them for Open to prepare.
var readStatements = []string{sqlPageState, sqlRecordsFrom, sqlDocument}

// PageState is what the store remembers of a URL from its latest fetch:
// enough for the next harvest to ask "has it changed?" cheaply and to tell
// a layout change from a page that never had records.
type PageState struct {
	Known        bool
	SHA256       string
	ETag         string
	LastModified string
	LastFetched  time.Time
	Links        []string
	ParseError   string
	// Captured says LastFetched is a capture's time (harvest --history):
	// a live fetch of the same body is stored all the same, to date it.
	Captured bool
}

// PageState returns the state of url's latest stored fetch; Known is false
// for a URL never stored.
func (s *Store) PageState(ctx context.Context, url string) (PageState, error) {
	s.mu.Lock()
	if s.batch != nil && s.batch.urls[url] {
		defer s.mu.Unlock()
		return pageState(s.queryRow(ctx, sqlPageState, url), url)
	}
	s.mu.Unlock()
	// Not written since the last commit: what is committed is current, and
	// the reader connection reads it without waiting for the writer.
	return pageState(s.reader.QueryRowContext(ctx, url), url)
}

func pageState(row *sql.Row, url string) (PageState, error) {
	var st PageState
	var fetched, links string
	err := row.Scan(&st.SHA256, &st.ETag, &st.LastModified, &fetched, &links, &st.ParseError, &st.Captured)
	if errors.Is(err, sql.ErrNoRows) {
		return PageState{}, nil
	}
	if err != nil {
		return PageState{}, fmt.Errorf("page state of %s: %w", url, err)
	}
	st.Known = true
	if st.LastFetched, err = time.Parse(timeLayout, fetched); err != nil {
		return PageState{}, fmt.Errorf("page state of %s: fetch time %q: %w", url, fetched, err)
	}
	if err := json.Unmarshal([]byte(links), &st.Links); err != nil {
		return PageState{}, fmt.Errorf("page state of %s: links: %w", url, err)
	}
	return st, nil
}

// RecordsFrom is how many advisories, patches and fixes url yielded when
// its records were last written (0 if they never were). A page that had
// records and now yields none has changed layout; the harvest asks only
// when a page fails or comes back empty.
func (s *Store) RecordsFrom(ctx context.Context, url string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int
	err := s.queryRow(ctx, sqlRecordsFrom, url).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("records from %s: %w", url, err)
	}
	return n, nil
}

// LatestDocumentIDs lists, oldest first, the ID of the latest stored fetch
// of every URL of source ("" for every source). Re-parsing walks this list
// and loads one document at a time, so memory stays flat however large the
// archive.
func (s *Store) LatestDocumentIDs(ctx context.Context, source string) ([]int64, error) {
	if err := s.Flush(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT id FROM (
	SELECT id, row_number() OVER (PARTITION BY url ORDER BY last_fetched_at DESC, id DESC) AS rn
	FROM documents WHERE (?1 = '' OR source = ?1)
) WHERE rn = 1 ORDER BY id`, source)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list documents: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Document loads one stored fetch by ID with its body decompressed.
func (s *Store) Document(ctx context.Context, id int64) (Document, error) {
	d := Document{ID: id}
	var fetched, encoding, links, captured string
	var body []byte
	s.mu.Lock()
	err := s.queryRow(ctx, sqlDocument, id).Scan(&d.URL, &d.Source, &fetched, &d.Status, &d.ContentType, &body, &encoding,
		&d.ETag, &d.LastModified, &links, &d.ParseError, &d.RecordsDigest, &captured, &d.ArchiveURL)
	s.mu.Unlock()
	// The rest works on copies, outside the lock, so one page's
	// decompression overlaps another's write.
	if err != nil {
		return Document{}, fmt.Errorf("load document %d: %w", id, err)
	}
	if d.FetchedAt, err = time.Parse(timeLayout, fetched); err != nil {
		return Document{}, fmt.Errorf("load document %d: fetch time: %w", id, err)
	}
	if err := json.Unmarshal([]byte(links), &d.Links); err != nil {
		return Document{}, fmt.Errorf("load document %d: links: %w", id, err)
	}
	if captured != "" {
		if d.CapturedAt, err = time.Parse(timeLayout, captured); err != nil {
			return Document{}, fmt.Errorf("load document %d: capture time: %w", id, err)
		}
	}
	switch encoding {
	case "identity":
		d.Body = body
	case "gzip":
		if d.Body, err = decompress(body); err != nil {
			return Document{}, fmt.Errorf("load document %d (%s): %w", id, d.URL, err)
		}
	default:
		return Document{}, fmt.Errorf("load document %d: unknown body encoding %q", id, encoding)
	}
	return d, nil
}

// gzipWriters are reused: a gzip writer's state is most of a megabyte, and
// allocating one per page was a tenth of a harvest's time. The writer is
// klauspost/compress's: the same gzip format at the same ratio, in less
// than half the CPU of compress/gzip (measured on corpus pages).
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(b)/3 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decompress(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}
