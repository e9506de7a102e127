package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/patchwatch/patchwatch/internal/safefile"
)

// OSVSchemaVersion is the OSV schema version the records follow.
const OSVSchemaVersion = "1.6.0"

// OSVIDPrefix starts every record's id. OSV accepts an id only with a
// registered database prefix or "x_" (the schema's prefix list); patchwatch
// is not a registered database and re-publishes other vendors' IDs, so its
// ids are "x_patchwatch-<vendor>-<vendor's ID>", unique across vendors (a
// Microsoft advisory named after a CVE cannot collide with another vendor's).
// The vendor's own ID stays findable as the first alias.
const OSVIDPrefix = "x_patchwatch-"

// OSVRecord is one OSV entry. Field order follows the OSV spec so the
// files read like everyone else's.
type OSVRecord struct {
	SchemaVersion    string         `json:"schema_version"`
	ID               string         `json:"id"`
	Modified         string         `json:"modified"`
	Published        string         `json:"published,omitempty"`
	Withdrawn        string         `json:"withdrawn,omitempty"`
	Aliases          []string       `json:"aliases,omitempty"`
	Summary          string         `json:"summary,omitempty"`
	Details          string         `json:"details,omitempty"`
	Affected         []OSVAffected  `json:"affected,omitempty"`
	References       []OSVReference `json:"references,omitempty"`
	DatabaseSpecific OSVSpecific    `json:"database_specific"`
}

// OSVAffected is one product of the advisory. No OSV ecosystem covers
// hypervisors and their vendors (the schema's list is closed), so there is
// no "package": the vendor and product are in database_specific, and the
// versions are the vendor's own version names. There are no ranges because
// vendors list versions, not ranges.
type OSVAffected struct {
	Versions         []string    `json:"versions"`
	DatabaseSpecific OSVSpecific `json:"database_specific"`
}

// OSVReference is one link of the record.
type OSVReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// OSVSpecific is patchwatch's database_specific block: at record level it
// names the vendor's advisory and sums up every fix, at affected level the
// fixes of that product, each fix with its category, component, patch IDs
// and the classifier rule behind the category.
type OSVSpecific struct {
	Vendor     string   `json:"vendor"`
	AdvisoryID string   `json:"advisory_id,omitempty"`
	Product    string   `json:"product,omitempty"`
	Status     string   `json:"status,omitempty"`
	Severity   string   `json:"severity,omitempty"`
	Version    int      `json:"advisory_version,omitempty"`
	Categories []string `json:"categories"`
	Components []string `json:"components"`
	PatchIDs   []string `json:"patch_ids"`
	Fixes      []OSVFix `json:"fixes,omitempty"`
}

// OSVFix is one fix in database_specific.
type OSVFix struct {
	ID        string   `json:"id"`
	Category  string   `json:"category"`
	Component string   `json:"component"`
	Security  bool     `json:"security"`
	Severity  string   `json:"severity,omitempty"`
	PatchIDs  []string `json:"patch_ids"`
	CVEs      []string `json:"cves"`
	Rule      string   `json:"rule"`
}

// OSVID is the OSV id of a vendor's advisory.
func OSVID(vendor, id string) string { return OSVIDPrefix + vendor + "-" + id }

// OSV maps one advisory to its OSV record.
func OSV(a Advisory) OSVRecord {
	r := OSVRecord{
		SchemaVersion: OSVSchemaVersion,
		ID:            OSVID(a.Vendor, a.ID),
		Summary:       strings.ToValidUTF8(a.Title, "\uFFFD"),
		Details:       a.details(),
		Aliases:       append([]string{a.ID}, a.CVEs...),
		DatabaseSpecific: OSVSpecific{
			Vendor: a.Vendor, AdvisoryID: a.ID, Status: a.Status, Severity: a.Severity, Version: a.Version,
		},
	}
	r.Published, r.Modified = a.releaseDates()
	if a.Status == "withdrawn" {
		r.Withdrawn = r.Modified
	}
	if isHTTPURL(a.URL) {
		r.References = append(r.References, OSVReference{Type: "ADVISORY", URL: a.URL})
	}
	byProduct := map[string]*OSVAffected{}
	var products, fixURLs []string
	for _, fx := range a.Fixes {
		aff := byProduct[fx.Product]
		if aff == nil {
			aff = &OSVAffected{DatabaseSpecific: OSVSpecific{Vendor: a.Vendor, Product: fx.Product}}
			byProduct[fx.Product] = aff
			products = append(products, fx.Product)
		}
		for _, p := range fx.Patches {
			if isHTTPURL(p.URL) {
				fixURLs = append(fixURLs, p.URL)
			}
		}
		fix := OSVFix{
			ID: fx.ID, Category: fx.Category, Component: fx.Component, Security: fx.Security,
			Severity: fx.Severity, Rule: fx.Rule, PatchIDs: fx.allPatchIDs(), CVEs: sortedUnique(fx.CVEs),
		}
		ds := &aff.DatabaseSpecific
		aff.Versions = sortedUnique(append(aff.Versions, fx.AffectedVersions...))
		ds.Fixes = append(ds.Fixes, fix)
		ds.Categories = sortedUnique(append(ds.Categories, fix.Category))
		ds.Components = sortedUnique(append(ds.Components, fix.Component))
		ds.PatchIDs = sortedUnique(append(ds.PatchIDs, fix.PatchIDs...))
	}
	top := &r.DatabaseSpecific
	top.Categories, top.Components, top.PatchIDs = []string{}, []string{}, []string{}
	for _, p := range products {
		aff := byProduct[p]
		r.Affected = append(r.Affected, *aff)
		top.Categories = sortedUnique(append(top.Categories, aff.DatabaseSpecific.Categories...))
		top.Components = sortedUnique(append(top.Components, aff.DatabaseSpecific.Components...))
		top.PatchIDs = sortedUnique(append(top.PatchIDs, aff.DatabaseSpecific.PatchIDs...))
	}
	for _, u := range sortedUnique(fixURLs) {
		r.References = append(r.References, OSVReference{Type: "FIX", URL: u})
	}
	return r
}

// releaseDates returns the advisory's first publication and last change as
// RFC 3339 instants. Without a date on any page, the first time patchwatch
// saw the advisory is the best there is (both are required in CSAF, and
// "modified" in OSV).
func (a *Advisory) releaseDates() (published, modified string) {
	if a.Published != "" {
		published = a.Published + "T00:00:00Z"
	}
	switch {
	case a.Updated != "":
		modified = a.Updated + "T00:00:00Z"
	case published != "":
		modified = published
	default:
		modified = a.FirstSeen
	}
	return published, modified
}

// unsafeFileChars are replaced in file names: IDs are the vendor's and
// some carry characters not every file system takes (RHSA-2015:0999).
var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// FileName is a record's file name: its id with unsafe characters replaced
// by "_", as Red Hat names its own OSV files (RHSA-2015_0999.json).
func FileName(id string) (string, error) {
	name := unsafeFileChars.ReplaceAllString(id, "_")
	if name == "" || name[0] == '.' {
		return "", fmt.Errorf("advisory id %q cannot be a file name", id)
	}
	return name + ".json", nil
}

// WriteDir writes one JSON file per document into dir, named by fileName of
// its id (FileName for OSV, CSAFFileName for CSAF), the layout OSV and CSAF
// databases publish. A document that cannot
// be written (its name is unusable, or another document already took it) is
// skipped and its error returned joined with the others after every other
// document is written; written counts the files written.
func WriteDir[T any](dir string, docs []T, id func(T) string, fileName func(string) (string, error)) (written int, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var errs []error
	seen := map[string]string{}
	for _, d := range docs {
		docID := id(d)
		name, err := fileName(docID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := seen[strings.ToLower(name)]; dup {
			errs = append(errs, fmt.Errorf("%s: skipped, %s is already written to %s", docID, other, name))
			continue
		}
		seen[strings.ToLower(name)] = docID
		b, err := marshal(d)
		if err == nil {
			err = safefile.Write(filepath.Join(dir, name), b)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", docID, err))
			continue
		}
		written++
	}
	return written, errors.Join(errs...)
}

// WriteArray writes every document as one JSON array.
func WriteArray[T any](w io.Writer, docs []T) error {
	if docs == nil {
		docs = []T{}
	}
	b, err := marshal(docs)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// marshal encodes v indented, without escaping <, > and & (advisory text
// is full of them), ending in a newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
