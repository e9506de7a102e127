package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
)

// Document is one fetched page as it came off the wire, with the body
// already decoded to UTF-8 by the fetcher. It is stored verbatim so records
// can be re-derived by re-parsing without fetching again.
type Document struct {
	URL         string
	Source      string // scraper name, e.g. "xen"
	FetchedAt   time.Time
	Status      int // HTTP status
	ContentType string
	Body        []byte
	// ETag and LastModified are the server's validators, sent back on the
	// next request so an unchanged page costs a 304.
	ETag         string
	LastModified string
	// Links are the URLs the page led to, kept so an unchanged page need
	// not be parsed again to find them.
	Links []string
	// ParseError is why the page did not parse, empty when it did.
	ParseError string
	// CapturedAt is set for a page read from the Internet Archive: the
	// capture time, which is then also the page's fetch time. ArchiveURL
	// is the capture's address and ArchiveDigest the archive's digest of
	// its body, recorded so the capture is never fetched again. A capture
	// never overwrites records that a later fetch or capture stored (see
	// SavePage).
	CapturedAt    time.Time
	ArchiveURL    string
	ArchiveDigest string
	// ID and RecordsDigest are set by Store.Document: the stored fetch's
	// row and the RecordsDigest of the records last written from it ("" if
	// none were).
	ID            int64
	RecordsDigest string
}

// RecordsDigest identifies a page's parse output, its links and records, so
// a re-parse can tell whether a page's records changed without writing them.
func RecordsDigest(links []string, res normalize.Result) (string, error) {
	b, err := json.Marshal(struct {
		Links  []string         `json:"links"`
		Result normalize.Result `json:"result"`
	}{links, res})
	if err != nil {
		return "", fmt.Errorf("digest records: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// SaveDocument stores only the raw page. The harvester uses it when parsing
// failed: the body is kept for re-parsing once the parser is fixed, and the
// records already stored are left as they were.
func (s *Store) SaveDocument(ctx context.Context, doc Document) error {
	if doc.URL == "" {
		return errors.New("save document: empty URL")
	}
	row, err := s.documentRow(doc)
	if err != nil {
		return fmt.Errorf("save document %s: %w", doc.URL, err)
	}
	if err := s.writePage(ctx, doc.URL, func(p *pageTx) error { return p.putDocument(row) }); err != nil {
		return fmt.Errorf("save document %s: %w", doc.URL, err)
	}
	return nil
}

// SavePage stores one page and every record parsed from it atomically (in
// its own transaction, or whole or not at all in a batch), so a crash never leaves
// a page's records half written.
//
// Advisories and patches are keyed by vendor and ID (IDs are the vendor's
// own) and merged: a non-empty incoming field overwrites the stored one and
// an empty one keeps it, because several pages describe the same advisory
// (the Xen index supplies dates, the advisory text its sections). CVE lists
// are unioned. Fixes belong to the page they were
// parsed from: after the upsert, fixes stored from this URL that the page no
// longer yields are deleted, so re-parsing a page replaces its fixes.
//
// A page read from the Internet Archive (doc.CapturedAt set) is as old as
// its capture: an advisory or patch whose stored copy came from a later
// fetch or capture keeps every value it has, the capture only filling the
// empty ones (a KB article's release date for a patch a later mail named);
// a fix whose stored copy is later is left whole; and the capture's fixes
// drop nothing a later copy of the same page stored. A live page is always the
// latest, so it wins over any capture.
//
// res is validated first; an invalid result is an error and nothing is
// written, not even the document.
func (s *Store) SavePage(ctx context.Context, doc Document, res normalize.Result) error {
	if doc.URL == "" {
		return errors.New("save page: empty URL")
	}
	if err := res.Validate(); err != nil {
		return fmt.Errorf("save page %s: invalid records: %w", doc.URL, err)
	}
	row, err := s.documentRow(doc)
	if err == nil {
		row.digest, err = RecordsDigest(doc.Links, res)
		row.records = res.Count()
	}
	if err != nil {
		return fmt.Errorf("save page %s: %w", doc.URL, err)
	}
	err = s.writePage(ctx, doc.URL, func(p *pageTx) error {
		if err := p.putDocument(row); err != nil {
			return err
		}
		if !doc.CapturedAt.IsZero() {
			p.asOf = formatTime(doc.CapturedAt)
		}
		return p.putRecords(res)
	})
	if err != nil {
		return fmt.Errorf("save page %s: %w", doc.URL, err)
	}
	return nil
}

// SaveReparsed writes the records re-parsed from a stored fetch (doc as
// Store.Document loaded it, with the new links): like SavePage, but the
// stored body is left as it is rather than compressed and written again. A
// re-parsed capture follows SavePage's rules for captures, dated by the
// last time its body was seen: a body also fetched live is as new as that
// fetch.
func (s *Store) SaveReparsed(ctx context.Context, doc Document, res normalize.Result) error {
	if doc.ID == 0 {
		return fmt.Errorf("save re-parsed page %s: not a stored fetch", doc.URL)
	}
	if err := res.Validate(); err != nil {
		return fmt.Errorf("save re-parsed page %s: invalid records: %w", doc.URL, err)
	}
	links, err := jsonList(doc.Links)
	if err != nil {
		return fmt.Errorf("save re-parsed page %s: encode links: %w", doc.URL, err)
	}
	digest, err := RecordsDigest(doc.Links, res)
	if err != nil {
		return fmt.Errorf("save re-parsed page %s: %w", doc.URL, err)
	}
	err = s.writePage(ctx, doc.URL, func(p *pageTx) error {
		r, err := p.exec(sqlReparsedDocument, doc.ID, links, digest, res.Count())
		if err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("update document %d: %d rows (%v)", doc.ID, n, err)
		}
		if !doc.CapturedAt.IsZero() {
			// The stored body was last seen at FetchedAt (its
			// last_fetched_at): a later capture of it, or a live fetch
			// that found the same body. That, not the first capture, is
			// how old its records are.
			p.asOf = formatTime(doc.FetchedAt)
		}
		return p.putRecords(res)
	})
	if err != nil {
		return fmt.Errorf("save re-parsed page %s: %w", doc.URL, err)
	}
	return nil
}

// putRecords writes a page's advisories, patches and fixes.
func (p *pageTx) putRecords(res normalize.Result) error {
	for _, a := range res.Advisories {
		fill, err := p.olderThanStored("advisories", a.Vendor, a.ID)
		if err == nil {
			err = p.putAdvisory(a, fill)
		}
		if err != nil {
			return fmt.Errorf("advisory %s: %w", a.ID, err)
		}
	}
	for _, pt := range res.Patches {
		fill, err := p.olderThanStored("patches", pt.Vendor, pt.ID)
		if err == nil {
			err = p.putPatch(pt, fill)
		}
		if err != nil {
			return fmt.Errorf("patch %s: %w", pt.ID, err)
		}
	}
	fixes := res.Fixes[:0:0]
	for _, f := range res.Fixes {
		// A fix is written whole (its page owns it): an older copy has
		// nothing to add to a later one.
		older, err := p.olderThanStored("fixes", f.Vendor, f.ID)
		if err != nil {
			return fmt.Errorf("fix %s: %w", f.ID, err)
		}
		if !older {
			fixes = append(fixes, f)
		}
	}
	return p.putFixes(fixes)
}

// documentRow is a document as stored: the body gzipped, its sha256 (of
// the uncompressed body) and its links encoded. It is computed before the
// store's lock is taken, so compressing one page overlaps writing another.
type documentRow struct {
	Document
	fetched, sha256, links string
	packed                 []byte
	digest                 string // RecordsDigest of the records written with it, "" for none
	records                int    // how many records were written with it
}

func (s *Store) documentRow(doc Document) (documentRow, error) {
	at := doc.FetchedAt
	if !doc.CapturedAt.IsZero() {
		at = doc.CapturedAt
	}
	if at.IsZero() {
		at = s.Now()
	}
	sum := sha256.Sum256(doc.Body)
	packed, err := compress(doc.Body)
	if err != nil {
		return documentRow{}, fmt.Errorf("compress body: %w", err)
	}
	links, err := jsonList(doc.Links)
	if err != nil {
		return documentRow{}, fmt.Errorf("encode links: %w", err)
	}
	// A batch keeps its pages' rows until it commits: drop the raw body,
	// which only the compressed copy needs to outlive.
	doc.Body = nil
	return documentRow{Document: doc, fetched: formatTime(at), sha256: hex.EncodeToString(sum[:]), links: links, packed: packed}, nil
}

// putDocument inserts doc, or, when the same URL with the same body is
// already stored, widens its fetch-time range and refreshes what the latest
// fetch said (validators, links, parse error). A capture kept unparsed (cut
// off, a soft 404) whose bytes are those of a copy that parsed leaves that
// copy parsed, with its links: the same bytes parsed once, and the
// capture's reason is kept with the capture (archive_captures).
func (p *pageTx) putDocument(doc documentRow) error {
	var captured any
	if !doc.CapturedAt.IsZero() {
		captured = formatTime(doc.CapturedAt)
	}
	_, err := p.exec(sqlPutDocument,
		doc.URL, doc.Source, doc.fetched, doc.Status, doc.ContentType, doc.sha256, doc.packed,
		doc.ETag, doc.LastModified, doc.links, doc.ParseError, doc.digest, doc.records, captured, doc.ArchiveURL)
	if err != nil {
		return fmt.Errorf("store document: %w", err)
	}
	if doc.ArchiveDigest != "" {
		if _, err := p.exec(sqlPutCapture, doc.URL, doc.ArchiveDigest, captured, doc.ArchiveURL, doc.sha256, doc.ParseError); err != nil {
			return fmt.Errorf("store capture: %w", err)
		}
	}
	return nil
}

// The statements a page write runs, prepared once when the store opens.
const (
	sqlPutDocument = `
INSERT INTO documents (url, source, first_fetched_at, last_fetched_at, status, content_type, sha256, body,
	etag, last_modified, links, parse_error, records_digest, records, body_encoding, captured_at, archive_url)
VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'gzip', ?14, ?15)
ON CONFLICT (url, sha256) DO UPDATE SET
	first_fetched_at = min(documents.first_fetched_at, excluded.first_fetched_at),
	last_fetched_at  = max(documents.last_fetched_at, excluded.last_fetched_at),
	etag             = iif(excluded.etag <> '', excluded.etag, documents.etag),
	last_modified    = iif(excluded.last_modified <> '', excluded.last_modified, documents.last_modified),
	links            = iif(excluded.captured_at IS NOT NULL AND excluded.parse_error <> '' AND documents.parse_error = '',
		documents.links, excluded.links),
	parse_error      = iif(excluded.captured_at IS NOT NULL AND excluded.parse_error <> '' AND documents.parse_error = '',
		'', excluded.parse_error),
	records_digest   = iif(excluded.parse_error = '', excluded.records_digest, documents.records_digest),
	records          = iif(excluded.parse_error = '', excluded.records, documents.records),
	archive_url      = CASE WHEN documents.captured_at IS NULL OR excluded.captured_at < documents.captured_at
		THEN iif(excluded.archive_url <> '', excluded.archive_url, documents.archive_url) ELSE documents.archive_url END,
	captured_at      = CASE WHEN documents.captured_at IS NULL OR excluded.captured_at < documents.captured_at
		THEN coalesce(excluded.captured_at, documents.captured_at) ELSE documents.captured_at END`
	// The earliest time a capture of this body was taken is its provenance.
	sqlPutCapture = `
INSERT INTO archive_captures (url, digest, captured_at, archive_url, sha256, parse_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (url, digest) DO UPDATE SET parse_error = excluded.parse_error`
	// Whether a record's stored copy came from a parsed fetch or capture
	// of its page later than ?3 (the {table} is advisories or patches or
	// fixes).
	sqlNewerRecord = `
SELECT EXISTS (SELECT 1 FROM {table} r JOIN documents d ON d.url = r.document_url
	WHERE r.vendor = ?1 AND r.id = ?2 AND d.parse_error = '' AND d.last_fetched_at > ?3)`
	// Whether the page ?1 has a parsed copy later than ?2.
	sqlNewerPage        = `SELECT EXISTS (SELECT 1 FROM documents WHERE url = ?1 AND parse_error = '' AND last_fetched_at > ?2)`
	sqlReparsedDocument = `UPDATE documents SET links = ?2, parse_error = '', records_digest = ?3, records = ?4 WHERE id = ?1`
	sqlPutAdvisory      = `
INSERT INTO advisories (id, vendor, status, title, severity, published, updated, version, url, affected, sections, document_url)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (vendor, id) DO UPDATE SET
	status       = excluded.status,
	title        = iif(excluded.title <> '', excluded.title, advisories.title),
	severity     = iif(excluded.severity <> '', excluded.severity, advisories.severity),
	published    = coalesce(excluded.published, advisories.published),
	updated      = coalesce(excluded.updated, advisories.updated),
	version      = iif(excluded.version <> 0, excluded.version, advisories.version),
	url          = iif(excluded.url <> '', excluded.url, advisories.url),
	affected     = iif(excluded.affected <> '', excluded.affected, advisories.affected),
	sections     = iif(excluded.sections <> '[]', excluded.sections, advisories.sections),
	document_url = excluded.document_url`
	// sqlFillAdvisory is sqlPutAdvisory for an older capture: the stored
	// values win, and only empty ones are filled.
	sqlFillAdvisory = `
INSERT INTO advisories (id, vendor, status, title, severity, published, updated, version, url, affected, sections, document_url)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (vendor, id) DO UPDATE SET
	title     = iif(advisories.title <> '', advisories.title, excluded.title),
	severity  = iif(advisories.severity <> '', advisories.severity, excluded.severity),
	published = coalesce(advisories.published, excluded.published),
	updated   = coalesce(advisories.updated, excluded.updated),
	version   = iif(advisories.version <> 0, advisories.version, excluded.version),
	url       = iif(advisories.url <> '', advisories.url, excluded.url),
	affected  = iif(advisories.affected <> '', advisories.affected, excluded.affected),
	sections  = iif(advisories.sections <> '[]', advisories.sections, excluded.sections)`
	sqlAddAdvisoryCVE = `INSERT OR IGNORE INTO advisory_cves (vendor, advisory_id, cve) VALUES (?, ?, ?)`
	sqlPutPatch       = `
INSERT INTO patches (id, vendor, product, version, released, classification, reboot_required, url, advisory_id, document_url,
	severity, vm_restart_required, supersedes, packages, build, release_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (vendor, id) DO UPDATE SET
	product             = iif(excluded.product <> '', excluded.product, patches.product),
	version             = iif(excluded.version <> '', excluded.version, patches.version),
	released            = coalesce(excluded.released, patches.released),
	classification      = iif(excluded.classification <> '', excluded.classification, patches.classification),
	reboot_required     = coalesce(excluded.reboot_required, patches.reboot_required),
	url                 = iif(excluded.url <> '', excluded.url, patches.url),
	advisory_id         = coalesce(excluded.advisory_id, patches.advisory_id),
	document_url        = excluded.document_url,
	severity            = iif(excluded.severity <> '', excluded.severity, patches.severity),
	vm_restart_required = coalesce(excluded.vm_restart_required, patches.vm_restart_required),
	supersedes          = iif(excluded.supersedes <> '[]', excluded.supersedes, patches.supersedes),
	packages            = iif(excluded.packages <> '[]', excluded.packages, patches.packages),
	build               = iif(excluded.build <> '', excluded.build, patches.build),
	release_id          = iif(excluded.release_id <> '', excluded.release_id, patches.release_id)`
	// sqlFillPatch is sqlPutPatch for an older capture: the stored values
	// win, and only empty ones are filled.
	sqlFillPatch = `
INSERT INTO patches (id, vendor, product, version, released, classification, reboot_required, url, advisory_id, document_url,
	severity, vm_restart_required, supersedes, packages, build, release_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (vendor, id) DO UPDATE SET
	product             = iif(patches.product <> '', patches.product, excluded.product),
	version             = iif(patches.version <> '', patches.version, excluded.version),
	released            = coalesce(patches.released, excluded.released),
	classification      = iif(patches.classification <> '', patches.classification, excluded.classification),
	reboot_required     = coalesce(patches.reboot_required, excluded.reboot_required),
	url                 = iif(patches.url <> '', patches.url, excluded.url),
	advisory_id         = coalesce(patches.advisory_id, excluded.advisory_id),
	severity            = iif(patches.severity <> '', patches.severity, excluded.severity),
	vm_restart_required = coalesce(patches.vm_restart_required, excluded.vm_restart_required),
	supersedes          = iif(patches.supersedes <> '[]', patches.supersedes, excluded.supersedes),
	packages            = iif(patches.packages <> '[]', patches.packages, excluded.packages),
	build               = iif(patches.build <> '', patches.build, excluded.build),
	release_id          = iif(patches.release_id <> '', patches.release_id, excluded.release_id)`
	// ?2 is the page's fixes as keysJSON encodes them.
	sqlStoredFixes = `
SELECT f.vendor, f.id, 1 FROM json_each(?2) v CROSS JOIN json_each(v.value) i
CROSS JOIN fixes f ON f.vendor = v.key AND f.id = i.value
UNION ALL
SELECT vendor, id, 0 FROM fixes WHERE document_url = ?1 AND NOT EXISTS (
	SELECT 1 FROM json_each(?2) v CROSS JOIN json_each(v.value) i WHERE v.key = fixes.vendor AND i.value = fixes.id)`
	sqlDropStaleFixes = `
DELETE FROM fixes
WHERE document_url = ?1 AND NOT EXISTS (
	SELECT 1 FROM json_each(?2) v CROSS JOIN json_each(v.value) i WHERE v.key = fixes.vendor AND i.value = fixes.id)`
	sqlPutFix = `
INSERT INTO fixes (id, advisory_id, vendor, product, versions, component, category, security, severity, summary, rule, evidence, document_url, released)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, coalesce(
	(SELECT min(p.released) FROM json_each(?14) j CROSS JOIN patches p ON p.vendor = ?3 AND p.id = j.value),
	(SELECT published FROM advisories WHERE vendor = ?3 AND id = ?2)))
ON CONFLICT (vendor, id) DO UPDATE SET
	released     = excluded.released,
	advisory_id  = excluded.advisory_id,
	product      = excluded.product,
	versions     = excluded.versions,
	component    = excluded.component,
	category     = excluded.category,
	security     = excluded.security,
	severity     = excluded.severity,
	summary      = excluded.summary,
	rule         = excluded.rule,
	evidence     = excluded.evidence,
	document_url = excluded.document_url`
	// The fix's children: ?1 is its vendor, ?2 its ID.
	sqlDropFixCVEs      = `DELETE FROM fix_cves WHERE vendor = ?1 AND fix_id = ?2 AND NOT EXISTS (SELECT 1 FROM json_each(?3) WHERE value = fix_cves.cve)`
	sqlAddFixCVE        = `INSERT OR IGNORE INTO fix_cves (vendor, fix_id, cve) VALUES (?, ?, ?)`
	sqlDropFixPatches   = `DELETE FROM fix_patches WHERE vendor = ?1 AND fix_id = ?2 AND NOT EXISTS (SELECT 1 FROM json_each(?3) WHERE value = fix_patches.patch_id)`
	sqlAddFixPatch      = `INSERT OR IGNORE INTO fix_patches (vendor, fix_id, patch_id) VALUES (?, ?, ?)`
	sqlClearFixRemedies = `DELETE FROM fix_remedies WHERE vendor = ?1 AND fix_id = ?2`
	sqlAddFixRemedy     = `
INSERT INTO fix_remedies (vendor, fix_id, seq, product, version, platform, status, patch_id, fixed_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// pageStatements lists them for Open to prepare.
var pageStatements = []string{sqlFillAdvisory, sqlFillPatch, sqlPutCapture, sqlNewerPage, newerRecord("advisories"), newerRecord("patches"), newerRecord("fixes"), sqlPutDocument, sqlReparsedDocument, sqlPutAdvisory, sqlAddAdvisoryCVE, sqlPutPatch, sqlStoredFixes, sqlDropStaleFixes, sqlPutFix, sqlDropFixCVEs, sqlAddFixCVE, sqlDropFixPatches, sqlAddFixPatch, sqlClearFixRemedies, sqlAddFixRemedy}

// pageTx is one page's write transaction. Its statements go through the
// store's prepared-statement cache: the same dozen statements run for every
// page, and preparing each once instead of per call removes most of
// SQLite's parsing cost from a harvest.
type pageTx struct {
	s       *Store
	ctx     context.Context
	tx      *sql.Tx
	bound   boundStmts // statements bound to tx
	url     string
	changes *changes // the records the transaction wrote, for updateDerived
	// asOf is the capture time of a page read from the archive ("" for a
	// live page): records stored from later copies are left alone.
	asOf string
}

func (p *pageTx) exec(query string, args ...any) (sql.Result, error) {
	if stmt, ok := p.s.stmts[query]; ok {
		return p.bound.get(p.ctx, p.tx, query, stmt).ExecContext(p.ctx, args...)
	}
	return p.tx.ExecContext(p.ctx, query, args...)
}

// nullIfEmpty maps "the page does not say" to NULL, so the merge can keep
// the stored value with COALESCE and analysts can test IS NULL.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// jsonList encodes a list as JSON text, "[]" when empty so that "nothing
// incoming" has one spelling.
func jsonList[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// putAdvisory upserts an advisory; with fill (the page is an older capture
// than the stored copy's) it only fills the fields the stored copy lacks.
func (p *pageTx) putAdvisory(a normalize.Advisory, fill bool) error {
	sections, err := jsonList(a.Sections)
	if err != nil {
		return fmt.Errorf("encode sections: %w", err)
	}
	query := sqlPutAdvisory
	if fill {
		query = sqlFillAdvisory
	}
	_, err = p.exec(query,
		a.ID, a.Vendor, string(a.Status), a.Title, a.Severity,
		nullIfEmpty(a.Published), nullIfEmpty(a.Updated), a.Version,
		a.URL, a.Affected, sections, p.url)
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	key := recordKey{a.Vendor, a.ID}
	p.changes.advisories[key] = true
	return p.addEach(sqlAddAdvisoryCVE, key, a.CVEs, "add CVE")
}

// addEach runs an insert of (vendor, id, v) for each v: one row per
// statement costs less than one statement unpacking a JSON list, since most
// lists hold one or two items.
func (p *pageTx) addEach(query string, key recordKey, values []string, what string) error {
	for _, v := range values {
		if _, err := p.exec(query, key.vendor, key.id, v); err != nil {
			return fmt.Errorf("%s %s: %w", what, v, err)
		}
	}
	return nil
}

// putPatch upserts a patch; with fill (the page is an older capture than
// the stored copy's) it only fills the fields the stored copy lacks.
func (p *pageTx) putPatch(pt normalize.Patch, fill bool) error {
	supersedes, err := jsonList(pt.Supersedes)
	if err != nil {
		return fmt.Errorf("encode supersedes: %w", err)
	}
	packages, err := jsonList(pt.Packages)
	if err != nil {
		return fmt.Errorf("encode packages: %w", err)
	}
	query := sqlPutPatch
	if fill {
		query = sqlFillPatch
	}
	_, err = p.exec(query,
		pt.ID, pt.Vendor, pt.Product, pt.Version, nullIfEmpty(pt.Released), pt.Classification,
		optionalBool(pt.RebootRequired), pt.URL, nullIfEmpty(pt.AdvisoryID), p.url,
		pt.Severity, optionalBool(pt.VMRestartRequired), supersedes, packages, pt.Build, pt.Release)
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	p.changes.patches[recordKey{pt.Vendor, pt.ID}] = true
	return nil
}

// optionalBool maps an unknown (nil) flag to SQL NULL.
func optionalBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// putFixes replaces the fixes owned by p.url with fixes. One read first
// finds which of them are already stored and which stored fixes the page
// owns: a new page (the common case in a harvest) then costs only the
// inserts, and only fixes that existed have child rows to replace.
func (p *pageTx) putFixes(fixes []normalize.Fix) error {
	keys := make([]recordKey, 0, len(fixes))
	for _, f := range fixes {
		keys = append(keys, recordKey{f.Vendor, f.ID})
	}
	incoming, err := keysJSON(keys)
	if err != nil {
		return err
	}
	stored, stale, err := p.storedFixes(incoming)
	if err != nil {
		return err
	}
	for _, f := range fixes {
		if err := p.putFix(f, stored[recordKey{f.Vendor, f.ID}]); err != nil {
			return fmt.Errorf("fix %s: %w", f.ID, err)
		}
	}
	if stale && p.asOf != "" {
		// An older capture's fix list says nothing about a later copy's.
		later, err := p.newer(sqlNewerPage, p.url, p.asOf)
		if err != nil {
			return err
		}
		stale = !later
	}
	if stale {
		// fix_cves and fix_patches of the dropped fixes go with them (ON DELETE CASCADE).
		if _, err := p.exec(sqlDropStaleFixes, p.url, incoming); err != nil {
			return fmt.Errorf("drop fixes no longer on the page: %w", err)
		}
	}
	return nil
}

// storedFixes reports which of the incoming fixes (as keysJSON encodes
// them) are already stored, and whether p.url owns stored
// fixes the page no longer yields.
func (p *pageTx) storedFixes(incoming string) (stored map[recordKey]bool, stale bool, err error) {
	rows, err := p.bound.get(p.ctx, p.tx, sqlStoredFixes, p.s.stmts[sqlStoredFixes]).QueryContext(p.ctx, p.url, incoming)
	if err != nil {
		return nil, false, fmt.Errorf("read stored fixes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key recordKey
		var listed bool
		if err := rows.Scan(&key.vendor, &key.id, &listed); err != nil {
			return nil, false, fmt.Errorf("read stored fixes: %w", err)
		}
		if !listed {
			stale = true
			p.changes.fixes[key] = true // its index row goes with it
			continue
		}
		if stored == nil {
			stored = map[recordKey]bool{}
		}
		stored[key] = true
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read stored fixes: %w", err)
	}
	return stored, stale, nil
}

// putFix writes one fix whole: the page owns it, so there is nothing to
// merge. A fix already stored has its CVEs, patch links and remedies
// replaced; a new one has none to replace.
func (p *pageTx) putFix(f normalize.Fix, existed bool) error {
	versions, err := jsonList(f.Versions)
	if err != nil {
		return fmt.Errorf("encode versions: %w", err)
	}
	var ids []string
	for _, id := range f.PatchIDs {
		if id != "" {
			ids = append(ids, id)
		}
	}
	patches, err := jsonList(ids)
	if err != nil {
		return fmt.Errorf("encode patch links: %w", err)
	}
	// The release date is computed from what is stored now (a page's own
	// advisory and patches are written before its fixes); the commit
	// corrects it if a later page changes those dates.
	_, err = p.exec(sqlPutFix,
		f.ID, nullIfEmpty(f.AdvisoryID), f.Vendor, f.Product, versions, f.Component,
		string(f.Category), f.Security, f.Severity, f.Summary, f.Rule, f.Evidence, p.url, patches)
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	key := recordKey{f.Vendor, f.ID}
	p.changes.fixes[key] = true
	// A stored fix first drops its remedies and the CVEs and patch links
	// no longer listed; the adds bring in the new ones. A new fix has
	// nothing to drop.
	if existed {
		if _, err := p.exec(sqlClearFixRemedies, f.Vendor, f.ID); err != nil {
			return fmt.Errorf("clear remedies: %w", err)
		}
		cves, err := jsonList(f.CVEs)
		if err != nil {
			return fmt.Errorf("encode CVEs: %w", err)
		}
		for _, st := range []struct{ query, list, what string }{
			{sqlDropFixCVEs, cves, "drop CVEs"},
			{sqlDropFixPatches, patches, "drop patch links"},
		} {
			if _, err := p.exec(st.query, f.Vendor, f.ID, st.list); err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
	}
	if err := p.addEach(sqlAddFixCVE, key, f.CVEs, "add CVE"); err != nil {
		return err
	}
	if err := p.addEach(sqlAddFixPatch, key, ids, "add patch link"); err != nil {
		return err
	}
	for i, r := range f.Remedies {
		if _, err := p.exec(sqlAddFixRemedy, f.Vendor, f.ID, i+1, r.Product, r.Version, r.Platform, r.Status, r.PatchID, r.FixedVersion); err != nil {
			return fmt.Errorf("remedy %d: %w", i+1, err)
		}
	}
	return nil
}

// newerRecord is sqlNewerRecord for one table.
func newerRecord(table string) string {
	return strings.Replace(sqlNewerRecord, "{table}", table, 1)
}

// newer runs one of the EXISTS queries above.
func (p *pageTx) newer(query string, args ...any) (bool, error) {
	var yes bool
	if err := p.bound.get(p.ctx, p.tx, query, p.s.stmts[query]).QueryRowContext(p.ctx, args...).Scan(&yes); err != nil {
		return false, fmt.Errorf("compare with later copies: %w", err)
	}
	return yes, nil
}

// olderThanStored reports whether the page being written is a capture
// older than the fetch or capture the record's stored copy came from.
func (p *pageTx) olderThanStored(table, vendor, id string) (bool, error) {
	if p.asOf == "" {
		return false, nil
	}
	return p.newer(newerRecord(table), vendor, id, p.asOf)
}
