package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkHarvestLoopback measures a full harvest of the recorded Xen
// pages from a loopback web server against the runs that follow it: all
// detail pages answered 304, and all of them trusted within the revisit
// age. The ratio of the last two to the first is the incremental saving.
func BenchmarkHarvestLoopback(b *testing.B) {
	_, srv := newSite(b)
	harvest := func(b *testing.B, db string, extra ...string) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		if code := run(context.Background(), e, liveArgs(db, srv, extra...)); code != 0 {
			b.Fatalf("harvest exit %d: %s", code, errb.String())
		}
	}
	b.Run("first", func(b *testing.B) {
		dir := b.TempDir()
		for i := 0; b.Loop(); i++ {
			harvest(b, filepath.Join(dir, fmt.Sprintf("pw%d.db", i)))
		}
	})
	b.Run("unchanged-304", func(b *testing.B) {
		db := filepath.Join(b.TempDir(), "pw.db")
		harvest(b, db)
		for b.Loop() {
			harvest(b, db)
		}
	})
	b.Run("unchanged-within-revisit", func(b *testing.B) {
		db := filepath.Join(b.TempDir(), "pw.db")
		harvest(b, db)
		for b.Loop() {
			harvest(b, db, "--revisit", "24h")
		}
	})
}
