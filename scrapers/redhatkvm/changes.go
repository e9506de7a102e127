package redhatkvm

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/scrapers"
)

// The files beside index.txt that let a client read the whole collection
// once and then only what changed (real names, Red Hat's CSAF provider
// layout).
const (
	// ArchivePointer names, on one line, the current archive of every
	// advisory: "csaf_advisories_2024-11-24.tar.zst".
	ArchivePointer = Base + "archive_latest.txt"
	// Changes lists "path","last change" for every advisory.
	Changes = Base + "changes.csv"
	// Deletions lists "path","deleted at" for every advisory taken down.
	Deletions = Base + "deletions.csv"
)

// archiveName is an archive's file name; the date is the day it was built.
var archiveName = regexp.MustCompile(`^csaf_advisories_(\d{4}-\d{2}-\d{2})\.tar\.zst$`)

// parsePointer reads archive_latest.txt: the one archive it names is the
// one link.
func parsePointer(body []byte, u *url.URL) (scrapers.Parsed, error) {
	name := strings.TrimSpace(string(body))
	if !archiveName.MatchString(name) {
		return scrapers.Parsed{}, fmt.Errorf("%s: %q does not name a csaf_advisories_YYYY-MM-DD.tar.zst archive", u, firstLine(name))
	}
	return scrapers.Parsed{Follow: []string{Base + name}}, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// ArchiveBuilt implements scrapers.ArchiveSource: the start of the day in
// the archive's name. Documents changed later that day are asked for
// again, which costs a few requests and never misses a change.
func (Source) ArchiveBuilt(archiveURL string) (time.Time, error) {
	name, ok := strings.CutPrefix(archiveURL, Base)
	m := archiveName.FindStringSubmatch(name)
	if !ok || m == nil {
		return time.Time{}, fmt.Errorf("%s: not a Red Hat CSAF archive URL", archiveURL)
	}
	return time.Parse(time.DateOnly, m[1])
}

// ArchivePointer implements scrapers.ArchiveSource.
func (Source) ArchivePointer() string { return ArchivePointer }

// ArchiveEntry implements scrapers.ArchiveSource: an entry
// "2024/rhsa-2024_1234.json" is the document at Base plus that path.
// Nothing else (other advisory kinds, index files, odd names) is read.
func (Source) ArchiveEntry(name string) (string, bool) {
	if !indexLine.MatchString(name) {
		return "", false
	}
	return Base + name, true
}

// changeRows reads a changes.csv or deletions.csv body: quoted "path","time"
// rows. Rows for other advisory kinds (RHBA, RHEA) are skipped; a bad row
// for an RHSA fails the whole list, since a list read in part would hide
// changes.
func changeRows(body []byte, u *url.URL) (map[string]time.Time, error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = 2
	rows := map[string]time.Time{}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u, err)
		}
		path := strings.TrimSpace(rec[0])
		if !indexLine.MatchString(path) {
			continue
		}
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(rec[1]))
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %s: %w", u, line, path, err)
		}
		rows[Base+path] = at.UTC()
	}
}

// parseChanges reads changes.csv: each RHSA becomes a link with its last
// change as the change signal, so the harvest asks only for documents
// changed since it last stored them (or since the archive, for documents
// it left out).
func parseChanges(body []byte, u *url.URL) (scrapers.Parsed, error) {
	rows, err := changeRows(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	if len(rows) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no \"YYYY/rhsa-YYYY_NNNN.json\" rows (has the layout changed?)", u)
	}
	// Map order is random; the harvest and the golden files want one order.
	return scrapers.Parsed{Changed: rows, Follow: slices.Sorted(maps.Keys(rows))}, nil
}

// parseDeletions reads deletions.csv: the RHSAs it names are withdrawn. An
// empty list is a valid answer.
func parseDeletions(body []byte, u *url.URL) (scrapers.Parsed, error) {
	rows, err := changeRows(body, u)
	if err != nil {
		return scrapers.Parsed{}, err
	}
	return scrapers.Parsed{Withdrawn: slices.Sorted(maps.Keys(rows))}, nil
}
