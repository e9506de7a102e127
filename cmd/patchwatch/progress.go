package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/patchwatch/patchwatch/scrapers"
)

// progress shows a one-line running count on a terminal. Cron and pipes
// see nothing: the logs and the summary say it all there.
type progress struct {
	w       io.Writer
	on      bool
	mu      sync.Mutex
	last    time.Time
	sources map[string]scrapers.Report
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, on: isTerminal(w), sources: map[string]scrapers.Report{}}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// clearLine returns what erases the progress line, or "" off a terminal.
func clearLine(w io.Writer) string {
	if isTerminal(w) {
		return "\r\033[K"
	}
	return ""
}

func (p *progress) update(r scrapers.Report) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sources[r.Source] = r
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	names := make([]string, 0, len(p.sources))
	for n := range p.sources {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		s := p.sources[n]
		parts[i] = fmt.Sprintf("%s %d stored, %d unchanged, %d failed", n, s.Pages, s.Unchanged, s.Failed)
	}
	fmt.Fprintf(p.w, "\r\033[Kharvest: %s", strings.Join(parts, " | "))
}
