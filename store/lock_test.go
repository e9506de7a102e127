package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestLockIsExclusiveAndReleased(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "pw.db")
	first, err := AcquireLock(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireLock(ctx, db, 0); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: err = %v, want ErrLocked", err)
	}
	// A waiter gets the lock once the holder lets go.
	got := make(chan error, 1)
	go func() {
		l, err := AcquireLock(ctx, db, 10*time.Second)
		if err == nil {
			err = l.Release()
		}
		got <- err
	}()
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiting lock: %v", err)
	}
}

// TestLockWaitLoop drives the --wait loop one try at a time: while the
// lock is held each try fails and the waiter keeps waiting; the first try
// after the holder lets go takes the lock.
func TestLockWaitLoop(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "pw.db")
	holder, err := AcquireLock(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	got := make(chan error, 1)
	go func() {
		l, err := acquireLock(ctx, db, time.Hour, func() <-chan time.Time { return ticks })
		if err == nil {
			err = l.Release()
		}
		got <- err
	}()
	// Each send returns only once the waiter is back in its loop, so the
	// tries before the second and third sends found the lock held.
	for range 3 {
		select {
		case ticks <- time.Time{}:
		case err := <-got:
			t.Fatalf("the waiter returned (%v) while the lock was held", err)
		}
	}
	if err := holder.Release(); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case ticks <- time.Time{}:
		case err := <-got:
			if err != nil {
				t.Fatalf("waiter after the release: %v", err)
			}
			return
		}
	}
}
