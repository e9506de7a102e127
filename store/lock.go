package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrLocked means another process holds the database's writer lock.
var ErrLocked = errors.New("another patchwatch process is writing to this database")

// Lock is the writer lock of one database: a harvest or re-parse holds it
// for its whole run so two never interleave. It is an flock on
// "<database>.lock", which the kernel releases when the holder dies, so a
// run killed with SIGKILL never leaves a stale lock behind.
type Lock struct{ f *os.File }

// lockPoll is how often a waiting AcquireLock tries the lock again.
const lockPoll = 100 * time.Millisecond

// AcquireLock takes the writer lock of the database at path. With wait 0 it
// fails at once with ErrLocked if the lock is held; otherwise it retries
// every lockPoll until wait has passed or ctx ends.
func AcquireLock(ctx context.Context, path string, wait time.Duration) (*Lock, error) {
	return acquireLock(ctx, path, wait, func() <-chan time.Time { return time.After(lockPoll) })
}

// acquireLock is AcquireLock with the pause between tries given by retry,
// so a test can drive the waiting loop one try at a time.
func acquireLock(ctx context.Context, path string, wait time.Duration, retry func() <-chan time.Time) (*Lock, error) {
	name := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", name, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			// Say who holds it, for an operator looking at the file.
			_ = f.Truncate(0)
			_, _ = fmt.Fprintf(f, "pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
			return &Lock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if time.Now().After(deadline) {
			holder, _ := os.ReadFile(name)
			f.Close()
			return nil, fmt.Errorf("%w (%s held by %s)", ErrLocked, name, trimNewline(string(holder)))
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-retry():
		}
	}
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN); err != nil {
		l.f.Close()
		return fmt.Errorf("unlock %s: %w", l.f.Name(), err)
	}
	return l.f.Close()
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	if s == "" {
		return "an unknown process"
	}
	return s
}
