// Package redhatkvm reads KVM and QEMU fixes from Red Hat's security
// advisories (RHSA) published as CSAF 2.0 documents.
//
// KVM has no vendor advisory stream of its own: fixes to kvm.ko, qemu-kvm
// and libvirt reach operators through distributions, and Red Hat's is the
// most complete machine-readable one. URL patterns (real):
//
//   - index https://security.access.redhat.com/data/csaf/v2/advisories/index.txt:
//     one relative path a line, "2015/rhsa-2015_0999.json"; changes.csv beside
//     it lists the same paths with their last-change time, deletions.csv the
//     withdrawn ones, and archive_latest.txt names the archive of them all.
//   - advisory https://security.access.redhat.com/data/csaf/v2/advisories/<year>/rhsa-<year>_<nnnn>.json:
//     document (tracking id RHSA-2015:0999, dates, aggregate_severity, notes),
//     product_tree (branches down to product_version entries named
//     "qemu-kvm-10:1.5.3-86.el7_1.2.x86_64"), vulnerabilities (cve, title,
//     notes, threats impact, remediations vendor_fix with product_ids and an
//     optional restart_required category).
//
// The first harvest streams the archive archive_latest.txt names (every
// advisory in one .tar.zst) and later harvests read changes.csv and
// deletions.csv beside it (changes.go), so a document is fetched on its own
// only when it changed; index.txt, which lists every advisory without a
// date, is no longer read. The parser keeps only documents that touch KVM:
// a product_version whose package is qemu-kvm* or libvirt*, or a kernel
// erratum with a vulnerability whose title or notes name KVM. The source is named "redhat-kvm" rather
// than "kvm" because it is Red Hat's view of KVM (its package versions and
// dates); another distribution would be another source.
package redhatkvm

import (
	"fmt"
	"regexp"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Base is the CSAF advisories directory; every URL of the source is under it.
const Base = "https://security.access.redhat.com/data/csaf/v2/advisories/"

// Vendor is the vendor name on every record.
const Vendor = "redhat-kvm"

// Product names the platform on patches and fixes.
const Product = "Red Hat Enterprise Linux KVM"

func init() { scrapers.Register(Source{}) }

// Source is the Red Hat CSAF source filtered to KVM.
type Source struct{}

// Name implements scrapers.Source.
func (Source) Name() string { return Vendor }

// Description implements scrapers.Source.
func (Source) Description() string {
	return "KVM/QEMU/libvirt fixes from Red Hat CSAF 2.0 advisories (index.txt, then each RHSA JSON)"
}

// Seeds implements scrapers.Source: the change list and the deletion list.
// The harvest first fills the source from the archive (ArchivePointer)
// when it never has; index.txt, which lists every advisory without a
// date, is no longer read, though pages of it stored earlier still parse.
func (Source) Seeds() []string { return []string{Changes, Deletions} }

// Domains implements scrapers.Source.
func (Source) Domains() []string { return []string{"security.access.redhat.com"} }

var documentPath = regexp.MustCompile(`^/data/csaf/v2/advisories/(\d{4})/rhsa-(\d{4})_(\d{4,})\.json$`)

// Parse implements scrapers.Source, choosing the parser by URL.
func (Source) Parse(p scrapers.Page) (scrapers.Parsed, error) {
	u := p.URL
	if u.Host != "security.access.redhat.com" {
		return scrapers.Parsed{}, fmt.Errorf("%s: not a security.access.redhat.com page", u)
	}
	switch {
	case u.Path == "/data/csaf/v2/advisories/index.txt":
		return parseIndex(p.Body, u)
	case u.String() == ArchivePointer:
		return parsePointer(p.Body, u)
	case u.String() == Changes:
		return parseChanges(p.Body, u)
	case u.String() == Deletions:
		return parseDeletions(p.Body, u)
	case documentPath.MatchString(u.Path):
		m := documentPath.FindStringSubmatch(u.Path)
		return parseDocument(p.Body, u, "RHSA-"+m[2]+":"+m[3])
	}
	return scrapers.Parsed{}, fmt.Errorf("%s: no redhat-kvm parser for this path", u)
}
