package scrapers

import (
	"context"
	"fmt"
)

// Withdrawer is a Sink that can mark the records stored from documents the
// vendor withdrew (Red Hat's deletions.csv). The records stay; only their
// status changes, so nothing already stored is lost.
type Withdrawer interface {
	Withdraw(ctx context.Context, documentURLs []string) (int, error)
}

// FrozenSeeder is a Source some of whose seeds index archives that no
// longer change: a retired site, a mailing list's past years. Those are
// visited like detail pages, so within the revisit age the stored copy and
// its links stand without a request; the other seeds are fetched on every
// harvest.
type FrozenSeeder interface {
	FrozenSeeds() []string
}

// current says whether u's stored copy can stand without a request. Where
// a listing gave u's last change, that decides: a copy fetched after it is
// current, and a document never stored is current when the archive the
// source was filled from already covered its change (it was left out on
// purpose, as not the source's subject). Without a signal the revisit age
// decides, the fallback for vendors that publish none. A revisit age of 0
// trusts no stored copy, signal or not: every one is asked for again
// (conditionally), as an operator checking the vendor's signal would.
func (r *sourceRun) current(u string, st PageState) bool {
	r.mu.Lock()
	t, signalled := r.changed[u]
	r.mu.Unlock()
	usable := st.Known && st.ParseError == ""
	switch {
	case signalled && usable:
		return r.h.Revisit > 0 && !t.After(st.LastFetched)
	case signalled:
		return !st.Known && !r.since.IsZero() && !t.After(r.since)
	}
	return usable && r.h.Revisit > 0 && r.h.now().Sub(st.LastFetched) < r.h.Revisit
}

// changedSince says whether a listing dates u's last change after the
// stored copy was fetched. Such a request is made unconditionally, and a
// body found the same is written again all the same, so that the stored
// fetch time moves past the change and the next harvest leaves u alone.
func (r *sourceRun) changedSince(u string, st PageState) bool {
	r.mu.Lock()
	t, ok := r.changed[u]
	r.mu.Unlock()
	return ok && st.Known && t.After(st.LastFetched)
}

// followParsed queues a page's links and requests, remembering the change
// signal the page gave for each.
func (r *sourceRun) followParsed(p Parsed) {
	keys := make([]string, 0, len(p.Requests))
	r.mu.Lock()
	for u, t := range p.Changed {
		r.changed[canonical(u)] = t
	}
	for _, q := range p.Requests {
		k := canonical(q.Key())
		r.requests[k] = q
		keys = append(keys, k)
	}
	r.mu.Unlock()
	r.follow(p.Follow)
	r.follow(keys)
}

// followUnchanged follows the links of a page whose body is the one
// stored. The stored links carry no change signal, so the page is parsed
// again (parsing is pure and costs far less than a request) to regain it;
// should today's parser fail on it, the stored links are followed as they
// are.
func (r *sourceRun) followUnchanged(u string, st PageState, p Page) {
	parsed, err := ParseWithin(r.ctx, r.src, p, r.h.Fetcher.cfg.ParseTimeout)
	if err != nil {
		r.log.Debug("unchanged page no longer parses; following its stored links", "url", u, "err", err)
		r.follow(st.Links)
		return
	}
	r.withdraw(u, parsed.Withdrawn)
	r.followParsed(parsed)
}

// withdraw marks the records of the documents a page says were withdrawn.
func (r *sourceRun) withdraw(from string, documents []string) {
	if len(documents) == 0 {
		return
	}
	w, ok := r.h.Sink.(Withdrawer)
	if !ok {
		r.fail(from, 0, fmt.Errorf("the store cannot mark the %d withdrawn documents %s names", len(documents), from))
		return
	}
	n, err := w.Withdraw(r.ctx, documents)
	if err != nil {
		r.fail(from, 0, fmt.Errorf("mark withdrawn documents: %w", err))
		return
	}
	if n > 0 {
		r.log.Info("records marked withdrawn", "list", from, "documents", len(documents), "advisories", n)
	}
}
