package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/patchwatch/patchwatch/internal/corpus"
)

// BenchmarkReplayCorpus measures the end-to-end replay harvest (colly,
// parse, store) and the re-parse of the raw store on a synthetic corpus of
// 1,000 Xen advisories built from the recorded ones. `make bench` runs the
// same stages at archive scale.
func BenchmarkReplayCorpus(b *testing.B) {
	dir := b.TempDir()
	st, err := corpus.Generate(fixtures, dir, 1000)
	if err != nil {
		b.Fatal(err)
	}
	run1 := func(b *testing.B, args ...string) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		if code := run(context.Background(), e, args); code != 0 {
			b.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
	}
	b.Run("harvest", func(b *testing.B) {
		b.SetBytes(st.Bytes)
		for b.Loop() {
			db := filepath.Join(b.TempDir(), "pw.db")
			run1(b, "harvest", "--db", db, "--replay", dir, "--source", "xen", "--quiet")
			os.Remove(db)
		}
		b.ReportMetric(float64(st.Pages*b.N)/b.Elapsed().Seconds(), "pages/s")
	})
	b.Run("reparse", func(b *testing.B) {
		db := filepath.Join(b.TempDir(), "pw.db")
		run1(b, "harvest", "--db", db, "--replay", dir, "--source", "xen", "--quiet")
		b.SetBytes(st.Bytes)
		for b.Loop() {
			run1(b, "reparse", "--db", db, "--source", "xen")
		}
		b.ReportMetric(float64(st.Pages*b.N)/b.Elapsed().Seconds(), "pages/s")
	})
}
