package normalize

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Rule tags a fix when its pattern matches the fix's text. Rules are tried
// in table order, so a more specific rule (a CPU side channel) sits above a
// general one (anything the hypervisor does).
type Rule struct {
	Name      string
	Vendor    string
	Category  Category
	Component string
	Pattern   *regexp.Regexp
}

// Rules is the table behind every category: each vendor's rules, in the
// vendor files rules_<vendor>.go, one row per rule. Read a row as "for this
// vendor, text matching this pattern means this part of the host". Order
// within a vendor matters: the first matching rule wins.
var Rules = slices.Concat(xenRules, citrixRules, virtuozzoRules, redhatKVMRules, microsoftRules, oracleRules, vmwareRules)

// Field is one named piece of a fix's text given to the classifier, in the
// order it should be trusted (a title says what the fix is about more
// surely than a paragraph that mentions many things).
type Field struct {
	Name string
	Text string
}

// Tag is the classifier's verdict with its justification.
type Tag struct {
	Category  Category
	Component string
	Rule      string
	Evidence  string
}

// Classify tags a fix of vendor's from its text fields. Fields are tried in
// order and, within a field, rules in table order; the first match wins and
// its sentence becomes the evidence. With no match the fix is unclassified
// and the evidence says what was looked at.
func Classify(vendor string, fields ...Field) Tag {
	for _, f := range fields {
		for _, r := range Rules {
			if r.Vendor != vendor {
				continue
			}
			loc := r.Pattern.FindStringIndex(f.Text)
			if loc == nil {
				continue
			}
			return Tag{
				Category:  r.Category,
				Component: r.Component,
				Rule:      r.Name,
				Evidence:  fmt.Sprintf("%s: %q", f.Name, sentenceAround(f.Text, loc[0], loc[1])),
			}
		}
	}
	looked := make([]string, 0, len(fields))
	for _, f := range fields {
		looked = append(looked, f.Name)
	}
	return Tag{
		Category: Unclassified,
		Rule:     "none",
		Evidence: fmt.Sprintf("no %s rule matched the %s", vendor, strings.Join(looked, ", ")),
	}
}

// sentenceAround returns the sentence of text holding [start, end), on one
// line, so evidence reads as the vendor wrote it. A sentence ends at ".",
// "!" or "?" before a space or line break, or at a blank line; a single line
// break is only the vendor's wrapping.
func sentenceAround(text string, start, end int) string {
	from := 0
	for i := start - 1; i >= 0; i-- {
		if sentenceEnd(text, i) || paragraphBreak(text, i) {
			from = i + 1
			break
		}
	}
	to := len(text)
	for i := end; i < len(text); i++ {
		if sentenceEnd(text, i) {
			to = i + 1
			break
		}
		if paragraphBreak(text, i) {
			to = i
			break
		}
	}
	return strings.Join(strings.Fields(text[from:to]), " ")
}

func sentenceEnd(text string, i int) bool {
	return strings.IndexByte(".!?", text[i]) >= 0 && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n')
}

func paragraphBreak(text string, i int) bool {
	return text[i] == '\n' && ((i > 0 && text[i-1] == '\n') || (i+1 < len(text) && text[i+1] == '\n'))
}
