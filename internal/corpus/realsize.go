package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Size is how large each measured source is generated, in the vendors'
// real proportions (issue 16).
type Size struct {
	RedHat      int // CSAF advisories in the archive
	RedHatKVM   int // of which about KVM
	RedHatLate  int // changed after the archive was built
	MSRCMonths  int // monthly CVRF documents
	MSRCMB      int // size of each, in MB (the real ones are 5-15)
	BroadcomVMS int // VMSAs in the Broadcom list
	XSAs        int // Xen advisories
}

// RealSize is the size the issue asks the bench to measure at.
var RealSize = Size{RedHat: 30000, RedHatKVM: 300, RedHatLate: 10, MSRCMonths: 120, MSRCMB: 8, BroadcomVMS: 1000, XSAs: 500}

// GenerateSites writes, in the replay layout, every page the Red Hat,
// Microsoft, VMware and Xen sources read at size sz, built from the
// recorded fixtures: the Red Hat archive (streamed to disk) with its
// pointer and change lists and the documents changed after it; the MSRC
// updates index and its months; the Broadcom list as POST answers, page by
// page, and each advisory page it names; Xen's feed, index and texts; and
// VMware's older-era pages as recorded.
func GenerateSites(fixtures, dir string, sz Size) (Stats, error) {
	var total Stats
	for _, gen := range []func(string, string, Size) (Stats, error){genRedHat, genMSRC, genBroadcom, genXen, copyVMware} {
		st, err := gen(fixtures, dir, sz)
		if err != nil {
			return Stats{}, err
		}
		total.Pages += st.Pages
		total.Bytes += st.Bytes
	}
	return total, nil
}

func genXen(fixtures, dir string, sz Size) (Stats, error) { return generateXen(fixtures, dir, sz.XSAs) }

// genRedHat writes sz.RedHat documents into the archive, one in every
// RedHat/RedHatKVM from a KVM template and the rest from the recorded
// fence-agents erratum; the last RedHatLate are dated after the archive
// and written as files too.
func genRedHat(fixtures, dir string, sz Size) (Stats, error) {
	tdir := filepath.Join(fixtures, filepath.FromSlash(csafRoot))
	other, err := os.ReadFile(filepath.Join(tdir, "2023", "rhsa-2023_7435.json"))
	if err != nil {
		return Stats{}, err
	}
	var kvm [][]byte
	for _, rel := range []string{"2015/rhsa-2015_0999.json", "2016/rhsa-2016_0724.json", "2018/rhsa-2018_1318.json", "2019/rhsa-2019_1185.json"} {
		b, err := os.ReadFile(filepath.Join(tdir, filepath.FromSlash(rel)))
		if err != nil {
			return Stats{}, err
		}
		kvm = append(kvm, b)
	}
	root := filepath.Join(dir, filepath.FromSlash(csafRoot))
	a, err := newCSAFArchive(root)
	if err != nil {
		return Stats{}, err
	}
	every := max(1, sz.RedHat/max(1, sz.RedHatKVM))
	var st Stats
	for i := 1; i <= sz.RedHat; i++ {
		t := other
		if i%every == 0 {
			t = kvm[(i/every)%len(kvm)]
		}
		old := csafID.FindStringSubmatch(string(t))
		year, num := 2001+i%25, fmt.Sprintf("%05d", i)
		body := []byte(strings.NewReplacer(
			old[1]+":"+old[2], fmt.Sprintf("%d:%s", year, num),
			old[1]+"_"+old[2], fmt.Sprintf("%d_%s", year, num),
		).Replace(string(t)))
		rel := fmt.Sprintf("%d/rhsa-%d_%s.json", year, year, num)
		if i > sz.RedHat-sz.RedHatLate {
			a.changedLater(rel)
			name := filepath.Join(root, filepath.FromSlash(rel))
			if err := st.write(name, body); err != nil {
				return Stats{}, err
			}
			continue
		}
		if err := a.put(rel, body); err != nil {
			return Stats{}, err
		}
		if i%1000 == 1 {
			a.deleted(fmt.Sprintf("%d/rhsa-%d_%s.json", year, year, fmt.Sprintf("%05d", 90000+i)))
		}
	}
	n, err := a.close()
	if err != nil {
		return Stats{}, err
	}
	st.Pages += 4
	st.Bytes += n
	return st, nil
}

// msrcPad is one non-Hyper-V vulnerability of the 2024-Mar template,
// repeated to bring a month to its real size; the parser drops it, as it
// drops most of a real Patch Tuesday.
var msrcPad = regexp.MustCompile(`(?s)\n    <vuln:Vulnerability Ordinal="3">.*?</vuln:Vulnerability>`)

// genMSRC writes the updates index and sz.MSRCMonths monthly documents of
// sz.MSRCMB each, the 2024-Mar recording renamed and padded.
func genMSRC(fixtures, dir string, sz Size) (Stats, error) {
	base := filepath.Join(fixtures, "api.msrc.microsoft.com", "cvrf", "v3.0")
	tmpl, err := os.ReadFile(filepath.Join(base, "cvrf", "2024-Mar"))
	if err != nil {
		return Stats{}, err
	}
	pad := msrcPad.Find(tmpl)
	if pad == nil {
		return Stats{}, fmt.Errorf("%s: no Ordinal 3 vulnerability to pad with", filepath.Join(base, "cvrf", "2024-Mar"))
	}
	out := filepath.Join(dir, "api.msrc.microsoft.com", "cvrf", "v3.0")
	if err := os.MkdirAll(filepath.Join(out, "cvrf"), 0o755); err != nil {
		return Stats{}, err
	}
	type entry struct {
		ID                 string `json:"ID"`
		Alias              string `json:"Alias"`
		DocumentTitle      string `json:"DocumentTitle"`
		InitialReleaseDate string `json:"InitialReleaseDate"`
		CurrentReleaseDate string `json:"CurrentReleaseDate"`
		CvrfURL            string `json:"CvrfUrl"`
	}
	var st Stats
	var entries []entry
	start := time.Date(2016, 1, 12, 7, 0, 0, 0, time.UTC)
	for m := 0; m < sz.MSRCMonths; m++ {
		day := start.AddDate(0, m, 0)
		id := day.Format("2006-Jan")
		var b strings.Builder
		body := strings.ReplaceAll(string(tmpl), "2024-Mar", id)
		end := strings.LastIndex(body, "</cvrf:cvrfdoc>")
		b.WriteString(body[:end])
		for k := 0; b.Len() < sz.MSRCMB<<20; k++ {
			b.WriteString(strings.Replace(string(pad), "CVE-2024-21429", fmt.Sprintf("CVE-%d-%05d", day.Year(), 50000+k), 1))
		}
		b.WriteString("\n" + body[end:])
		if err := os.WriteFile(filepath.Join(out, "cvrf", id), []byte(b.String()), 0o644); err != nil {
			return Stats{}, err
		}
		st.Pages++
		st.Bytes += int64(b.Len())
		entries = append(entries, entry{ID: id, Alias: id, DocumentTitle: day.Format("January 2006") + " Security Updates",
			InitialReleaseDate: day.Format(time.RFC3339), CurrentReleaseDate: day.AddDate(0, 0, 28).Format(time.RFC3339),
			CvrfURL: "https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/" + id})
	}
	index, err := json.Marshal(map[string]any{"@odata.context": "https://api.msrc.microsoft.com/$metadata#Updates", "value": entries})
	if err != nil {
		return Stats{}, err
	}
	if err := os.WriteFile(filepath.Join(out, "updates"), index, 0o644); err != nil {
		return Stats{}, err
	}
	st.Pages++
	st.Bytes += int64(len(index))
	return st, nil
}

// The Broadcom hosts' paths.
const (
	broadcomList   = "https://support.broadcom.com/web/ecx/security-advisory/-/securityadvisory/getSecurityAdvisoryList"
	broadcomNotice = "https://support.broadcom.com/web/ecx/support-content-notification/-/external/content/SecurityAdvisories/0/"
)

// genBroadcom writes the Broadcom list as the answers to its POST pages
// (50 VMSAs a page, newest update first, each recorded under the hash of
// the body the vmware source sends) and each advisory page they name, the
// recorded VMSA-2024-0012 page renumbered.
func genBroadcom(fixtures, dir string, sz Size) (Stats, error) {
	src, err := scrapers.Lookup("vmware")
	if err != nil {
		return Stats{}, err
	}
	seeder, ok := src.(scrapers.RequestSeeder)
	if !ok {
		return Stats{}, fmt.Errorf("the vmware source sends no seed request")
	}
	tmpl, err := os.ReadFile(filepath.Join(fixtures, "support.broadcom.com", filepath.FromSlash(strings.TrimPrefix(broadcomNotice, "https://support.broadcom.com/")), "24453"))
	if err != nil {
		return Stats{}, err
	}
	type item struct {
		NotificationID  int    `json:"notificationId"`
		NotificationURL string `json:"notificationUrl"`
		DocumentID      string `json:"documentId"`
		Title           string `json:"title"`
		Severity        string `json:"severity"`
		AffectedCve     string `json:"affectedCve"`
		SupportProducts string `json:"supportProducts"`
		Published       string `json:"published"`
		Updated         string `json:"updated"`
	}
	var st Stats
	var items []item
	newest := time.Date(2025, 12, 20, 5, 14, 24, 0, time.UTC)
	for i := range sz.BroadcomVMS {
		vmsa := fmt.Sprintf("VMSA-%d-%04d", 2024+i/400, i%400+1)
		id := 30000 + i
		body := strings.ReplaceAll(string(tmpl), "VMSA-2024-0012", vmsa)
		name := filepath.Join(dir, "support.broadcom.com", filepath.FromSlash(strings.TrimPrefix(broadcomNotice, "https://support.broadcom.com/")), fmt.Sprint(id))
		if err := st.write(name, []byte(body)); err != nil {
			return Stats{}, err
		}
		updated := newest.Add(-time.Duration(i) * 7 * time.Hour)
		items = append(items, item{NotificationID: id, NotificationURL: broadcomNotice + fmt.Sprint(id), DocumentID: fmt.Sprintf("VCDSA%d", id),
			Title:    vmsa + ": VMware vCenter Server updates address heap-overflow and privilege escalation vulnerabilities (CVE-2024-37079, CVE-2024-37080, CVE-2024-37081)",
			Severity: "CRITICAL", AffectedCve: "CVE-2024-37079,CVE-2024-37080,CVE-2024-37081", SupportProducts: "VMware vCenter Server,VMware Cloud Foundation",
			Published: updated.AddDate(0, 0, -30).Format("2 January 2006"), Updated: updated.Format("2006-01-02 15:04:05.000000")})
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].Updated > items[b].Updated })
	first := seeder.SeedRequests()[0]
	var query map[string]any
	if err := json.Unmarshal([]byte(first.Body), &query); err != nil {
		return Stats{}, fmt.Errorf("vmware seed request body: %w", err)
	}
	size := int(query["pageSize"].(float64))
	for page := 0; page*size < len(items); page++ {
		list := items[page*size : min(len(items), (page+1)*size)]
		query["pageNumber"] = page
		reqBody, err := json.Marshal(query)
		if err != nil {
			return Stats{}, err
		}
		answer, err := json.Marshal(map[string]any{"success": true, "data": map[string]any{"list": list,
			"pageInfo": map[string]any{"totalCount": len(items), "lastPage": (page+1)*size >= len(items)}}})
		if err != nil {
			return Stats{}, err
		}
		name, err := scrapers.Request{Method: first.Method, URL: first.URL, Body: string(reqBody)}.RecordedPath(dir)
		if err != nil {
			return Stats{}, err
		}
		if err := st.write(name, answer); err != nil {
			return Stats{}, err
		}
	}
	return st, nil
}

// copyVMware copies the recorded pages of VMware's older eras (the mail
// archive, vmware.com, the KB and release notes), which the vmware source
// still reads.
func copyVMware(fixtures, dir string, _ Size) (Stats, error) {
	var st Stats
	for _, host := range []string{"lists.vmware.com", "www.vmware.com", "kb.vmware.com", "docs.vmware.com"} {
		err := filepath.WalkDir(filepath.Join(fixtures, host), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(fixtures, path)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return st.write(filepath.Join(dir, rel), b)
		})
		if err != nil {
			return Stats{}, err
		}
	}
	return st, nil
}
