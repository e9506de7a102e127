package store

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A commit is copied into the database file by the background
// checkpointer, long before the WAL reaches the writer's own threshold and
// without waiting for Close.
func TestCommitsAreCheckpointedInTheBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	size := func() int64 {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	before := size()
	// Random bytes do not compress: the page adds about 256 KiB, far below
	// the writer's own checkpoint threshold (64 MiB).
	body := make([]byte, 256<<10)
	rand.Read(body)
	doc := Document{URL: "https://xenbits.xen.org/xsa/advisory-1.txt", Source: "xen", Status: 200, Body: body}
	if err := s.SaveDocument(context.Background(), doc); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); size() < before+int64(len(body)); {
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes 10 s after the commit (%d before): the commit was not checkpointed", size(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
