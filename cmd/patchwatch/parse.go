package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

func runParse(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "parse", "--source NAME --url URL FILE",
		`Parse one saved page as the harvest would have parsed it at URL, and print
{"advisories":[...], "patches":[...], "fixes":[...]} as JSON on stdout.
FILE may be - for standard input. Nothing is fetched or stored.

Example:
  patchwatch parse --source xen --url https://xenbits.xen.org/xsa/advisory-355.txt \
      fixtures/xenbits.xen.org/xsa/advisory-355.txt`)
	sourceName := fs.String("source", "", "source `name` whose parser to use (see 'patchwatch sources')")
	pageURL := fs.String("url", "", "the page's canonical `URL`; it selects the parser for the page kind")
	if code, stop := parseFlags(fs, args); stop {
		return code
	}
	if *sourceName == "" || *pageURL == "" || fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "patchwatch parse: need --source, --url and exactly one FILE")
		fs.Usage()
		return exitFatal
	}
	src, err := scrapers.Lookup(*sourceName)
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch parse:", err)
		return exitFatal
	}
	body, err := readInput(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch parse:", err)
		return exitFatal
	}
	parsed, err := scrapers.ParseFile(src, *pageURL, body)
	if err != nil {
		fmt.Fprintf(e.stderr, "patchwatch parse: %s: %v\n", fs.Arg(0), err)
		return exitPartial
	}
	res := parsed.Result
	// Readers of this JSON get lists, never null, for a page without records.
	if res.Advisories == nil {
		res.Advisories = []normalize.Advisory{}
	}
	if res.Patches == nil {
		res.Patches = []normalize.Patch{}
	}
	if res.Fixes == nil {
		res.Fixes = []normalize.Fix{}
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		fmt.Fprintln(e.stderr, "patchwatch parse:", err)
		return exitFatal
	}
	fmt.Fprintf(e.stdout, "%s\n", out)
	return exitOK
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}
