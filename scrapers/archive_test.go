package scrapers

import (
	"archive/tar"
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
)

// archiveSource is echoSource filled from an archive: its pointer page
// says "next:<archive URL>", and entries "docs/<name>.txt" are documents.
type archiveSource struct{ echoSource }

func (archiveSource) ArchivePointer() string { return "https://vendor.example/latest.txt" }
func (archiveSource) ArchiveBuilt(string) (time.Time, error) {
	return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), nil
}
func (archiveSource) ArchiveEntry(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "docs/")
	if !ok || strings.ContainsAny(rest, "/\\") || !strings.HasSuffix(rest, ".txt") {
		return "", false
	}
	return "https://vendor.example/docs/" + rest, true
}

func tarZst(t *testing.T, entries [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e[0], Mode: 0o644, Size: int64(len(e[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestArchiveHostileEntries: an entry larger than the body limit fails on
// its own (however well it compresses), names outside the source's
// pattern are never read, and the rest is stored under canonical URLs
// stamped with the archive's build time.
func TestArchiveHostileEntries(t *testing.T) {
	archive := tarZst(t, [][2]string{
		{"docs/1.txt", "first document"},
		{"docs/big.txt", strings.Repeat("A", 64<<10)},
		{"../../etc/evil.txt", "escape"},
		{"/abs/docs/2.txt", "absolute"},
		{"./docs/3.txt", "third document"},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/latest.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("next:https://vendor.example/all.tar.zst"))
	})
	mux.HandleFunc("/all.tar.zst", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/zstd")
		w.Write(archive)
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	cfg := testConfig(srv)
	cfg.MaxBodyBytes = 4 << 10
	rep, sink := harvest(t, cfg, archiveSource{echoSource{domains: []string{"vendor.example"}}})
	var stored []string
	for u := range sink.fetched {
		stored = append(stored, u)
	}
	sort.Strings(stored)
	want := []string{"https://vendor.example/docs/1.txt", "https://vendor.example/docs/3.txt", "https://vendor.example/latest.txt"}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].URL != "https://vendor.example/docs/big.txt" || !errors.Is(rep.Errors[0], ErrBodyTooLarge) {
		t.Errorf("errors %v; want the oversized entry only, as too large", rep.Errors)
	}
	if got := sink.fetched["https://vendor.example/docs/1.txt"].FetchedAt; !got.Equal(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("entry stamped %v, want the archive's build time", got)
	}
	if got := sink.fetched["https://vendor.example/latest.txt"].Links; len(got) != 1 || got[0] != "https://vendor.example/all.tar.zst" {
		t.Errorf("pointer stored with links %v, want the archive", got)
	}
}

// TestArchiveRecordThenReplay: --record keeps the archive (copied to disk
// as it streams) and the pointer, and a replay of them stores the same.
func TestArchiveRecordThenReplay(t *testing.T) {
	archive := tarZst(t, [][2]string{{"docs/1.txt", "first document"}})
	mux := http.NewServeMux()
	mux.HandleFunc("/latest.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("next:https://vendor.example/all.tar.zst"))
	})
	mux.HandleFunc("/all.tar.zst", func(w http.ResponseWriter, r *http.Request) { w.Write(archive) })
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	cfg := testConfig(srv)
	cfg.RecordDir = dir
	src := archiveSource{echoSource{domains: []string{"vendor.example"}}}
	if live, _ := harvest(t, cfg, src); live.Failed != 0 || live.Pages != 1 {
		t.Fatalf("live: %d pages, errors %v", live.Pages, live.Errors)
	}
	srv.Close()
	replayed, sink := harvest(t, Config{ReplayDir: dir}, src)
	if replayed.Failed != 0 || sink.title("https://vendor.example/docs/1.txt") != "first document" {
		t.Fatalf("replay: errors %v, stored %v", replayed.Errors, sink.fetched)
	}
}
