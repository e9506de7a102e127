// Package normalize holds the one schema every vendor's pages are mapped
// into (advisories, patches, fixes) and the classifier that tags each fix
// with what part of a virtualization host it touches.
//
// Scrapers know their vendor's layout; everything they produce is expressed
// in these types, so the store, the exports and the analyses never need to
// know which vendor a record came from.
package normalize

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// DateLayout is the only date format used in records: a calendar day, UTC.
const DateLayout = "2006-01-02"

// Status says whether an advisory number carries a real advisory.
type Status string

// Advisory statuses. Vendors leave gaps in their numbering; recording the
// gap says "we saw this number and there is nothing behind it".
const (
	StatusPublished Status = "published"
	StatusWithdrawn Status = "withdrawn"
	StatusUnused    Status = "unused"
)

// Validate reports whether s is one of the known statuses.
func (s Status) Validate() error {
	switch s {
	case StatusPublished, StatusWithdrawn, StatusUnused:
		return nil
	}
	return fmt.Errorf("unknown advisory status %q", string(s))
}

// Category says what part of a virtualization host a fix touches. It is the
// answer to the project's question: how much patching is the management OS
// beside the hypervisor rather than the hypervisor itself.
type Category string

// Fix categories.
const (
	// ConsoleOS is the management OS beside the hypervisor: the ESX service
	// console, Xen's dom0 kernel, userland and toolstack, Hyper-V's parent
	// partition, a KVM host's kernel outside kvm.ko, and the management
	// agents in them.
	ConsoleOS Category = "console-os"
	// VMM is the hypervisor and its virtual machine monitor, with the
	// device emulation a guest reaches wherever it runs: qemu is VMM for
	// every vendor.
	VMM Category = "vmm"
	// HardwareCompat is drivers, firmware, CPU errata and their mitigations.
	HardwareCompat Category = "hardware-compat"
	// Feature is an enhancement or new capability.
	Feature Category = "feature"
	// Unclassified means no rule had the evidence; the fix's Evidence field
	// then says why.
	Unclassified Category = "unclassified"
)

// Categories lists every category in a stable order, for reports.
var Categories = []Category{ConsoleOS, VMM, HardwareCompat, Feature, Unclassified}

// Validate reports whether c is one of the known categories.
func (c Category) Validate() error {
	for _, k := range Categories {
		if c == k {
			return nil
		}
	}
	return fmt.Errorf("unknown fix category %q", string(c))
}

// Section is one titled block of an advisory's text, kept so analysts can
// read and search what the vendor said without re-fetching the page.
type Section struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Advisory is one vendor security advisory (VMSA-2012-0005, XSA-355, …).
type Advisory struct {
	ID       string `json:"id"`
	Vendor   string `json:"vendor"`
	Status   Status `json:"status"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	// Published and Updated are YYYY-MM-DD, or empty when the page does
	// not say (the Xen advisory text leaves dates to the index).
	Published string `json:"published"`
	Updated   string `json:"updated"`
	// Version is the vendor's revision number of the advisory; 0 if unknown.
	Version int    `json:"version"`
	URL     string `json:"url"`
	// Affected is the vendor's own sentence on which versions are
	// vulnerable, verbatim from the page.
	Affected string    `json:"affected"`
	CVEs     []string  `json:"cves"`
	Sections []Section `json:"sections,omitempty"`
}

// Patch is one installable unit: a maintenance event for a host of that
// product and version (an ESX patch bundle, a Xen patch file, a KB update).
type Patch struct {
	ID             string `json:"id"`
	Vendor         string `json:"vendor"`
	Product        string `json:"product"`
	Version        string `json:"version"`
	Released       string `json:"released"`
	Classification string `json:"classification"`
	// RebootRequired is nil when the vendor does not say and no rule can
	// tell.
	RebootRequired *bool  `json:"reboot_required"`
	URL            string `json:"url"`
	AdvisoryID     string `json:"advisory_id,omitempty"`
	// Severity is the vendor's rating of the patch (a VMware bulletin's
	// Critical/Important/Moderate/Low), where it has one.
	Severity string `json:"severity,omitempty"`
	// VMRestartRequired says whether guests must be migrated or shut down
	// while the patch is installed; nil when the vendor does not say.
	VMRestartRequired *bool `json:"vm_restart_required,omitempty"`
	// Supersedes lists the patch IDs this one replaces.
	Supersedes []string `json:"supersedes,omitempty"`
	// Packages lists what the patch installs: RPMs, VIBs, KB packages.
	Packages []string `json:"packages,omitempty"`
	// Build is the product build number the patch brings a host to.
	Build string `json:"build,omitempty"`
	// Release is the vendor's release that groups this patch with others
	// (a VMware patch release such as ESXi670-202103001).
	Release string `json:"release,omitempty"`
}

// Remedy statuses used across vendors, so "is there a fix for my version"
// reads the same everywhere.
const (
	RemedyFixed         = "fixed"
	RemedyNotAffected   = "not-affected"
	RemedyPatchPending  = "patch-pending"
	RemedyNotApplicable = "not-applicable"
	RemedyWorkaround    = "workaround"
)

// Remedy is one row of a vendor's remedy table: for this product, version
// and platform, what to apply (or why nothing is needed).
type Remedy struct {
	Product  string `json:"product"`
	Version  string `json:"version"`
	Platform string `json:"platform,omitempty"`
	// Status is one of the Remedy* constants.
	Status       string `json:"status"`
	PatchID      string `json:"patch_id,omitempty"`
	FixedVersion string `json:"fixed_version,omitempty"`
}

// Fix is one problem fixed, with what it touches and why we think so.
type Fix struct {
	// ID is stable across harvests: the advisory (or patch) ID and the
	// fix's position within it, e.g. "XSA-355/1".
	ID         string   `json:"id"`
	AdvisoryID string   `json:"advisory_id"`
	PatchIDs   []string `json:"patch_ids"`
	Vendor     string   `json:"vendor"`
	Product    string   `json:"product"`
	Versions   []string `json:"versions"`
	Component  string   `json:"component"`
	Category   Category `json:"category"`
	Security   bool     `json:"security"`
	Severity   string   `json:"severity"`
	CVEs       []string `json:"cves"`
	Summary    string   `json:"summary"`
	// Rule names the classifier rule that set Category; Evidence is the
	// text it matched (or, for unclassified, why nothing matched).
	Rule     string `json:"rule"`
	Evidence string `json:"evidence"`
	// Remedies are the per-product rows of the advisory's remedy table
	// for this fix, where the vendor gives one.
	Remedies []Remedy `json:"remedies,omitempty"`
}

// Result is everything parsed from one page. It is also the JSON printed by
// `patchwatch parse`, so its field names are a public interface.
type Result struct {
	Advisories []Advisory `json:"advisories"`
	Patches    []Patch    `json:"patches"`
	Fixes      []Fix      `json:"fixes"`
}

// Count is how many records (advisories, patches and fixes) the page yielded.
func (r Result) Count() int {
	return len(r.Advisories) + len(r.Patches) + len(r.Fixes)
}

// Empty reports whether the page yielded no records at all.
func (r Result) Empty() bool { return r.Count() == 0 }

var cvePattern = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// ValidCVE reports whether s is a well-formed CVE identifier.
func ValidCVE(s string) bool { return cvePattern.MatchString(s) }

func validDate(s string) bool {
	if s == "" {
		return true
	}
	_, err := time.Parse(DateLayout, s)
	return err == nil
}

// Validate checks the invariants the store and exports rely on, so a
// parser bug is reported against its page instead of landing in the data.
func (r Result) Validate() error {
	var errs []error
	for _, a := range r.Advisories {
		if a.ID == "" || a.Vendor == "" {
			errs = append(errs, fmt.Errorf("advisory %q: id and vendor are required", a.ID))
		}
		if err := a.Status.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("advisory %s: %w", a.ID, err))
		}
		if !validDate(a.Published) || !validDate(a.Updated) {
			errs = append(errs, fmt.Errorf("advisory %s: dates must be YYYY-MM-DD, got %q and %q", a.ID, a.Published, a.Updated))
		}
		for _, c := range a.CVEs {
			if !ValidCVE(c) {
				errs = append(errs, fmt.Errorf("advisory %s: malformed CVE %q", a.ID, c))
			}
		}
	}
	for _, p := range r.Patches {
		if p.ID == "" || p.Vendor == "" {
			errs = append(errs, fmt.Errorf("patch %q: id and vendor are required", p.ID))
		}
		if !validDate(p.Released) {
			errs = append(errs, fmt.Errorf("patch %s: release date must be YYYY-MM-DD, got %q", p.ID, p.Released))
		}
	}
	for _, f := range r.Fixes {
		if f.ID == "" || f.Vendor == "" {
			errs = append(errs, fmt.Errorf("fix %q: id and vendor are required", f.ID))
		}
		if err := f.Category.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("fix %s: %w", f.ID, err))
		}
		if f.Rule == "" || f.Evidence == "" {
			errs = append(errs, fmt.Errorf("fix %s: a category needs its rule and evidence", f.ID))
		}
		for _, c := range f.CVEs {
			if !ValidCVE(c) {
				errs = append(errs, fmt.Errorf("fix %s: malformed CVE %q", f.ID, c))
			}
		}
		for _, r := range f.Remedies {
			switch r.Status {
			case RemedyFixed, RemedyNotAffected, RemedyPatchPending, RemedyNotApplicable, RemedyWorkaround:
			default:
				errs = append(errs, fmt.Errorf("fix %s: remedy for %s %s has unknown status %q", f.ID, r.Product, r.Version, r.Status))
			}
		}
	}
	return errors.Join(errs...)
}
