package scrapers

import "sync"

// frontier is a source's queue of URLs still to visit. A fixed number of
// workers take from it, so a source that lists 100,000 pages costs 100,000
// queued strings, not 100,000 goroutines waiting on a rate limit.
type frontier struct {
	mu      sync.Mutex
	cond    *sync.Cond
	queue   []string
	pending int // pushed and not yet done
}

func newFrontier() *frontier {
	f := &frontier{}
	f.cond = sync.NewCond(&f.mu)
	return f
}

// push queues u.
func (f *frontier) push(u string) {
	f.mu.Lock()
	f.queue = append(f.queue, u)
	f.pending++
	f.mu.Unlock()
	f.cond.Signal()
}

// pop waits for a URL; it returns false once the queue is empty and no URL
// being visited can add more.
func (f *frontier) pop() (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.queue) == 0 && f.pending > 0 {
		f.cond.Wait()
	}
	if len(f.queue) == 0 {
		return "", false
	}
	u := f.queue[0]
	f.queue[0] = ""
	f.queue = f.queue[1:]
	return u, true
}

// done marks one popped URL as fully visited.
func (f *frontier) done() {
	f.mu.Lock()
	f.pending--
	last := f.pending == 0
	f.mu.Unlock()
	if last {
		f.cond.Broadcast()
	}
}
