package vmware

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// advisoryFromText builds the records of one advisory from its text, in
// whichever layout it came (mail, 2016 page, Response Matrix page). wantID,
// when set, is the advisory the URL names: the text is a vmware.com page.
//
// An advisory without a single remedy row is an error (the layout has
// changed), except on a vmware.com page in the mail layout ("3. Problem
// Description") whose items name CVEs: copies of the 2016 pages carry
// their div tables as images, and the items and CVEs are still worth
// keeping.
func advisoryFromText(text string, u *url.URL, wantID string) (scrapers.Parsed, error) {
	// Mail text keeps the no-break spaces of its copy; they are spaces.
	head, sections := splitAdvisory(strings.ReplaceAll(text, "\u00a0", " "))
	if len(sections) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: no numbered sections (1. Summary, 3. Problem Description…) found", u)
	}
	h, err := parseHeader(head)
	if err != nil {
		return scrapers.Parsed{}, fmt.Errorf("%s: %w", u, err)
	}
	if wantID != "" && h.id != wantID {
		return scrapers.Parsed{}, fmt.Errorf("%s: page holds %s, not %s", u, h.id, wantID)
	}
	var items []item
	problems, textLayout := section(sections, "problem description")
	if textLayout {
		items = mailItems(problems)
	} else {
		items = matrixItems(text)
	}
	if len(items) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: %s has no problem items (no Problem Description section and no \"3a.\" headings)", u, h.id)
	}
	adv := normalize.Advisory{
		ID:        h.id,
		Vendor:    Vendor,
		Status:    normalize.StatusPublished,
		Title:     h.synopsis,
		Severity:  h.severity,
		Published: h.issued,
		Updated:   h.updated,
		Version:   h.revision,
		URL:       advisoryURL(h.id),
		CVEs:      h.cves,
		Sections:  sections,
	}
	relevant := ""
	for _, name := range []string{"relevant", "impacted products"} {
		if rel, ok := section(sections, name); ok {
			adv.Affected = releaseList(rel)
			relevant = rel
			break
		}
	}
	var out scrapers.Parsed
	seenPatch := map[string]bool{}
	for _, it := range items {
		f := itemFix(h, it, len(items) == 1)
		adv.CVEs = append(adv.CVEs, f.CVEs...)
		for _, r := range f.Remedies {
			if r.PatchID == "" || seenPatch[r.PatchID] {
				continue
			}
			seenPatch[r.PatchID] = true
			out.Patches = append(out.Patches, normalize.Patch{
				ID: r.PatchID, Vendor: Vendor, Product: productName(r.Product), Version: r.Version, AdvisoryID: h.id,
			})
		}
		out.Fixes = append(out.Fixes, f)
	}
	// Patches the releases section names ("ESXi 4.0 without patches
	// ESXi400-201302401-SG and ESXi400-201302403-SG") and no item does.
	for _, r := range patchList(relevant) {
		if r.PatchID != "" && !seenPatch[r.PatchID] {
			seenPatch[r.PatchID] = true
			out.Patches = append(out.Patches, normalize.Patch{ID: r.PatchID, Vendor: Vendor, Product: r.Product, Version: r.Version, AdvisoryID: h.id})
		}
	}
	remedies := 0
	for _, f := range out.Fixes {
		remedies += len(f.Remedies)
	}
	if remedies == 0 && !(wantID != "" && textLayout && len(adv.CVEs) > 0) {
		missing := "no remedy table or patch list in any problem item"
		if !textLayout {
			missing = "no Response Matrix table (no \"Fixed Version\" column)"
		}
		return scrapers.Parsed{}, fmt.Errorf("%s: %s: %s", u, h.id, missing)
	}
	adv.CVEs = sortedUnique(adv.CVEs)
	out.Advisories = []normalize.Advisory{adv}
	return out, nil
}

// releaseList puts the lines of a "Relevant releases" or "Impacted
// Products" section on one line, one release per "; ".
func releaseList(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), strings.TrimSpace(bullet))), " ")
		switch {
		case l == "":
		case len(out) > 0 && strings.HasSuffix(out[len(out)-1], ","):
			// A release wrapped after a comma goes on.
			out[len(out)-1] += " " + l
		default:
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// itemFix turns one problem item into a fix.
func itemFix(h header, it item, only bool) normalize.Fix {
	tf := remedyTable(it.text)
	remedies := tf.remedies
	if len(remedies) == 0 {
		remedies = patchList(it.text + "\n" + it.shared)
	}
	cves := sortedUnique(append(cvePattern.FindAllString(it.title+"\n"+it.text, -1), tf.cves...))
	if len(cves) == 0 && only {
		cves = h.cves
	}
	body := itemBody(it)
	product, versions := chooseProduct(remedies, it.title)
	fields := []normalize.Field{
		{Name: "component", Text: strings.Join(tf.components, ", ")},
		{Name: "title", Text: it.title},
		{Name: "description", Text: body},
	}
	tag := normalize.ClassifyVMware(needFix(remedies, it.title), fields...)
	var patchIDs []string
	for _, r := range remedies {
		patchIDs = append(patchIDs, r.PatchID)
	}
	patchIDs = unique(patchIDs)
	if remedies == nil {
		remedies = []normalize.Remedy{}
	}
	return normalize.Fix{
		ID:         h.id + "/" + it.letter,
		AdvisoryID: h.id,
		PatchIDs:   orEmpty(patchIDs),
		Vendor:     Vendor,
		Product:    product,
		Versions:   orEmpty(versions),
		Component:  componentFor(tag, product, tf.components, it.title, body),
		Category:   tag.Category,
		Security:   true,
		Severity:   firstNonEmpty(tf.severity, h.severity),
		CVEs:       cves,
		Summary:    firstParagraph(body),
		Rule:       tag.Rule,
		Evidence:   tag.Evidence,
		Remedies:   remedies,
	}
}

var itemLabel = regexp.MustCompile(`(?i)^(description|known attack vectors|resolution|workarounds|additional documentation|acknowledgements|notes|response matrix)\s*:?\s*$`)

// itemBody is an item's text without its heading, label-only lines
// ("Description:") and table rows: the prose the classifier reads.
func itemBody(it item) string {
	var out []string
	for _, l := range strings.Split(it.body, "\n") {
		t := strings.TrimSpace(l)
		if itemLabel.MatchString(t) || strings.Contains(t, cellSep) || tableRule.MatchString(t) {
			continue
		}
		out = append(out, t)
	}
	return tidyLines(strings.Join(out, "\n"))
}

var knownProduct = regexp.MustCompile(`\b(vCenter Server Appliance|vCenter Server|vCenter Orchestrator|vCenter Update Manager|VirtualCenter|vSphere Client|vSphere Web Client|vShield Manager|vSphere Data Protection|vRealize [A-Z]\w+(?: [A-Z]\w+)?|vCloud Director|NSX|Horizon(?: View| DaaS)?|VMware Tools|Workstation|Fusion|Player|ESXi|ESX)\b`)

// needFix lists the products an item needs a fix in: those of its remedy
// rows that are fixed or pending, or, without such rows, the products its
// title names. The product decides before the text (normalize.ClassifyVMware).
func needFix(rs []normalize.Remedy, title string) []string {
	var out []string
	for _, r := range rs {
		if affected(r) {
			out = append(out, productName(r.Product))
		}
	}
	if out = unique(out); len(out) == 0 {
		for _, p := range knownProduct.FindAllString(title, -1) {
			out = append(out, productName(p))
		}
	}
	return unique(out)
}

// chooseProduct names the product a fix is for: the ESX family when any
// ESX or ESXi row needed a fix, otherwise the first product that did (so a
// Workstation-only item is a Workstation fix and never counts as ESX),
// otherwise whatever the table or the title names first.
func chooseProduct(rs []normalize.Remedy, title string) (string, []string) {
	pick := ""
	for _, pass := range []func(normalize.Remedy) bool{
		func(r normalize.Remedy) bool { return affected(r) && esxFamily(r.Product) },
		affected,
		func(r normalize.Remedy) bool { return true },
	} {
		for _, r := range rs {
			if pass(r) {
				pick = productName(r.Product)
				break
			}
		}
		if pick != "" {
			break
		}
	}
	if pick == "" {
		pick = knownProduct.FindString(title)
	}
	var versions []string
	for _, r := range rs {
		if productName(r.Product) == pick && affected(r) {
			versions = append(versions, r.Version)
		}
	}
	return pick, unique(versions)
}

var (
	consolePackage = regexp.MustCompile(`(?i)\b(samba|bind|krb5|vixie-cron|shadow-utils|openldap|pam|gcc|gdb|util-linux|perl|openssl|libxml2|glibc|bzip2|python|openssh|nss|curl|sudo|tzdata|expat|zlib|libpng|libtiff|freetype|net-snmp|ntp|kernel)\b`)
	agentName      = regexp.MustCompile(`(?i)\b(hostd|vpxa|OpenPegasus|Pegasus|openwsman|sfcb|OpenSLP|Tomcat|JRE|vSphere API|Web Services|backuptools|Consolidated Backup)\b`)
)

// componentFor names what the fix touches. The Response Matrix's own
// Component column wins; a service-console or userland rule is refined
// with the package it names ("bind (service console)"); a management agent
// with the agent, marked as running in the service console on ESX classic.
func componentFor(tag normalize.Tag, product string, matrix []string, texts ...string) string {
	if len(matrix) > 0 {
		return strings.Join(matrix, ", ")
	}
	find := func(re *regexp.Regexp) string {
		for _, t := range texts {
			if m := re.FindString(t); m != "" {
				return m
			}
		}
		return ""
	}
	switch tag.Rule {
	case "vmware-cos-kernel":
		return "kernel (service console)"
	case "vmware-service-console":
		if p := find(consolePackage); p != "" {
			return strings.ToLower(p) + " (service console)"
		}
	case "vmware-userland-package":
		if p := find(consolePackage); p != "" {
			if product == "ESX" {
				return strings.ToLower(p) + " (service console)"
			}
			return strings.ToLower(p)
		}
	case "vmware-management-agent":
		if a := find(agentName); a != "" {
			if product == "ESX" {
				return a + " (service console)"
			}
			return a
		}
	}
	if tag.Component != "" {
		return tag.Component
	}
	return product
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
