package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/patchwatch/patchwatch/scrapers"
)

// Site serves a directory in the replay layout over HTTP as the vendors
// would: the first path element names the host (the harvest reaches it
// with --mirror HOST=BASE/HOST), a POST is answered from the file of its
// body's hash, every answer carries an ETag and a matching If-None-Match
// gets 304. It counts requests and body bytes by host, for the bench.
type Site struct {
	root string

	mu       sync.Mutex
	requests map[string]int
	bytes    map[string]int64
}

// NewSite serves root.
func NewSite(root string) *Site {
	return &Site{root: root, requests: map[string]int{}, bytes: map[string]int64{}}
}

// Counts returns requests and body bytes by host so far; robots.txt is
// left out of neither.
func (s *Site) Counts() (map[string]int, map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, b := map[string]int{}, map[string]int64{}
	for k, v := range s.requests {
		req[k] = v
	}
	for k, v := range s.bytes {
		b[k] = v
	}
	return req, b
}

func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	s.mu.Lock()
	s.requests[host]++
	s.mu.Unlock()
	rest = "/" + rest
	if path.Clean(rest) != rest && rest != "/" && !strings.HasSuffix(rest, "/") || strings.Contains(host, "..") {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(rest, "/") {
		rest += "index.html"
	}
	name := filepath.Join(s.root, host, filepath.FromSlash(rest))
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if name, err = (scrapers.Request{Method: r.Method, URL: "https://" + host + rest, Body: string(body)}).RecordedPath(s.root); err != nil {
			http.NotFound(w, r)
			return
		}
	}
	f, err := os.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256([]byte(info.ModTime().String() + name))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	ct := mime.TypeByExtension(path.Ext(rest))
	switch {
	case strings.HasSuffix(rest, ".zst"):
		ct = "application/zstd"
	case r.Method == http.MethodPost || strings.HasSuffix(rest, "/updates"):
		ct = "application/json"
	case strings.Contains(rest, "/cvrf/"):
		ct = "application/xml"
	case ct == "":
		ct = "text/html; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	n, _ := io.Copy(w, f)
	s.mu.Lock()
	s.bytes[host] += n
	s.mu.Unlock()
}
