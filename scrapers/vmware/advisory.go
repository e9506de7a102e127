package vmware

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
)

// header is the label block at the top of every advisory layout.
type header struct {
	id       string // VMSA-2012-0005, without revision
	revision int    // 4 for VMSA-2012-0005.4; 0 for the first issue
	severity string
	synopsis string
	issued   string
	updated  string
	cves     []string
}

var (
	advisoryIDPattern = regexp.MustCompile(`\b(VMSA-\d{4}-\d{4})(?:\.(\d+))?\b`)
	cvePattern        = regexp.MustCompile(`\bCVE-\d{4}-\d{4,}\b`)
	headerLabel       = regexp.MustCompile(`(?i)^(advisory id|advisory severity|severity|synopsis|issue date|updated on|cve numbers?|cve number\(s\)|cve\(s\)|cvssv3 range)\s*:\s*(.*)$`)
	isoDay            = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
)

// sectionHeading matches the numbered top-level headings of every layout.
var sectionHeading = regexp.MustCompile(`(?i)^([1-9])\.\s+(summary|relevant releases|relevant products|problem descriptions?|solution|references|change ?log|contact|impacted products|introduction)\s*:?\s*$`)

// problemAsHeading is a third section that names its one problem instead of
// saying "3. Problem Description" (VMSA-2016-0011: "3. Directory traversal
// vulnerability in vRealize Log Insight").
var problemAsHeading = regexp.MustCompile(`^3\.\s+(\S.*)$`)

// splitAdvisory cuts advisory text into the header lines (before the first
// numbered heading) and its numbered sections. A third section right after
// "2. Relevant releases" that names its problem is the Problem Description,
// its heading the problem's title.
func splitAdvisory(text string) (head []string, sections []normalize.Section) {
	lines := strings.Split(text, "\n")
	cur := -1
	var body []string
	flush := func() {
		if cur >= 0 {
			sections[cur].Text = strings.TrimSpace(strings.Join(body, "\n"))
		}
	}
	for _, line := range lines {
		t := strings.TrimSpace(line)
		if m := sectionHeading.FindStringSubmatch(t); m != nil {
			flush()
			sections = append(sections, normalize.Section{Title: m[1] + ". " + m[2]})
			cur = len(sections) - 1
			body = nil
			continue
		}
		if m := problemAsHeading.FindStringSubmatch(t); m != nil && len(sections) == 2 && strings.Contains(strings.ToLower(sections[1].Title), "relevant") {
			flush()
			sections = append(sections, normalize.Section{Title: "3. Problem Description"})
			cur = len(sections) - 1
			body = []string{m[1], ""}
			continue
		}
		if cur < 0 {
			head = append(head, line)
		} else {
			body = append(body, line)
		}
	}
	flush()
	return head, sections
}

// titleBlock is the heading of a vmware.com page: the advisory ID with its
// revision on a line of its own, the synopsis on the next.
var titleBlock = regexp.MustCompile(`^VMSA-\d{4}-\d{4}(?:\.\d+)?$`)

// parseHeader reads the label block. Labels may sit in a table row
// (label and value in two cells) or on a line ("Synopsis: ..."), and a
// value may wrap onto the following lines; a value's lines are collected
// and joined once at the end (appending each to a growing string cost time
// quadratic in the length of a page whose header never ends). Without an
// "Advisory ID:" label (a page whose header box is missing) the page's
// title block gives the ID and the synopsis.
func parseHeader(lines []string) (header, error) {
	parts := map[string][]string{}
	var cur string
	var cves []string
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if titleBlock.MatchString(line) && parts["title id"] == nil {
			parts["title id"] = []string{line}
			for _, next := range lines[i+1:] {
				if next = strings.TrimSpace(next); next != "" {
					parts["title synopsis"] = []string{next}
					break
				}
			}
			continue
		}
		cves = append(cves, cvePattern.FindAllString(line, -1)...)
		if c := cells(line); len(c) >= 2 {
			line = strings.TrimSuffix(c[0], ":") + ": " + strings.Join(c[1:], " ")
		}
		if line == "" {
			cur = ""
			continue
		}
		if m := headerLabel.FindStringSubmatch(line); m != nil {
			cur = strings.ToLower(m[1])
			parts[cur] = []string{strings.TrimSpace(m[2])}
			continue
		}
		if cur != "" && !strings.HasPrefix(line, "-") && !strings.HasPrefix(line, "=") {
			parts[cur] = append(parts[cur], line)
		}
	}
	values := make(map[string]string, len(parts))
	for k, p := range parts {
		values[k] = strings.TrimSpace(strings.Join(p, " "))
	}
	var h header
	m := advisoryIDPattern.FindStringSubmatch(firstNonEmpty(values["advisory id"], values["title id"]))
	if m == nil {
		return header{}, errors.New(`no "Advisory ID: VMSA-YYYY-NNNN" in the header`)
	}
	h.id = m[1]
	if m[2] != "" {
		h.revision, _ = strconv.Atoi(m[2])
	}
	h.synopsis = strings.Join(strings.Fields(firstNonEmpty(values["synopsis"], values["title synopsis"])), " ")
	if h.synopsis == "" {
		return header{}, fmt.Errorf("%s: no Synopsis in the header", h.id)
	}
	h.severity = titleCase(firstNonEmpty(values["advisory severity"], values["severity"]))
	var err error
	if h.issued, err = day(values["issue date"]); err != nil {
		return header{}, fmt.Errorf("%s: issue date: %w", h.id, err)
	}
	if h.updated, err = day(values["updated on"]); err != nil {
		return header{}, fmt.Errorf("%s: updated on: %w", h.id, err)
	}
	h.cves = sortedUnique(cves)
	return h, nil
}

// day reads the dates VMware pages use: "2012-12-20 (initial advisory)",
// "2021-02-23", "October 25, 2023", "18 June 2024", "11/15/07".
func day(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if m := isoDay.FindString(s); m != "" {
		if _, err := time.Parse(normalize.DateLayout, m); err == nil {
			return m, nil
		}
	}
	for _, layout := range []string{"January 2, 2006", "2 January 2006", "02 Jan 2006", "2 Jan 2006", "1/2/06", "1/2/2006", "Jan 2, 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(normalize.DateLayout), nil
		}
	}
	return "", fmt.Errorf("unrecognised date %q", s)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// titleCase turns "CRITICAL" or "critical" into "Critical".
func titleCase(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

// sortedUnique returns the sorted distinct strings, never nil.
func sortedUnique(in []string) []string {
	out := append([]string{}, in...)
	slices.Sort(out)
	return slices.Compact(out)
}

// unique returns list's non-empty strings, each once, in their first
// order. Lists are collected with append and made unique once: checking
// each new string against the list so far took time quadratic in a page's
// links, CVEs or table rows.
func unique(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, x := range list {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// section returns the text of the first section whose title contains name.
func section(sections []normalize.Section, name string) (string, bool) {
	for _, s := range sections {
		if strings.Contains(strings.ToLower(s.Title), name) {
			return s.Text, true
		}
	}
	return "", false
}

// firstParagraph returns the first paragraph of text on one line.
func firstParagraph(text string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(text), "\n\n")
	return strings.Join(strings.Fields(p), " ")
}
