package vmware

import (
	"regexp"
	"slices"
	"strings"
)

// item is one problem of an advisory: "a. Updated bind package", a
// roman-numbered problem of the 2007 layout, or "3a." of the 2017+ pages.
type item struct {
	letter string // "a", or the roman number of an unlettered 2007 problem
	title  string
	text   string // the whole item, title included
	body   string // the item without its heading lines
	// shared is text that applies to every item of its group: the patch
	// list closing a 2007-style roman section.
	shared string
}

var (
	letterHeading = regexp.MustCompile(`^\s{0,6}([a-z])\.\s+(\S.*)$`)
	romanHeading  = regexp.MustCompile(`^\s{0,2}(I|II|III|IV|V|VI|VII|VIII|IX|X)(?:\.\s+|\s{2,})(\S.*)$`)
	matrixHeading = regexp.MustCompile(`^\s*\d([a-z])\.\s+(\S.*)$`)
	// groupPatchList starts the per-product patch list that closes a 2007
	// roman section: a product name underlined with dashes.
	groupPatchList = regexp.MustCompile(`^\s*(?:VMware\s+)?ESXi?(?:\s+Server)?\s*$`)
	dashLine       = regexp.MustCompile(`^\s*-{2,}\s*$`)
	// runOnHeading is an item heading run into the end of the line before
	// it, as copies of the pages that lost a block boundary print it
	// ("…provides a solution.b. VMware vCenter Server JMX RMI…").
	runOnHeading = regexp.MustCompile(`^(.*[a-z)][.:])([a-z])\.\s+([A-Z].*)$`)
)

// mailItems splits a Problem Description section into its items. Letters
// must follow in order (a, b, c…), so a prose line that happens to start
// with "a." is not taken for a heading. A roman section with lettered
// items is a group: its closing patch list is shared by all its items.
func mailItems(text string) []item {
	lines := strings.Split(text, "\n")
	type mark struct {
		at            int
		letter, title string
		roman         bool
	}
	var marks []mark
	next := 'a'
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := runOnHeading.FindStringSubmatch(l); m != nil && next > 'a' && rune(m[2][0]) == next && letterHeading.FindStringSubmatch(l) == nil {
			lines = slices.Insert(lines, i+1, m[2]+". "+m[3])
			lines[i] = m[1]
			continue
		}
		if m := letterHeading.FindStringSubmatch(l); m != nil && rune(m[1][0]) == next {
			marks = append(marks, mark{at: i, letter: m[1], title: m[2]})
			next++
			continue
		}
		if m := romanHeading.FindStringSubmatch(l); m != nil {
			marks = append(marks, mark{at: i, letter: m[1], title: m[2], roman: true})
		}
	}
	var items []item
	groupStart := -1 // index in items of the current roman group's first lettered item
	closeGroup := func() {
		if groupStart < 0 || groupStart >= len(items) {
			return
		}
		last := &items[len(items)-1]
		body, list := cutGroupList(last.text)
		last.text = body
		last.body = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(last.body), strings.TrimSpace(list)))
		for i := groupStart; i < len(items); i++ {
			items[i].shared = list
		}
	}
	for k, m := range marks {
		end := len(lines)
		if k+1 < len(marks) {
			end = marks[k+1].at
		}
		chunk := strings.Join(lines[m.at:end], "\n")
		if m.roman {
			closeGroup()
			groupStart = -1
			// A roman section is a group when a lettered item follows it
			// before the next roman heading.
			if k+1 < len(marks) && !marks[k+1].roman {
				groupStart = len(items)
				continue
			}
		}
		title, n := titleOf(chunk, m.title)
		items = append(items, item{letter: m.letter, title: title, text: chunk, body: dropLines(chunk, n)})
	}
	closeGroup()
	if len(items) == 0 && strings.TrimSpace(text) != "" {
		// One problem without a letter (VMSA-2016-0001): the section is
		// the item and its first paragraph the title.
		title := firstParagraph(text)
		_, body, _ := strings.Cut(strings.TrimSpace(text), "\n\n")
		items = append(items, item{letter: "a", title: title, text: text, body: body})
	}
	return items
}

// cutGroupList splits off the "ESX / ---" patch list that closes a group.
func cutGroupList(text string) (body, list string) {
	lines := strings.Split(text, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if groupPatchList.MatchString(lines[i]) && dashLine.MatchString(lines[i+1]) {
			return strings.Join(lines[:i], "\n"), strings.Join(lines[i:], "\n")
		}
	}
	return text, ""
}

var wrappedEnd = regexp.MustCompile(`(?i)(?:,|\b(?:in|of|the|and|for|to|a|an|with))$`)

// titleOf is an item's heading with the lines it wraps onto, on one line,
// and how many lines it took. A heading continues on the next line only
// when that line goes on the sentence (starts in lower case, or the
// heading ends on a comma or a word like "in"): copies of the mails lost
// the blank line between some headings and their first paragraph.
func titleOf(chunk, first string) (string, int) {
	lines := strings.Split(chunk, "\n")
	title := []string{strings.TrimSpace(first)}
	for _, l := range lines[1:] {
		t := strings.TrimSpace(l)
		if t == "" {
			break
		}
		r := t[0]
		if !(r >= 'a' && r <= 'z') && !wrappedEnd.MatchString(title[len(title)-1]) {
			break
		}
		title = append(title, t)
	}
	return strings.Join(strings.Fields(strings.Join(title, " ")), " "), len(title)
}

// dropLines returns text without its first n lines.
func dropLines(text string, n int) string {
	lines := strings.Split(text, "\n")
	if n > len(lines) {
		n = len(lines)
	}
	return strings.Join(lines[n:], "\n")
}

// matrixItems finds the "3a. Title (CVE-…)" problems of a 2017+ page. An
// item runs to the next item heading or the next numbered section.
func matrixItems(text string) []item {
	lines := strings.Split(text, "\n")
	var items []item
	start := -1
	var cur item
	flush := func(end int) {
		if start >= 0 {
			cur.text = strings.Join(lines[start:end], "\n")
			cur.body = strings.Join(lines[start+1:end], "\n")
			items = append(items, cur)
		}
		start = -1
	}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if m := matrixHeading.FindStringSubmatch(t); m != nil {
			flush(i)
			start = i
			cur = item{letter: m[1], title: strings.Join(strings.Fields(m[2]), " ")}
			cur.body = ""
			continue
		}
		if sectionHeading.MatchString(t) {
			flush(i)
		}
	}
	flush(len(lines))
	return items
}
