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
// within a vendor matters: the first matching rule wins. ../shared's
// TAXONOMY.md, restated in docs/schema.md, says what each category means
// for every vendor; rules_taxonomy_test.go pins that a component gets the
// same category whoever ships it.
var Rules = slices.Concat(xenRules, citrixRules, virtuozzoRules, redhatKVMRules, microsoftRules, oracleRules, vmwareRules)

// GenericRules match words that say where a flaw is only in general — an
// architecture ("x86", "Arm"), a guest type ("HVM guests") or an impact
// ("crash the host") — without naming a component. They are tried only
// after every field failed every rule of Rules, so a title's "x86: …"
// never outranks the description's "transient execution side-channel".
var GenericRules = slices.Concat(xenGenericRules, citrixGenericRules)

// speculationWords name CPU speculative execution and the mitigations
// vendors title fixes by (spec-ctrl, IBRS, IBPB, STIBP, SSBD). The
// side-channel rules of the vendors that ship these mitigations as
// packages or hypervisor changes (all but VMware, whose items say
// "speculative execution") start with them, so such a fix is hardware
// compatibility whoever ships it (rules_taxonomy_test.go), and a new
// mitigation's name is added once.
const speculationWords = `speculat(?:ive|ion)|\bspec-ctrl\b|\bIBRS\b|\bIBPB\b|\bSTIBP\b|\bSSBD\b`

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
// its sentence becomes the evidence. A field decides only when it names a
// component (a rule of Rules); the generic words of GenericRules are the
// last resort, tried field by field once nothing specific matched. Quoted
// logs and backtraces are removed first (see WithoutQuotedLogs): a crash
// dump's "Hardware name: … KVM …" is not evidence. With no match the fix
// is unclassified and the evidence says what was looked at.
func Classify(vendor string, fields ...Field) Tag {
	texts := make([]string, len(fields))
	for i, f := range fields {
		texts[i] = WithoutQuotedLogs(f.Text)
	}
	for _, table := range [][]Rule{Rules, GenericRules} {
		for i, f := range fields {
			for _, r := range table {
				if r.Vendor != vendor {
					continue
				}
				loc := r.Pattern.FindStringIndex(texts[i])
				if loc == nil {
					continue
				}
				return Tag{
					Category:  r.Category,
					Component: r.Component,
					Rule:      r.Name,
					Evidence:  fmt.Sprintf("%s: %q", f.Name, sentenceAround(texts[i], loc[0], loc[1])),
				}
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

// quotedLogLine matches a line of a quoted kernel log, oops or backtrace:
// a dmesg timestamp, a syslog "kernel:" or Xen console "(XEN)" prefix, the
// oops header lines ("Hardware name:", "CPU: 0 PID: 7 …", "Call Trace:",
// register dumps) and stack frames ("? kvm_read_and_reset_apf_flags+0x3b/0x50").
var quotedLogLine = regexp.MustCompile(`(?m)^[ \t]*(?:\[\s*\d+\.\d+\].*|kernel:.*|\(XEN\).*|.*\bHardware name:.*|.*\b\w+\+0x[0-9a-f]+/0x[0-9a-f]+\b.*|(?:CPU: \d+ PID: \d+|Call Trace:|Modules linked in:|Workqueue:|RIP:|RSP:|R[A-D]X:|R[BS]P:|R(?:SI|DI|\d+):|FS:|CS:|CR2:|Code:|pstate:|pc :|lr :|sp :|\S*BUG: |Oops:|#PF:|PGD |Kernel panic|-+\[ cut here \]-+|-+\[ end trace).*)\r?$`)

// WithoutQuotedLogs returns text with the lines of quoted logs and
// backtraces blanked out. Vendors quote crash dumps to show a flaw; the
// words in them (the machine the reporter used, the functions on the
// stack) say nothing about which part of the host is flawed. A text of one
// line is a title, never a log, and is returned as it is: Red Hat titles
// start "kernel: …" like a syslog line.
func WithoutQuotedLogs(text string) string {
	if !strings.Contains(text, "\n") {
		return text
	}
	return quotedLogLine.ReplaceAllString(text, "")
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
