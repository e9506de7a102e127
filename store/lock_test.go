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
