package redhatkvm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

var indexLine = regexp.MustCompile(`^\d{4}/rhsa-\d{4}_\d{4,}\.json$`)

// parseIndex reads index.txt: every RHSA document path becomes a URL to
// visit. Other lines (other advisory kinds) are skipped; an index with no
// RHSA line at all is a layout change, not an empty month.
func parseIndex(body []byte, u *url.URL) (scrapers.Parsed, error) {
	var out scrapers.Parsed
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if indexLine.MatchString(line) {
			out.Follow = append(out.Follow, Base+line)
		}
	}
	if err := sc.Err(); err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	if len(out.Follow) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no \"YYYY/rhsa-YYYY_NNNN.json\" lines (has the index layout changed?)", u)
	}
	return out, nil
}

// csaf holds the parts of a CSAF 2.0 document this source reads.
type csaf struct {
	Document struct {
		Category          string `json:"category"`
		Title             string `json:"title"`
		AggregateSeverity struct {
			Text string `json:"text"`
		} `json:"aggregate_severity"`
		Notes    []note `json:"notes"`
		Tracking struct {
			ID                 string `json:"id"`
			InitialReleaseDate string `json:"initial_release_date"`
			CurrentReleaseDate string `json:"current_release_date"`
			Version            string `json:"version"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches []branch `json:"branches"`
	} `json:"product_tree"`
	Vulnerabilities []vulnerability `json:"vulnerabilities"`
}

type note struct {
	Category string `json:"category"`
	Title    string `json:"title"`
	Text     string `json:"text"`
}

type branch struct {
	Category string   `json:"category"`
	Name     string   `json:"name"`
	Branches []branch `json:"branches"`
}

type vulnerability struct {
	CVE          string        `json:"cve"`
	Title        string        `json:"title"`
	Notes        []note        `json:"notes"`
	Remediations []remediation `json:"remediations"`
	Threats      []struct {
		Category string `json:"category"`
		Details  string `json:"details"`
	} `json:"threats"`
}

type remediation struct {
	Category        string   `json:"category"`
	ProductIDs      []string `json:"product_ids"`
	RestartRequired *struct {
		Category string `json:"category"`
	} `json:"restart_required"`
}

// nevra matches a product_version name, which Red Hat always writes with
// its epoch: "qemu-kvm-10:1.5.3-86.el7_1.2.x86_64".
var nevra = regexp.MustCompile(`^(.+)-\d+:[^-:]+-[^-:]+$`)

// packageName returns the RPM name of a product_version name or of a
// remediation product ID ("AppStream-8.0.0.Z:libvirt-0:4.5.0-…" → libvirt).
func packageName(id string) string {
	if m := nevra.FindStringSubmatch(productVersion(id)); m != nil {
		return m[1]
	}
	return id
}

// kvmTitle matches a vulnerability title that puts the flaw in KVM:
// "kernel: KVM: …", "kernel: x86/kvm: …", a kvm_ function, nested VMX/SVM.
var kvmTitle = regexp.MustCompile(`(?i)(?:^|[\s:(/])KVM(?:$|[^-\w])|\bkvm_\w+|\bn(?:VMX|SVM)\b`)

// kvmDescription matches a description that says the flaw is in KVM: the
// upstream commit subject it quotes ("KVM: s390: …", "x86/kvm: …" at the
// start of a line), or prose naming KVM as the flawed part. A KVM word
// anywhere else (a guest it was seen in, a function on a stack) does not
// say where the flaw is.
var kvmDescription = regexp.MustCompile(`(?im)^\s*(?:[\w-]+/)?KVM(?:/[\w-]+)?:|\b(?:in|of) (?:the )?(?:Linux kernel's |kernel's )?KVM(?:'s\b|$|[.,;:)]| (?:hypervisor|subsystem|module|implementation|code|API|in the Linux kernel)\b)|\bKVM (?:hypervisor|subsystem|module|implementation|code)\b|Kernel-based Virtual Machine|\bkvm\.ko\b|\barch/\w+/kvm\b`)

// packages returns the distinct package names of the product tree.
func packages(bs []branch, into map[string]bool) {
	for _, b := range bs {
		if b.Category == "product_version" {
			into[packageName(b.Name)] = true
		}
		packages(b.Branches, into)
	}
}

// relevance says why a document touches KVM, or "" when it does not.
func relevance(doc csaf) string {
	names := map[string]bool{}
	packages(doc.ProductTree.Branches, names)
	kernel := false
	for n := range names {
		switch {
		case strings.HasPrefix(n, "qemu-kvm"), strings.HasPrefix(n, "libvirt"):
			return "package " + n
		case n == "kernel" || n == "kernel-rt" || n == "kernel-alt" || strings.HasPrefix(n, "kpatch-patch"):
			kernel = true
		}
	}
	if !kernel {
		return ""
	}
	for _, v := range doc.Vulnerabilities {
		// A crash log quoted in a description ("Hardware name: QEMU KVM
		// Virtual Machine") names the reporter's machine, not the flaw.
		description := normalize.WithoutQuotedLogs(noteText(v.Notes, "description"))
		if kvmTitle.MatchString(v.Title) || kvmDescription.MatchString(description) {
			return "kernel vulnerability " + v.CVE
		}
	}
	return ""
}

func noteText(ns []note, category string) string {
	for _, n := range ns {
		if n.Category == category {
			return n.Text
		}
	}
	return ""
}

// parseDocument reads one RHSA CSAF document. Advisories that do not touch
// KVM, and those with no vulnerabilities at all, give an empty result on
// purpose: index.txt lists every Red Hat advisory and only the document
// itself says what it patches.
func parseDocument(body []byte, u *url.URL, wantID string) (scrapers.Parsed, error) {
	var doc csaf
	if err := json.Unmarshal(body, &doc); err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	t := doc.Document.Tracking
	switch {
	case t.ID == "":
		return scrapers.Parsed{}, fmt.Errorf("%s: no document.tracking.id (not a CSAF advisory?)", u)
	case t.ID != wantID:
		return scrapers.Parsed{}, fmt.Errorf("%s: document holds %s, not %s", u, t.ID, wantID)
	case len(doc.Vulnerabilities) == 0:
		// Red Hat also publishes RHSAs that fix nothing, such as
		// end-of-life notices (RHSA-2019:1862): there is no fix to record.
		return scrapers.Parsed{}, nil
	case len(doc.ProductTree.Branches) == 0:
		return scrapers.Parsed{}, fmt.Errorf("%s: %s has no product_tree branches", u, t.ID)
	}
	if relevance(doc) == "" {
		return scrapers.Parsed{}, nil
	}
	published, err := day(t.InitialReleaseDate)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s initial_release_date: %w", u, t.ID, err)
	}
	updated, err := day(t.CurrentReleaseDate)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s current_release_date: %w", u, t.ID, err)
	}
	title := strings.TrimPrefix(doc.Document.Title, "Red Hat Security Advisory: ")
	severity := doc.Document.AggregateSeverity.Text
	adv := normalize.Advisory{
		ID:        t.ID,
		Vendor:    Vendor,
		Status:    normalize.StatusPublished,
		Title:     title,
		Severity:  severity,
		Published: published,
		Updated:   updated,
		Version:   atoi(t.Version),
		URL:       u.String(),
		CVEs:      []string{},
	}
	for _, n := range doc.Document.Notes {
		if n.Category == "summary" || n.Category == "general" {
			adv.Sections = append(adv.Sections, normalize.Section{Title: n.Title, Text: strings.TrimSpace(n.Text)})
		}
		if n.Category == "summary" {
			adv.Affected = firstParagraph(n.Text)
		}
	}
	patch := normalize.Patch{
		ID:             t.ID,
		Vendor:         Vendor,
		Product:        Product,
		Version:        releases(doc),
		Released:       published,
		Classification: "Security",
		URL:            "https://access.redhat.com/errata/" + t.ID,
		AdvisoryID:     t.ID,
		Severity:       severity,
	}
	var fixes []normalize.Fix
	pkgs := map[string]bool{}
	for i, v := range doc.Vulnerabilities {
		// A vulnerability may carry no CVE (a flaw Red Hat tracks only by
		// bug); it is still a fix, with no CVE to list.
		cves := []string{}
		if v.CVE != "" {
			if !normalize.ValidCVE(v.CVE) {
				return scrapers.Parsed{}, fmt.Errorf("%s: %s vulnerability %d has malformed cve %q", u, t.ID, i+1, v.CVE)
			}
			cves = append(cves, v.CVE)
			adv.CVEs = append(adv.CVEs, v.CVE)
		}
		names := map[string]bool{}
		for _, r := range v.Remediations {
			if r.Category != "vendor_fix" {
				continue
			}
			for _, id := range r.ProductIDs {
				names[packageName(id)] = true
				pkgs[productVersion(id)] = true
			}
			if r.RestartRequired != nil {
				patch.RebootRequired, patch.VMRestartRequired = restart(r.RestartRequired.Category)
			}
		}
		sorted := keys(names)
		description := noteText(v.Notes, "description")
		tag := normalize.Classify(Vendor,
			normalize.Field{Name: "title", Text: v.Title},
			normalize.Field{Name: "description", Text: description},
			normalize.Field{Name: "packages", Text: strings.Join(sorted, " ")},
		)
		fixes = append(fixes, normalize.Fix{
			ID:         fmt.Sprintf("%s/%d", t.ID, i+1),
			AdvisoryID: t.ID,
			PatchIDs:   []string{t.ID},
			Vendor:     Vendor,
			Product:    Product,
			Versions:   []string{patch.Version},
			Component:  tag.Component,
			Category:   tag.Category,
			Security:   true,
			Severity:   impact(v),
			CVEs:       cves,
			Summary:    v.Title,
			Rule:       tag.Rule,
			Evidence:   tag.Evidence,
		})
	}
	patch.Packages = keys(pkgs)
	if patch.RebootRequired == nil {
		patch.RebootRequired, patch.VMRestartRequired = restartFromPackages(patch.Packages)
	}
	slices.Sort(adv.CVEs)
	adv.CVEs = slices.Compact(adv.CVEs)
	return scrapers.Parsed{Result: normalize.Result{
		Advisories: []normalize.Advisory{adv},
		Patches:    []normalize.Patch{patch},
		Fixes:      fixes,
	}}, nil
}

// productVersion drops the product prefix of a remediation product ID:
// "7Server-7.1.Z:qemu-kvm-10:1.5.3-86.el7_1.2.x86_64" → the package NEVRA.
// The NEVRA carries one colon (its epoch), so a second one marks a prefix.
func productVersion(id string) string {
	if strings.Count(id, ":") >= 2 {
		_, rest, _ := strings.Cut(id, ":")
		return rest
	}
	return id
}

// releases names the Red Hat product streams of the tree's product_name
// branches, joined, so a patch says which RHEL it is for.
func releases(doc csaf) string {
	var out []string
	var walk func([]branch)
	walk = func(bs []branch) {
		for _, b := range bs {
			if b.Category == "product_name" && !slices.Contains(out, b.Name) {
				out = append(out, b.Name)
			}
			walk(b.Branches)
		}
	}
	walk(doc.ProductTree.Branches)
	return strings.Join(out, "; ")
}

// restart maps a CSAF restart_required category to the host reboot and the
// guest restart flags: machine, system and zone restart the host; the
// vulnerable component, its parent or its dependencies restart the guests'
// qemu processes; none restarts nothing.
func restart(category string) (host, guests *bool) {
	switch category {
	case "machine", "system", "zone":
		return ptr(true), ptr(true)
	case "vulnerable_component", "parent", "child", "dependencies", "connected", "service":
		return ptr(false), ptr(true)
	case "none":
		return ptr(false), ptr(false)
	}
	return nil, nil
}

// restartFromPackages is the fallback when a document has no
// restart_required (Red Hat's documents usually have none): a new kernel
// needs a host reboot; a new qemu-kvm takes effect only when each guest's
// qemu process restarts (Red Hat's advisories tell users to shut down and
// start their guests); libvirt needs neither.
func restartFromPackages(pkgs []string) (host, guests *bool) {
	qemu := false
	for _, p := range pkgs {
		switch n := packageName(p); {
		case n == "kernel" || n == "kernel-rt":
			return ptr(true), ptr(true)
		case strings.HasPrefix(n, "qemu-kvm"):
			qemu = true
		}
	}
	if qemu {
		return ptr(false), ptr(true)
	}
	return ptr(false), ptr(false)
}

func impact(v vulnerability) string {
	for _, t := range v.Threats {
		if t.Category == "impact" {
			return t.Details
		}
	}
	return ""
}

// day turns an RFC 3339 CSAF timestamp into YYYY-MM-DD (UTC).
func day(s string) (string, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("unrecognised date %q", s)
	}
	return t.UTC().Format(normalize.DateLayout), nil
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func firstParagraph(text string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(text), "\n\n")
	return strings.Join(strings.Fields(p), " ")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func ptr(b bool) *bool { return &b }
