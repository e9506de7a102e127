package vmware

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/patchwatch/patchwatch/normalize"
	"github.com/patchwatch/patchwatch/scrapers"
)

// hasBuildTable reports whether the page holds a build-number table.
func hasBuildTable(lines []string) bool {
	_, ok := buildHeader(lines)
	return ok
}

// buildColumns are the positions of the build table's columns.
type buildColumns struct{ version, name, date, build, available int }

func buildHeader(lines []string) (int, bool) {
	for i, l := range lines {
		c := cells(l)
		has := map[string]bool{}
		for _, x := range c {
			has[strings.ToLower(x)] = true
		}
		if has["build number"] && has["release date"] {
			return i, true
		}
	}
	return 0, false
}

// parseBuildTable reads the ESXi build-number table (KB 2143832): one patch
// record per release with its date and build, so the update releases and
// GA builds sit beside the patches in the timeline. Release names that are
// links to patch release notes are followed.
func parseBuildTable(body []byte, lines []string, u *url.URL) (scrapers.Parsed, error) {
	at0, _ := buildHeader(lines)
	cols := buildColumns{-1, -1, -1, -1, -1}
	for i, h := range cells(lines[at0]) {
		switch strings.ToLower(h) {
		case "version":
			cols.version = i
		case "release name", "name":
			cols.name = i
		case "release date":
			cols.date = i
		case "build number":
			cols.build = i
		case "available as":
			cols.available = i
		}
	}
	if cols.version < 0 || cols.name < 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: build table has no Version or Release Name column", u)
	}
	var out scrapers.Parsed
	for _, l := range lines[at0+1:] {
		c := cells(l)
		if c == nil {
			break
		}
		name := at(c, cols.name)
		released, err := day(at(c, cols.date))
		if err != nil {
			return scrapers.Parsed{}, fmt.Errorf("%s: %s: %w", u, name, err)
		}
		id := firstNonEmpty(patchIDPattern.FindString(at(c, cols.available)), patchIDPattern.FindString(name), name)
		product := "ESXi"
		if strings.HasPrefix(name, "ESX ") {
			product = "ESX"
		}
		p := normalize.Patch{
			ID: id, Vendor: Vendor, Product: product, Version: at(c, cols.version), Released: released,
			URL: u.String(), Build: at(c, cols.build),
		}
		if releaseIDPattern.MatchString(id) {
			p.Release = id
		}
		out.Patches = append(out.Patches, p)
	}
	if len(out.Patches) == 0 {
		return scrapers.Parsed{}, fmt.Errorf("%s: build table has a header but no rows", u)
	}
	links, err := linksMatching(body, u, func(abs *url.URL) bool {
		return abs.Host == hostDocs && releaseNotes.MatchString(abs.Path)
	})
	if err != nil {
		return scrapers.Parsed{}, err
	}
	out.Follow = links
	return out, nil
}
