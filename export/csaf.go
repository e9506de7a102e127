package export

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// CSAF 2.0 (https://docs.oasis-open.org/csaf/csaf/v2.0/) security advisories,
// one per advisory. The structs hold only the parts patchwatch fills in; the
// tests validate every document against the OASIS JSON schema.

// CSAFPublisher names patchwatch as the publisher: it re-publishes what
// vendors said, so its category is "other", not "vendor".
var CSAFPublisher = CSAFPublisherT{
	Category:  "other",
	Name:      "patchwatch",
	Namespace: "https://github.com/patchwatch/patchwatch",
}

// CSAFDocument is one csaf_security_advisory.
type CSAFDocument struct {
	Document        CSAFMeta            `json:"document"`
	ProductTree     *CSAFProductTree    `json:"product_tree,omitempty"`
	Vulnerabilities []CSAFVulnerability `json:"vulnerabilities"`
}

// CSAFMeta is the document's /document object.
type CSAFMeta struct {
	Category          string            `json:"category"`
	CSAFVersion       string            `json:"csaf_version"`
	Lang              string            `json:"lang"`
	Title             string            `json:"title"`
	Publisher         CSAFPublisherT    `json:"publisher"`
	Tracking          CSAFTracking      `json:"tracking"`
	AggregateSeverity *CSAFSeverity     `json:"aggregate_severity,omitempty"`
	Notes             []CSAFNote        `json:"notes,omitempty"`
	References        []CSAFReference   `json:"references,omitempty"`
	Distribution      *CSAFDistribution `json:"distribution,omitempty"`
}

// CSAFPublisherT is /document/publisher.
type CSAFPublisherT struct {
	Category  string `json:"category"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// CSAFTracking is /document/tracking, built from the advisory's dates and
// the vendor's revision number.
type CSAFTracking struct {
	ID                 string         `json:"id"`
	Status             string         `json:"status"`
	Version            string         `json:"version"`
	InitialReleaseDate string         `json:"initial_release_date"`
	CurrentReleaseDate string         `json:"current_release_date"`
	RevisionHistory    []CSAFRevision `json:"revision_history"`
}

// CSAFRevision is one entry of the revision history.
type CSAFRevision struct {
	Date    string `json:"date"`
	Number  string `json:"number"`
	Summary string `json:"summary"`
}

// CSAFSeverity is the vendor's own rating, as text.
type CSAFSeverity struct {
	Text string `json:"text"`
}

// CSAFNote is a note of the document or of a vulnerability.
type CSAFNote struct {
	Category string `json:"category"`
	Title    string `json:"title,omitempty"`
	Text     string `json:"text"`
}

// CSAFReference is a link with a summary.
type CSAFReference struct {
	Category string `json:"category,omitempty"`
	Summary  string `json:"summary"`
	URL      string `json:"url"`
}

// CSAFDistribution says who may read the document: vendors' advisories are
// public, so TLP:WHITE.
type CSAFDistribution struct {
	TLP struct {
		Label string `json:"label"`
	} `json:"tlp"`
}

// CSAFProductTree is vendor → product name → product version.
type CSAFProductTree struct {
	Branches []CSAFBranch `json:"branches"`
}

// CSAFBranch is one level of the product tree: it has either sub-branches
// or a product, never both (the schema allows exactly three properties).
type CSAFBranch struct {
	Category string           `json:"category"`
	Name     string           `json:"name"`
	Branches []CSAFBranch     `json:"branches,omitempty"`
	Product  *CSAFFullProduct `json:"product,omitempty"`
}

// CSAFFullProduct is a product other parts of the document refer to by ID.
type CSAFFullProduct struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
}

// CSAFVulnerability is one CVE of the advisory (or, for an advisory without
// CVEs, the advisory itself).
type CSAFVulnerability struct {
	CVE           string             `json:"cve,omitempty"`
	IDs           []CSAFID           `json:"ids,omitempty"`
	Title         string             `json:"title,omitempty"`
	Notes         []CSAFNote         `json:"notes,omitempty"`
	ProductStatus *CSAFProductStatus `json:"product_status,omitempty"`
	Remediations  []CSAFRemediation  `json:"remediations,omitempty"`
}

// CSAFID names a vulnerability in a tracking system other than CVE.
type CSAFID struct {
	SystemName string `json:"system_name"`
	Text       string `json:"text"`
}

// CSAFProductStatus lists product IDs by what the vendor says of them.
type CSAFProductStatus struct {
	KnownAffected    []string `json:"known_affected,omitempty"`
	KnownNotAffected []string `json:"known_not_affected,omitempty"`
}

// CSAFRemediation is a vendor fix: the patch IDs that carry it.
type CSAFRemediation struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	ProductIDs []string `json:"product_ids"`
	URL        string   `json:"url,omitempty"`
}

// CSAFTrackingID is the tracking ID of a vendor's advisory: patchwatch
// issues the document, so the ID is its own, with the vendor and the vendor's
// ID in it.
func CSAFTrackingID(vendor, id string) string { return "patchwatch-" + vendor + "-" + id }

// csafNameChars are the characters CSAF's file name rule keeps (section 5.1).
var csafNameChars = regexp.MustCompile(`[^+\-a-z0-9]+`)

// CSAFFileName is the file name CSAF 2.0 gives a document: its tracking ID
// in lower case with every run of other characters replaced by "_".
func CSAFFileName(trackingID string) (string, error) {
	name := csafNameChars.ReplaceAllString(strings.ToLower(trackingID), "_")
	if strings.Trim(name, "_") == "" {
		return "", fmt.Errorf("tracking id %q cannot be a file name", trackingID)
	}
	return name + ".json", nil
}

// CSAF maps one advisory to a CSAF 2.0 security advisory. It fails only for
// an advisory with no date at all (CSAF requires release dates).
func CSAF(a Advisory) (CSAFDocument, error) {
	published, modified := a.releaseDates()
	if published == "" {
		published = a.FirstSeen
	}
	if published == "" || modified == "" {
		return CSAFDocument{}, fmt.Errorf("advisory %s: no publication date and never fetched", a.ID)
	}
	if modified < published {
		modified = published
	}
	title := strings.ToValidUTF8(a.Title, "\uFFFD")
	if strings.TrimSpace(title) == "" {
		title = a.Vendor + " advisory " + a.ID
	}
	doc := CSAFDocument{Document: CSAFMeta{
		Category:    "csaf_security_advisory",
		CSAFVersion: "2.0",
		Lang:        "en",
		Title:       title,
		Publisher:   CSAFPublisher,
		Tracking:    csafTracking(a, published, modified),
	}}
	doc.Document.Distribution = &CSAFDistribution{}
	doc.Document.Distribution.TLP.Label = "WHITE"
	if a.Severity != "" {
		doc.Document.AggregateSeverity = &CSAFSeverity{Text: a.Severity}
	}
	if d := a.details(); strings.TrimSpace(d) != "" {
		doc.Document.Notes = append(doc.Document.Notes, CSAFNote{Category: "description", Title: "Advisory text", Text: d})
	}
	source := fmt.Sprintf("Republished by patchwatch from %s's advisory %s.", a.Vendor, a.ID)
	if a.Status == "withdrawn" {
		source += " The vendor has withdrawn this advisory."
	}
	doc.Document.Notes = append(doc.Document.Notes, CSAFNote{Category: "general", Title: "Source", Text: source})
	if isHTTPURL(a.URL) {
		doc.Document.References = append(doc.Document.References, CSAFReference{
			Category: "external", Summary: a.Vendor + " advisory " + a.ID, URL: a.URL})
	}

	tree, affected, notAffected := csafProducts(a)
	if len(tree.Branches) > 0 {
		doc.ProductTree = &tree
	}
	doc.Vulnerabilities = csafVulnerabilities(a, affected, notAffected)
	return doc, nil
}

func csafTracking(a Advisory, published, modified string) CSAFTracking {
	t := CSAFTracking{
		ID:                 CSAFTrackingID(a.Vendor, a.ID),
		Status:             "final",
		InitialReleaseDate: published,
		CurrentReleaseDate: modified,
	}
	version := max(a.Version, 1)
	t.Version = strconv.Itoa(version)
	t.RevisionHistory = []CSAFRevision{{Date: published, Number: "1", Summary: "Initial release"}}
	if version > 1 {
		t.RevisionHistory = append(t.RevisionHistory, CSAFRevision{
			Date: modified, Number: t.Version, Summary: fmt.Sprintf("Revision %d, as numbered by %s", version, a.Vendor)})
	}
	return t
}

// csafProducts builds the product tree from the fixes' products and
// versions, and returns each fix's affected and not-affected product IDs.
// IDs are CSAFPID-0001… in tree order, so the same advisory gives the same
// IDs every time.
func csafProducts(a Advisory) (CSAFProductTree, map[string][]string, map[string][]string) {
	versions := map[string]map[string]bool{} // product → versions ("" for the product itself)
	for _, fx := range a.Fixes {
		p := productName(fx.Product)
		if versions[p] == nil {
			versions[p] = map[string]bool{}
		}
		for _, v := range append(append([]string{}, fx.AffectedVersions...), fx.NotAffectedVersions...) {
			versions[p][v] = true
		}
		if len(fx.AffectedVersions) == 0 {
			versions[p][""] = true
		}
	}
	products := make([]string, 0, len(versions))
	for p := range versions {
		products = append(products, p)
	}
	sort.Strings(products)
	ids := map[[2]string]string{}
	vendor := CSAFBranch{Category: "vendor", Name: a.Vendor}
	n := 0
	nextID := func() string { n++; return fmt.Sprintf("CSAFPID-%04d", n) }
	for _, p := range products {
		vs := make([]string, 0, len(versions[p]))
		for v := range versions[p] {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		pb := CSAFBranch{Category: "product_name", Name: p}
		if len(vs) == 1 && vs[0] == "" {
			id := nextID()
			ids[[2]string{p, ""}] = id
			pb.Product = &CSAFFullProduct{Name: a.Vendor + " " + p, ProductID: id}
		} else {
			for _, v := range vs {
				name := v
				if name == "" {
					name = "unspecified version"
				}
				id := nextID()
				ids[[2]string{p, v}] = id
				pb.Branches = append(pb.Branches, CSAFBranch{Category: "product_version", Name: name,
					Product: &CSAFFullProduct{Name: a.Vendor + " " + p + " " + name, ProductID: id}})
			}
		}
		vendor.Branches = append(vendor.Branches, pb)
	}
	affected, notAffected := map[string][]string{}, map[string][]string{}
	for _, fx := range a.Fixes {
		p := productName(fx.Product)
		if len(fx.AffectedVersions) == 0 {
			affected[fx.ID] = []string{ids[[2]string{p, ""}]}
		}
		for _, v := range fx.AffectedVersions {
			affected[fx.ID] = append(affected[fx.ID], ids[[2]string{p, v}])
		}
		for _, v := range fx.NotAffectedVersions {
			notAffected[fx.ID] = append(notAffected[fx.ID], ids[[2]string{p, v}])
		}
	}
	var tree CSAFProductTree
	if len(vendor.Branches) > 0 {
		tree.Branches = []CSAFBranch{vendor}
	}
	return tree, affected, notAffected
}

func productName(p string) string {
	if strings.TrimSpace(p) == "" {
		return "unnamed product"
	}
	return p
}

// csafVulnerabilities makes one vulnerability per CVE, each with the fixes
// that name it (a fix that names no CVE belongs to all of the advisory's),
// or one vulnerability for an advisory without CVEs.
func csafVulnerabilities(a Advisory, affected, notAffected map[string][]string) []CSAFVulnerability {
	cves := append([]string{}, a.CVEs...)
	for _, fx := range a.Fixes {
		cves = append(cves, fx.CVEs...)
	}
	cves = sortedUnique(cves)
	build := func(v CSAFVulnerability, fixes []Fix) CSAFVulnerability {
		var aff, notAff []string
		for _, fx := range fixes {
			aff = append(aff, affected[fx.ID]...)
			notAff = append(notAff, notAffected[fx.ID]...)
			v.Notes = append(v.Notes, CSAFNote{
				Category: "other",
				Title:    "patchwatch category of fix " + fx.ID,
				Text: fmt.Sprintf("%s (component %q, security %t, rule %s): %s",
					fx.Category, fx.Component, fx.Security, fx.Rule, strings.ToValidUTF8(fx.Evidence, "\uFFFD")),
			})
			rem := CSAFRemediation{Category: "vendor_fix", ProductIDs: sortedUnique(affected[fx.ID])}
			if ids := fx.allPatchIDs(); len(ids) > 0 {
				rem.Details = "Apply " + strings.Join(ids, ", ") + "."
				for _, p := range fx.Patches {
					if isHTTPURL(p.URL) {
						rem.URL = p.URL
						break
					}
				}
			} else {
				rem.Details = fmt.Sprintf("See %s's advisory %s; no patch ID is recorded for this fix.", a.Vendor, a.ID)
			}
			if rem.URL == "" && isHTTPURL(a.URL) {
				rem.URL = a.URL
			}
			v.Remediations = append(v.Remediations, rem)
		}
		if len(aff) > 0 || len(notAff) > 0 {
			notAff = sortedUnique(notAff)
			affSet := sortedUnique(aff)
			// A product both listed as fixed and as not affected (two remedy
			// rows) stays affected: CSAF forbids one product in two groups.
			var na []string
			for _, id := range notAff {
				if !slices.Contains(affSet, id) {
					na = append(na, id)
				}
			}
			v.ProductStatus = &CSAFProductStatus{KnownAffected: affSet, KnownNotAffected: na}
			if len(affSet) == 0 {
				v.ProductStatus.KnownAffected = nil
			}
		}
		return v
	}
	if len(cves) == 0 {
		return []CSAFVulnerability{build(CSAFVulnerability{
			IDs:   []CSAFID{{SystemName: a.Vendor + " advisory", Text: a.ID}},
			Title: strings.ToValidUTF8(a.Title, "\uFFFD"),
		}, a.Fixes)}
	}
	var out []CSAFVulnerability
	for _, cve := range cves {
		if !cvePattern.MatchString(cve) {
			// CSAF's cve field takes only well-formed CVE IDs; keep a
			// vendor's odd spelling findable as an ID instead.
			v := CSAFVulnerability{IDs: []CSAFID{{SystemName: "CVE (as spelled by " + a.Vendor + ")", Text: cve}}}
			out = append(out, build(v, fixesFor(a, cve)))
			continue
		}
		out = append(out, build(CSAFVulnerability{CVE: cve}, fixesFor(a, cve)))
	}
	return out
}

// cvePattern is CSAF's pattern for /vulnerabilities[]/cve.
var cvePattern = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// fixesFor returns the fixes that name cve, and those that name no CVE.
func fixesFor(a Advisory, cve string) []Fix {
	var fixes []Fix
	for _, fx := range a.Fixes {
		if len(fx.CVEs) == 0 || slices.Contains(fx.CVEs, cve) {
			fixes = append(fixes, fx)
		}
	}
	return fixes
}
