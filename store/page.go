package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
}

// SaveDocument stores only the raw page. The harvester uses it when parsing
// failed: the body is kept for re-parsing once the parser is fixed, and the
// records already stored are left as they were.
func (s *Store) SaveDocument(ctx context.Context, doc Document) error {
	if doc.URL == "" {
		return errors.New("save document: empty URL")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save document %s: %w", doc.URL, err)
	}
	defer tx.Rollback()
	if err := s.putDocument(ctx, tx, doc); err != nil {
		return fmt.Errorf("save document %s: %w", doc.URL, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save document %s: %w", doc.URL, err)
	}
	return nil
}

// SavePage stores one page and every record parsed from it in a single
// transaction, so a crash never leaves a page's records half written.
//
// Advisories and patches are merged: a non-empty incoming field overwrites
// the stored one and an empty one keeps it, because several pages describe
// the same advisory (the Xen index supplies dates, the advisory text its
// sections). CVE lists are unioned. Fixes belong to the page they were
// parsed from: after the upsert, fixes stored from this URL that the page no
// longer yields are deleted, so re-parsing a page replaces its fixes.
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save page %s: %w", doc.URL, err)
	}
	defer tx.Rollback()

	if err := s.putDocument(ctx, tx, doc); err != nil {
		return fmt.Errorf("save page %s: %w", doc.URL, err)
	}
	for _, a := range res.Advisories {
		if err := putAdvisory(ctx, tx, doc.URL, a); err != nil {
			return fmt.Errorf("save page %s: advisory %s: %w", doc.URL, a.ID, err)
		}
	}
	for _, p := range res.Patches {
		if err := putPatch(ctx, tx, doc.URL, p); err != nil {
			return fmt.Errorf("save page %s: patch %s: %w", doc.URL, p.ID, err)
		}
	}
	if err := putFixes(ctx, tx, doc.URL, res.Fixes); err != nil {
		return fmt.Errorf("save page %s: %w", doc.URL, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save page %s: %w", doc.URL, err)
	}
	return nil
}

// putDocument inserts doc, or, when the same URL with the same body is
// already stored, widens its fetch-time range and refreshes what the latest
// fetch said (validators, links, parse error). Bodies are stored gzipped;
// the sha256 is of the uncompressed body.
func (s *Store) putDocument(ctx context.Context, tx *sql.Tx, doc Document) error {
	at := doc.FetchedAt
	if at.IsZero() {
		at = s.Now()
	}
	fetched := formatTime(at)
	sum := sha256.Sum256(doc.Body)
	packed, err := compress(doc.Body)
	if err != nil {
		return fmt.Errorf("compress body: %w", err)
	}
	links, err := jsonList(doc.Links)
	if err != nil {
		return fmt.Errorf("encode links: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO documents (url, source, first_fetched_at, last_fetched_at, status, content_type, sha256, body,
	etag, last_modified, links, parse_error, body_encoding)
VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'gzip')
ON CONFLICT (url, sha256) DO UPDATE SET
	first_fetched_at = min(documents.first_fetched_at, excluded.first_fetched_at),
	last_fetched_at  = max(documents.last_fetched_at, excluded.last_fetched_at),
	etag             = iif(excluded.etag <> '', excluded.etag, documents.etag),
	last_modified    = iif(excluded.last_modified <> '', excluded.last_modified, documents.last_modified),
	links            = excluded.links,
	parse_error      = excluded.parse_error`,
		doc.URL, doc.Source, fetched, doc.Status, doc.ContentType, hex.EncodeToString(sum[:]), packed,
		doc.ETag, doc.LastModified, links, doc.ParseError)
	if err != nil {
		return fmt.Errorf("store document: %w", err)
	}
	return nil
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

func putAdvisory(ctx context.Context, tx *sql.Tx, pageURL string, a normalize.Advisory) error {
	sections, err := jsonList(a.Sections)
	if err != nil {
		return fmt.Errorf("encode sections: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO advisories (id, vendor, status, title, severity, published, updated, version, url, affected, sections, document_url)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
	vendor       = iif(excluded.vendor <> '', excluded.vendor, advisories.vendor),
	status       = excluded.status,
	title        = iif(excluded.title <> '', excluded.title, advisories.title),
	severity     = iif(excluded.severity <> '', excluded.severity, advisories.severity),
	published    = coalesce(excluded.published, advisories.published),
	updated      = coalesce(excluded.updated, advisories.updated),
	version      = iif(excluded.version <> 0, excluded.version, advisories.version),
	url          = iif(excluded.url <> '', excluded.url, advisories.url),
	affected     = iif(excluded.affected <> '', excluded.affected, advisories.affected),
	sections     = iif(excluded.sections <> '[]', excluded.sections, advisories.sections),
	document_url = excluded.document_url`,
		a.ID, a.Vendor, string(a.Status), a.Title, a.Severity,
		nullIfEmpty(a.Published), nullIfEmpty(a.Updated), a.Version,
		a.URL, a.Affected, sections, pageURL)
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	for _, c := range a.CVEs {
		if _, err := tx.ExecContext(ctx,
			`INSERT OR IGNORE INTO advisory_cves (advisory_id, cve) VALUES (?, ?)`, a.ID, c); err != nil {
			return fmt.Errorf("add %s: %w", c, err)
		}
	}
	return nil
}

func putPatch(ctx context.Context, tx *sql.Tx, pageURL string, p normalize.Patch) error {
	supersedes, err := jsonList(p.Supersedes)
	if err != nil {
		return fmt.Errorf("encode supersedes: %w", err)
	}
	packages, err := jsonList(p.Packages)
	if err != nil {
		return fmt.Errorf("encode packages: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO patches (id, vendor, product, version, released, classification, reboot_required, url, advisory_id, document_url,
	severity, vm_restart_required, supersedes, packages, build, release_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
	vendor              = iif(excluded.vendor <> '', excluded.vendor, patches.vendor),
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
	release_id          = iif(excluded.release_id <> '', excluded.release_id, patches.release_id)`,
		p.ID, p.Vendor, p.Product, p.Version, nullIfEmpty(p.Released), p.Classification,
		optionalBool(p.RebootRequired), p.URL, nullIfEmpty(p.AdvisoryID), pageURL,
		p.Severity, optionalBool(p.VMRestartRequired), supersedes, packages, p.Build, p.Release)
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	return nil
}

// optionalBool maps an unknown (nil) flag to SQL NULL.
func optionalBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// putFixes replaces the fixes owned by pageURL with fixes.
func putFixes(ctx context.Context, tx *sql.Tx, pageURL string, fixes []normalize.Fix) error {
	ids := make([]string, 0, len(fixes))
	for _, f := range fixes {
		if err := putFix(ctx, tx, pageURL, f); err != nil {
			return fmt.Errorf("fix %s: %w", f.ID, err)
		}
		ids = append(ids, f.ID)
	}
	keep, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("encode fix ids: %w", err)
	}
	// fix_cves and fix_patches of the dropped fixes go with them (ON DELETE CASCADE).
	if _, err := tx.ExecContext(ctx, `
DELETE FROM fixes
WHERE document_url = ? AND id NOT IN (SELECT value FROM json_each(?))`, pageURL, string(keep)); err != nil {
		return fmt.Errorf("drop fixes no longer on the page: %w", err)
	}
	return nil
}

// putFix writes one fix whole: the page owns it, so there is nothing to merge.
func putFix(ctx context.Context, tx *sql.Tx, pageURL string, f normalize.Fix) error {
	versions, err := jsonList(f.Versions)
	if err != nil {
		return fmt.Errorf("encode versions: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO fixes (id, advisory_id, vendor, product, versions, component, category, security, severity, summary, rule, evidence, document_url)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
	advisory_id  = excluded.advisory_id,
	vendor       = excluded.vendor,
	product      = excluded.product,
	versions     = excluded.versions,
	component    = excluded.component,
	category     = excluded.category,
	security     = excluded.security,
	severity     = excluded.severity,
	summary      = excluded.summary,
	rule         = excluded.rule,
	evidence     = excluded.evidence,
	document_url = excluded.document_url`,
		f.ID, nullIfEmpty(f.AdvisoryID), f.Vendor, f.Product, versions, f.Component,
		string(f.Category), f.Security, f.Severity, f.Summary, f.Rule, f.Evidence, pageURL)
	if err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM fix_cves WHERE fix_id = ?`, f.ID); err != nil {
		return fmt.Errorf("clear CVEs: %w", err)
	}
	for _, c := range f.CVEs {
		if _, err := tx.ExecContext(ctx,
			`INSERT OR IGNORE INTO fix_cves (fix_id, cve) VALUES (?, ?)`, f.ID, c); err != nil {
			return fmt.Errorf("add %s: %w", c, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM fix_patches WHERE fix_id = ?`, f.ID); err != nil {
		return fmt.Errorf("clear patch links: %w", err)
	}
	for _, p := range f.PatchIDs {
		if p == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT OR IGNORE INTO fix_patches (fix_id, patch_id) VALUES (?, ?)`, f.ID, p); err != nil {
			return fmt.Errorf("link patch %s: %w", p, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM fix_remedies WHERE fix_id = ?`, f.ID); err != nil {
		return fmt.Errorf("clear remedies: %w", err)
	}
	for i, r := range f.Remedies {
		if _, err := tx.ExecContext(ctx, `
INSERT INTO fix_remedies (fix_id, seq, product, version, platform, status, patch_id, fixed_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, i+1, r.Product, r.Version, r.Platform, r.Status, r.PatchID, r.FixedVersion); err != nil {
			return fmt.Errorf("remedy %d: %w", i+1, err)
		}
	}
	return nil
}
