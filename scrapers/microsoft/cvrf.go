package microsoft

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// cvrfDoc is the part of a CVRF 1.1 document this parser reads. Tags carry
// no namespace, so encoding/xml matches the local names whatever prefix
// MSRC uses (cvrf:, prod:, vuln:).
type cvrfDoc struct {
	XMLName  xml.Name `xml:"cvrfdoc"`
	Title    string   `xml:"DocumentTitle"`
	Tracking *struct {
		ID             string `xml:"Identification>ID"`
		InitialRelease string `xml:"InitialReleaseDate"`
		CurrentRelease string `xml:"CurrentReleaseDate"`
	} `xml:"DocumentTracking"`
	Tree *struct {
		Branches []branch  `xml:"Branch"`
		Products []product `xml:"FullProductName"`
	} `xml:"ProductTree"`
	Vulns []vuln `xml:"Vulnerability"`
}

type branch struct {
	Type     string    `xml:"Type,attr"`
	Name     string    `xml:"Name,attr"`
	Branches []branch  `xml:"Branch"`
	Products []product `xml:"FullProductName"`
}

type product struct {
	ID   string `xml:"ProductID,attr"`
	Name string `xml:",chardata"`
}

type note struct {
	Title string `xml:"Title,attr"`
	Type  string `xml:"Type,attr"`
	Text  string `xml:",chardata"`
}

type vuln struct {
	Title    string `xml:"Title"`
	Notes    []note `xml:"Notes>Note"`
	CVE      string `xml:"CVE"`
	Statuses []struct {
		Type       string   `xml:"Type,attr"`
		ProductIDs []string `xml:"ProductID"`
	} `xml:"ProductStatuses>Status"`
	Threats []struct {
		Type        string   `xml:"Type,attr"`
		Description string   `xml:"Description"`
		ProductIDs  []string `xml:"ProductID"`
	} `xml:"Threats>Threat"`
	Scores []struct {
		BaseScore  string   `xml:"BaseScore"`
		Vector     string   `xml:"Vector"`
		ProductIDs []string `xml:"ProductID"`
	} `xml:"CVSSScoreSets>ScoreSet"`
	Remediations []remediation `xml:"Remediations>Remediation"`
	Revisions    []struct {
		Number string `xml:"Number"`
		Date   string `xml:"Date"`
	} `xml:"RevisionHistory>Revision"`
}

type remediation struct {
	Type            string   `xml:"Type,attr"`
	Description     string   `xml:"Description"`
	URL             string   `xml:"URL"`
	Supercedence    string   `xml:"Supercedence"`
	ProductIDs      []string `xml:"ProductID"`
	RestartRequired string   `xml:"RestartRequired"`
	SubType         string   `xml:"SubType"`
	FixedBuild      string   `xml:"FixedBuild"`
}

// decodeCVRF decodes untrusted XML safely: encoding/xml never reads a DTD,
// never fetches external entities and, in strict mode, rejects any entity
// other than the five predefined ones instead of expanding it. The body
// size is already bounded by the fetch layer.
func decodeCVRF(body []byte) (cvrfDoc, error) {
	var doc cvrfDoc
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	if err := d.Decode(&doc); err != nil {
		return cvrfDoc{}, err
	}
	return doc, nil
}

var (
	kbNumber    = regexp.MustCompile(`^\d{6,7}$`)
	kbInText    = regexp.MustCompile(`\d{6,7}`)
	hyperV      = regexp.MustCompile(`(?i)hyper-v`)
	cvePattern  = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)
	severityInc = map[string]int{"low": 1, "moderate": 2, "important": 3, "critical": 4}
)

// parseCVRF reads one monthly document: one advisory and one fix per
// Hyper-V CVE, and one patch per KB article that remedies any of them.
func parseCVRF(body []byte, u *url.URL, id string) (scrapers.Parsed, error) {
	doc, err := decodeCVRF(body)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: malformed CVRF XML: %w", u, err)
	}
	if doc.Tracking == nil || strings.TrimSpace(doc.Tracking.ID) == "" {
		return scrapers.Parsed{}, fmt.Errorf("%s: no DocumentTracking/Identification/ID", u)
	}
	if got := strings.TrimSpace(doc.Tracking.ID); got != id {
		return scrapers.Parsed{}, fmt.Errorf("%s: document is %s, not %s", u, got, id)
	}
	released, err := day(doc.Tracking.InitialRelease)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: InitialReleaseDate: %w", u, err)
	}
	updated, err := day(doc.Tracking.CurrentRelease)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: CurrentReleaseDate: %w", u, err)
	}
	if doc.Tree == nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: no ProductTree", u)
	}
	if len(doc.Vulns) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no Vulnerability elements (empty or truncated document?)", u)
	}
	names := productNames(doc)
	b := builder{id: id, released: released, updated: updated, names: names, patches: map[string]*patchAcc{}}
	var out scrapers.Parsed
	for _, v := range doc.Vulns {
		cve := strings.TrimSpace(v.CVE)
		if !cvePattern.MatchString(cve) {
			return scrapers.Parsed{}, fmt.Errorf("%s: vulnerability %q has no well-formed CVE", u, strings.TrimSpace(v.Title))
		}
		if !isHyperV(v, names) {
			continue
		}
		adv, fix, err := b.vulnerability(v, cve)
		if err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s: %w", u, cve, err)
		}
		out.Advisories = append(out.Advisories, adv)
		out.Fixes = append(out.Fixes, fix)
	}
	out.Patches = b.patchList()
	return out, nil
}

// productNames maps every ProductID to its name, from the flat list and the
// vendor/family branches alike.
func productNames(doc cvrfDoc) map[string]string {
	names := map[string]string{}
	var walk func([]branch)
	walk = func(bs []branch) {
		for _, b := range bs {
			for _, p := range b.Products {
				names[strings.TrimSpace(p.ID)] = strings.TrimSpace(p.Name)
			}
			walk(b.Branches)
		}
	}
	walk(doc.Tree.Branches)
	for _, p := range doc.Tree.Products {
		names[strings.TrimSpace(p.ID)] = strings.TrimSpace(p.Name)
	}
	return names
}

// isHyperV keeps a vulnerability when Microsoft ties it to Hyper-V: its
// tag note, its title, or an affected product's name says so.
func isHyperV(v vuln, names map[string]string) bool {
	if hyperV.MatchString(v.Title) {
		return true
	}
	for _, n := range v.Notes {
		if n.Type == "Tag" && hyperV.MatchString(n.Text) {
			return true
		}
	}
	for _, s := range v.Statuses {
		for _, pid := range s.ProductIDs {
			if hyperV.MatchString(names[strings.TrimSpace(pid)]) {
				return true
			}
		}
	}
	return false
}

// builder carries one document's context and collects its KB patches
// across vulnerabilities, since one cumulative update fixes many CVEs.
type builder struct {
	id, released, updated string
	names                 map[string]string
	order                 []string
	patches               map[string]*patchAcc
}

type patchAcc struct {
	p        normalize.Patch
	versions []string
	builds   []string
	restart  []string
}

func (b *builder) vulnerability(v vuln, cve string) (normalize.Advisory, normalize.Fix, error) {
	affected := b.affected(v)
	if len(affected) == 0 {
		return normalize.Advisory{}, normalize.Fix{}, errors.New("no Known Affected products")
	}
	title := strings.Join(strings.Fields(v.Title), " ")
	severity, impact := "", ""
	for _, t := range v.Threats {
		d := strings.TrimSpace(t.Description)
		switch t.Type {
		case "Severity":
			if severityInc[strings.ToLower(d)] > severityInc[strings.ToLower(severity)] {
				severity = d
			}
		case "Impact":
			if impact == "" {
				impact = d
			}
		}
	}
	var sections []normalize.Section
	var tag, description, faq string
	for _, n := range v.Notes {
		text := htmlText(n.Text)
		switch n.Type {
		case "Tag":
			tag = text
		case "Description":
			description = text
		case "FAQ":
			faq = strings.TrimSpace(faq + "\n\n" + text)
		}
		if text != "" && n.Type != "Tag" && n.Type != "CNA" {
			sections = append(sections, normalize.Section{Title: n.Title, Text: text})
		}
	}
	if cvss := bestScore(v); cvss != "" {
		sections = append(sections, normalize.Section{Title: "CVSS", Text: cvss})
	}
	published, lastRev, version := b.released, b.updated, 0
	for i, r := range v.Revisions {
		d, err := day(r.Date)
		if err != nil {
			return normalize.Advisory{}, normalize.Fix{}, fmt.Errorf("revision date: %w", err)
		}
		if i == 0 || d < published {
			published = d
		}
		if i == 0 || d > lastRev {
			lastRev = d
		}
		major, _, _ := strings.Cut(strings.TrimSpace(r.Number), ".")
		if n, err := strconv.Atoi(major); err == nil && n > version {
			version = n
		}
	}
	tagged := normalize.Classify(Vendor,
		normalize.Field{Name: "title", Text: title},
		normalize.Field{Name: "tag", Text: tag},
		normalize.Field{Name: "description", Text: description},
		normalize.Field{Name: "faq", Text: faq},
	)
	patchIDs, remedies := b.remediate(v, affected)
	summary := firstParagraph(description)
	if summary == "" {
		summary = strings.TrimSpace(impact + " in " + title)
	}
	adv := normalize.Advisory{
		ID:        cve,
		Vendor:    Vendor,
		Status:    normalize.StatusPublished,
		Title:     title,
		Severity:  severity,
		Published: published,
		Updated:   lastRev,
		Version:   version,
		URL:       guideURL(cve),
		CVEs:      []string{cve},
		Sections:  sections,
	}
	fix := normalize.Fix{
		ID:         cve + "/1",
		AdvisoryID: cve,
		PatchIDs:   patchIDs,
		Vendor:     Vendor,
		Product:    Product,
		Versions:   affected,
		Component:  tagged.Component,
		Category:   tagged.Category,
		Security:   true,
		Severity:   severity,
		CVEs:       []string{cve},
		Summary:    summary,
		Rule:       tagged.Rule,
		Evidence:   tagged.Evidence,
		Remedies:   remedies,
	}
	return adv, fix, nil
}

// affected lists the Known Affected product names in document order.
func (b *builder) affected(v vuln) []string {
	var out []string
	for _, s := range v.Statuses {
		if s.Type != "Known Affected" {
			continue
		}
		for _, pid := range s.ProductIDs {
			name := b.names[strings.TrimSpace(pid)]
			if name == "" {
				name = "product " + strings.TrimSpace(pid)
			}
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// remediate turns the vendor fixes into remedy rows and KB patches.
func (b *builder) remediate(v vuln, affected []string) ([]string, []normalize.Remedy) {
	patchIDs := []string{}
	var remedies []normalize.Remedy
	for _, r := range v.Remediations {
		if r.Type != "Vendor Fix" {
			continue
		}
		desc := strings.TrimSpace(r.Description)
		kb := ""
		if kbNumber.MatchString(desc) {
			kb = "KB" + desc
		}
		for _, pid := range r.ProductIDs {
			name := b.names[strings.TrimSpace(pid)]
			if !slices.Contains(affected, name) {
				continue
			}
			remedies = append(remedies, normalize.Remedy{
				Product:      name,
				Status:       normalize.RemedyFixed,
				PatchID:      kb,
				FixedVersion: strings.TrimSpace(r.FixedBuild),
			})
			if kb != "" {
				b.addPatch(kb, name, r)
			}
		}
		if kb != "" && !slices.Contains(patchIDs, kb) {
			patchIDs = append(patchIDs, kb)
		}
	}
	slices.Sort(patchIDs)
	return patchIDs, remedies
}

func (b *builder) addPatch(kb, productName string, r remediation) {
	acc, ok := b.patches[kb]
	if !ok {
		acc = &patchAcc{p: normalize.Patch{
			ID:             kb,
			Vendor:         Vendor,
			Product:        Product,
			Released:       b.released,
			Classification: strings.TrimSpace(r.SubType),
			URL:            strings.TrimSpace(r.URL),
			Release:        b.id,
		}}
		b.patches[kb] = acc
		b.order = append(b.order, kb)
	}
	if !slices.Contains(acc.versions, productName) {
		acc.versions = append(acc.versions, productName)
	}
	if fb := strings.TrimSpace(r.FixedBuild); fb != "" && !slices.Contains(acc.builds, fb) {
		acc.builds = append(acc.builds, fb)
	}
	acc.restart = append(acc.restart, strings.TrimSpace(r.RestartRequired))
	for _, s := range kbInText.FindAllString(r.Supercedence, -1) {
		if id := "KB" + s; id != kb && !slices.Contains(acc.p.Supersedes, id) {
			acc.p.Supersedes = append(acc.p.Supersedes, id)
		}
	}
}

func (b *builder) patchList() []normalize.Patch {
	var out []normalize.Patch
	for _, kb := range b.order {
		acc := b.patches[kb]
		p := acc.p
		p.Version = strings.Join(acc.versions, "; ")
		p.Build = strings.Join(acc.builds, ", ")
		p.RebootRequired = reboot(acc.restart)
		slices.Sort(p.Supersedes)
		out = append(out, p)
	}
	return out
}

// reboot reads the RestartRequired values of one KB across its products:
// any "Yes" means the host restarts, all "No" means it does not, and
// "Maybe" or nothing leaves it unknown.
func reboot(values []string) *bool {
	yes, no := false, 0
	for _, v := range values {
		switch strings.ToLower(v) {
		case "yes":
			yes = true
		case "no":
			no++
		}
	}
	switch {
	case yes:
		return &yes
	case no > 0 && no == len(values):
		f := false
		return &f
	}
	return nil
}

// bestScore returns the highest CVSS base score of a vulnerability with
// its vector, e.g. "8.1 CVSS:3.1/AV:N/...".
func bestScore(v vuln) string {
	best, vector := -1.0, ""
	for _, s := range v.Scores {
		f, err := strconv.ParseFloat(strings.TrimSpace(s.BaseScore), 64)
		if err == nil && f > best {
			best, vector = f, strings.TrimSpace(s.Vector)
		}
	}
	if best < 0 {
		return ""
	}
	return strings.TrimSpace(strconv.FormatFloat(best, 'f', 1, 64) + " " + vector)
}

// day turns MSRC's "2024-03-12T07:00:00" (with or without a zone) into a
// calendar day.
func day(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 10 {
		return "", fmt.Errorf("unrecognised date %q", s)
	}
	if _, err := time.Parse(normalize.DateLayout, s[:10]); err != nil {
		return "", fmt.Errorf("unrecognised date %q", s)
	}
	return s[:10], nil
}

// htmlText turns a note's HTML into plain text, paragraphs kept apart.
func htmlText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || !strings.Contains(s, "<") {
		return strings.Join(strings.Fields(s), " ")
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(s))
	if err != nil {
		return strings.Join(strings.Fields(s), " ")
	}
	var paras []string
	blocks := doc.Find("p, li")
	if blocks.Length() == 0 {
		return strings.Join(strings.Fields(doc.Text()), " ")
	}
	blocks.Each(func(_ int, b *goquery.Selection) {
		if t := strings.Join(strings.Fields(b.Text()), " "); t != "" {
			paras = append(paras, t)
		}
	})
	return strings.Join(paras, "\n\n")
}

// firstParagraph returns the first paragraph of a text.
func firstParagraph(text string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(text), "\n\n")
	return p
}
