package scrapers

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ErrNotRecorded is returned for a URL that a replay directory does not
// hold. Replay never falls back to the network.
var ErrNotRecorded = errors.New("not recorded")

// ErrBodyTooLarge is returned when a response body exceeds the configured
// limit. The page fails loudly instead of being silently truncated.
var ErrBodyTooLarge = errors.New("response body exceeds size limit")

// errBadEncoding is a body that does not decode as its Content-Encoding
// says: asking again would give the same bytes.
var errBadEncoding = errors.New("bad content encoding")

// maxGzipLayers is how many gzip encodings one body may stack ("gzip,
// gzip"); real servers send one.
const maxGzipLayers = 2

// permanent marks transport errors that no retry can fix.
func permanent(err error) bool {
	return errors.Is(err, ErrNotRecorded) || errors.Is(err, ErrBodyTooLarge) || errors.Is(err, errBadEncoding)
}

// RecordedPath maps a URL to its file in a directory laid out like
// `wget -x`: DIR/<host>/<path>, index.html for a path ending in "/", and the
// query string kept in the file name. It refuses paths that would escape
// DIR.
func RecordedPath(dir string, u *url.URL) (string, error) {
	name, err := recordedName(u)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.FromSlash(name)), nil
}

// recordedName is RecordedPath relative to the directory, slash-separated.
// The query string stays inside the last path element: a "/" in it is
// written %2F, so "?q=/../../x" is part of a file name and never
// a path of its own. Record and replay also open every name through an
// os.Root, so a symbolic link cannot lead outside the directory either.
func recordedName(u *url.URL) (string, error) {
	p := u.EscapedPath()
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	unescaped, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("bad path in %s: %w", u, err)
	}
	if !strings.HasPrefix(unescaped, "/") {
		unescaped = "/" + unescaped
	}
	// An archive address embeds the original URL in its path
	// (/web/<timestamp>id_/http://host/path); its "//" is kept as one "/",
	// as wget does, so the path is canonical.
	unescaped = embeddedScheme.ReplaceAllString(unescaped, "/$1:/")
	clean := path.Clean(unescaped)
	if clean != unescaped ||
		u.Host == "" || strings.ContainsAny(u.Host, `/\`) || u.Host == ".." || u.Host == "." {
		return "", fmt.Errorf("refusing to map %s to a file: path is not canonical", u)
	}
	name := u.Host + clean
	if u.RawQuery != "" {
		name += "?" + queryEscaper.Replace(u.RawQuery)
	}
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", fmt.Errorf("refusing to map %s to a file: %s is not inside the directory", u, name)
	}
	return name, nil
}

// embeddedScheme finds a URL scheme's "://" inside a path.
var embeddedScheme = regexp.MustCompile(`/(https?)://`)

// queryEscaper keeps a query string within one file name.
var queryEscaper = strings.NewReplacer("/", "%2F")

// contentTypeFor guesses a recorded file's Content-Type from its name, the
// way a static web server would.
func contentTypeFor(name string, body []byte) string {
	base := name
	if i := strings.IndexByte(filepath.Base(name), '?'); i >= 0 {
		base = strings.TrimSuffix(name, filepath.Base(name)[i:])
	}
	switch ext := strings.ToLower(filepath.Ext(base)); ext {
	case ".txt", ".patch", ".meta":
		return "text/plain"
	case "":
		return http.DetectContentType(body)
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return http.DetectContentType(body)
	}
}

// replayTransport answers every request from a recorded directory.
type replayTransport struct{ dir string }

func (t replayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	name, err := requestName(req)
	if req.Body != nil {
		req.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotRecorded, req.URL, err)
	}
	body, err := readInside(t.dir, name)
	switch {
	case errors.Is(err, os.ErrNotExist) && req.URL.Path == "/robots.txt":
		// A site without a recorded robots.txt is treated like a site
		// that has none: everything is allowed.
		return response(req, http.StatusNotFound, "text/plain", nil), nil
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%w: %s", ErrNotRecorded, req.URL)
	case err != nil:
		return nil, fmt.Errorf("replay %s from %s: %w", req.URL, filepath.Join(t.dir, name), err)
	}
	return response(req, http.StatusOK, contentTypeFor(name, body), body), nil
}

// readInside reads dir/name through an os.Root, which refuses any name or
// symbolic link that leads outside dir.
func readInside(dir, name string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.ReadFile(filepath.FromSlash(name))
}

func response(req *http.Request, status int, contentType string, body []byte) *http.Response {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
		// Recorded bodies were written decoded (recordTransport sits
		// above gunzipTransport): a recorded ".gz" page is not
		// decoded twice.
		Uncompressed: true,
	}
}

// recordTransport fetches through next and writes every successful body to
// a directory in the replay layout, so a live run can become fixtures.
type recordTransport struct {
	dir  string
	next http.RoundTripper
}

func (t recordTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	name, err := requestName(req)
	if err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", req.URL, err)
	}
	if err := writeInside(t.dir, name, body); err != nil {
		return nil, fmt.Errorf("record %s: %w", req.URL, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// writeInside replaces dir/name with data atomically (a temporary file
// renamed over it), through an os.Root so that neither the name nor a
// symbolic link in dir can lead the write outside dir.
func writeInside(dir, name string, data []byte) error {
	name = filepath.FromSlash(name)
	root, f, tmp, err := createInside(dir, name)
	if err != nil {
		return err
	}
	defer root.Close()
	if _, err := f.Write(data); err != nil {
		f.Close()
		root.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		root.Remove(tmp)
		return err
	}
	return root.Rename(tmp, name)
}

// createInside opens dir (creating it) as an os.Root and creates a new
// temporary file beside name inside it, the first step of every recording.
// It returns the root, which the caller closes, the file, and the file's
// name within the root, to rename over name once complete.
func createInside(dir, name string) (*os.Root, *os.File, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, "", err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, "", err
	}
	if err := root.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		root.Close()
		return nil, nil, "", err
	}
	tmp := filepath.Join(filepath.Dir(name), ".record-"+strconv.FormatUint(rand.Uint64(), 36))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		root.Close()
		return nil, nil, "", err
	}
	return root, f, tmp, nil
}

// limitTransport fails a response whose body is larger than max bytes,
// whether the server announced the length or not.
type limitTransport struct {
	max  int64
	next http.RoundTripper
}

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s announces %d bytes, limit is %d", ErrBodyTooLarge, req.URL, resp.ContentLength, t.max)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, url: req.URL.String(), max: t.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
	max  int64
	url  string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("%w: %s is larger than %d bytes", ErrBodyTooLarge, b.url, b.max)
	}
	// Read one byte past the limit so an exact-size body is not an error.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, fmt.Errorf("%w: %s is larger than %d bytes", ErrBodyTooLarge, b.url, b.max)
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// gunzipTransport decodes gzip bodies underneath the size limit, so that
// the limit counts decoded bytes: a small compressed body cannot inflate
// into gigabytes. It decodes what colly would otherwise decode after the
// limit (any gzip or x-gzip layer of Content-Encoding, "gzip, identity"
// included, or a gzip Content-Type or .gz path with no encoding), and marks
// every response Uncompressed so colly never decodes anything itself. Go's
// transport already decodes a plain "Content-Encoding: gzip" it asked for.
type gunzipTransport struct{ next http.RoundTripper }

func (t gunzipTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.Uncompressed {
		return resp, err
	}
	resp.Uncompressed = true
	layers, ok := gzipLayers(resp.Header, req.URL.Path)
	if !ok || layers == 0 {
		return resp, nil
	}
	body := resp.Body
	if layers > maxGzipLayers {
		body.Close()
		return nil, fmt.Errorf("%w: %s has %d gzip layers, at most %d are decoded", errBadEncoding, req.URL, layers, maxGzipLayers)
	}
	var r io.Reader = body
	for range layers {
		zr, err := gzip.NewReader(r)
		if err != nil {
			body.Close()
			return nil, fmt.Errorf("%w: decode gzip body of %s: %v", errBadEncoding, req.URL, err)
		}
		r = zr
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{r, body}
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
	return resp, nil
}

// gzipLayers says how many gzip layers a response's body has. ok is false
// for an encoding other than gzip and identity: such a body is left as it
// came, and nothing downstream decodes it.
func gzipLayers(h http.Header, urlPath string) (layers int, ok bool) {
	ce := strings.TrimSpace(h.Get("Content-Encoding"))
	if ce == "" {
		mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
		if strings.Contains(mt, "gzip") || strings.HasSuffix(strings.ToLower(urlPath), ".gz") {
			return 1, true
		}
		return 0, true
	}
	for _, c := range strings.Split(ce, ",") {
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "gzip", "x-gzip":
			layers++
		case "identity", "":
		default:
			return 0, false
		}
	}
	return layers, true
}

// charsetTransport converts HTML and plain-text bodies to UTF-8 and says so
// in the Content-Type, so colly and every parser see one encoding.
type charsetTransport struct{ next http.RoundTripper }

func (t charsetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || !isText(resp.Header.Get("Content-Type")) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", req.URL, err)
	}
	converted, contentType, err := ToUTF8(body, resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", req.URL, err)
	}
	resp.Header.Set("Content-Type", contentType)
	resp.Header.Set("Content-Length", strconv.Itoa(len(converted)))
	resp.ContentLength = int64(len(converted))
	resp.Body = io.NopCloser(bytes.NewReader(converted))
	return resp, nil
}

// slotTransport caps how many requests are in flight at once across every
// host; a slot is held until the body is closed.
type slotTransport struct {
	slots chan struct{}
	next  http.RoundTripper
}

func (t slotTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case t.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		<-t.slots
		return nil, err
	}
	resp.Body = &slotBody{ReadCloser: resp.Body, release: func() { <-t.slots }}
	return resp, nil
}

type slotBody struct {
	io.ReadCloser
	release func()
	closed  bool
}

func (b *slotBody) Close() error {
	if !b.closed {
		b.closed = true
		b.release()
	}
	return b.ReadCloser.Close()
}

// mirrorTransport sends requests for some hosts to a mirror (a local copy,
// or a test server on loopback) while everything above it, colly's domain
// checks and the stored URLs included, keeps the canonical URL.
type mirrorTransport struct {
	mirrors map[string]*url.URL
	next    http.RoundTripper
}

func (t mirrorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	m, ok := t.mirrors[req.URL.Host]
	if !ok {
		return t.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.User = nil // a link's credentials are never sent, least of all to a mirror
	out.URL.Scheme = m.Scheme
	out.URL.Host = m.Host
	out.URL.Path = strings.TrimSuffix(m.Path, "/") + req.URL.Path
	out.URL.RawPath = ""
	out.Host = m.Host
	resp, err := t.next.RoundTrip(out)
	if resp != nil {
		resp.Request = req
	}
	return resp, err
}

// ParseMirror reads a --mirror value, HOST=BASEURL.
func ParseMirror(v string) (string, *url.URL, error) {
	host, base, ok := strings.Cut(v, "=")
	if !ok || host == "" || base == "" {
		return "", nil, fmt.Errorf("--mirror %q: want HOST=BASEURL", v)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, fmt.Errorf("--mirror %q: %q is not an http(s) base URL", v, base)
	}
	return host, u, nil
}
