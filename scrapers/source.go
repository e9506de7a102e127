// Package scrapers fetches vendors' advisory and patch pages and hands each
// one to its vendor's parser.
//
// A vendor is one package under scrapers/ that implements Source and
// registers itself; everything about HTTP (politeness, retries, replay and
// record, size limits, charsets) lives here, once, so a vendor package is
// only about its pages.
package scrapers

import (
	"fmt"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
)

// Page is one fetched page as a parser sees it: its canonical URL and a
// body already converted to UTF-8.
type Page struct {
	URL         *url.URL
	ContentType string
	Body        []byte
}

// Parsed is what a parser found on a page: records, and the further URLs
// (absolute, canonical) the harvest should visit.
type Parsed struct {
	normalize.Result
	Follow []string `json:"follow"`
	// Changed is the vendor's change signal: when the listing says each
	// followed URL last changed (a change list, an index date, a feed's
	// "updated"). A URL fetched after that time is not asked for again; a
	// URL with no entry falls back to the harvest's revisit age.
	Changed map[string]time.Time `json:"changed,omitempty"`
	// Requests are further requests that are not plain GETs, such as a
	// POST list's next page; they are queued by Request.Key and may have
	// an entry in Changed under that key.
	Requests []Request `json:"requests,omitempty"`
	// Withdrawn names document URLs the vendor has withdrawn: the records
	// stored from them are marked withdrawn, never deleted.
	Withdrawn []string `json:"withdrawn,omitempty"`
}

// NoteChange records the vendor's change signal for key (a URL, or a
// Request.Key): the time the listing says it last changed.
func (p *Parsed) NoteChange(key string, at time.Time) {
	if p.Changed == nil {
		p.Changed = map[string]time.Time{}
	}
	p.Changed[key] = at
}

// Source is one vendor feed. Parse must be pure: no network, no clock, the
// same page always giving the same result, so `patchwatch parse`, the
// golden tests and a re-parse from stored pages all agree with the harvest.
type Source interface {
	// Name is the short name used on the command line and in the store.
	Name() string
	// Description says in one line what the source covers.
	Description() string
	// Seeds are the index URLs every harvest starts from.
	Seeds() []string
	// Domains are the hosts the harvest may visit for this source.
	Domains() []string
	// Parse turns one page into records and links. It dispatches on the
	// page's URL, since one source reads several kinds of page.
	Parse(p Page) (Parsed, error)
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Source{}
)

// Register makes a source available by name. Vendor packages call it from
// init; registering a name twice is a programming error and panics.
func Register(s Source) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[s.Name()]; dup {
		panic("scrapers: source registered twice: " + s.Name())
	}
	registry[s.Name()] = s
}

// Lookup returns the registered source with that name.
func Lookup(name string) (Source, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown source %q (known: %v)", name, names())
	}
	return s, nil
}

// All returns every registered source, ordered by name.
func All() []Source {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]Source, 0, len(registry))
	for _, n := range names() {
		out = append(out, registry[n])
	}
	return out
}

func names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
