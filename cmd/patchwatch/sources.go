package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/patchwatch/patchwatch/scrapers"
)

func runSources(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "sources", "", "List every source: its name, what it covers, its hosts and where a harvest starts.")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	for _, s := range scrapers.All() {
		fmt.Fprintf(e.stdout, "%s\n  %s\n  hosts: %s\n", s.Name(), s.Description(), strings.Join(s.Domains(), ", "))
		for _, u := range s.Seeds() {
			fmt.Fprintf(e.stdout, "  start: %s\n", u)
		}
	}
	return exitOK
}
