package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchwatch/patchwatch/scrapers"
)

func runSources(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "sources", "", `List every source: its name, what it covers, its hosts, where a harvest
starts (start:) and which pages a history harvest reads from the Internet
Archive (history:), with the pages they link to on the same hosts.`)
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	for _, s := range scrapers.All() {
		fmt.Fprintf(e.stdout, "%s\n  %s\n  hosts: %s\n", s.Name(), s.Description(), strings.Join(s.Domains(), ", "))
		for _, u := range s.Seeds() {
			fmt.Fprintf(e.stdout, "  start: %s\n", u)
		}
		for _, h := range scrapers.HistorySeedsOf(s) {
			fmt.Fprintf(e.stdout, "  history: %s (%s)\n", h.URL, h.Note)
		}
	}
	return exitOK
}
