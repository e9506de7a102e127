package analysis

import (
	"fmt"
	"strings"
)

// FormatDays writes a figure of days with two decimals, "-" when there is
// none.
func FormatDays(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *p)
}

// FormatReboot writes a reboot flag as yes, no or unknown.
func FormatReboot(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "yes"
	}
	return "no"
}

// FormatCategories writes fix counts by category ("console-os 3, vmm 1"),
// with each share in percent if withShare, "-" when there are none.
func FormatCategories(cs []CategoryCount, withShare bool) string {
	var parts []string
	for _, c := range cs {
		if withShare {
			parts = append(parts, fmt.Sprintf("%s %d (%.1f%%)", c.Category, c.Fixes, c.Share*100))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d", c.Category, c.Fixes))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
