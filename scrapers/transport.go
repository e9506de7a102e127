package scrapers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNotRecorded is returned for a URL that a replay directory does not
// hold. Replay never falls back to the network.
var ErrNotRecorded = errors.New("not recorded")

// ErrBodyTooLarge is returned when a response body exceeds the configured
// limit. The page fails loudly instead of being silently truncated.
var ErrBodyTooLarge = errors.New("response body exceeds size limit")

// permanent marks transport errors that no retry can fix.
func permanent(err error) bool {
	return errors.Is(err, ErrNotRecorded) || errors.Is(err, ErrBodyTooLarge)
}

// RecordedPath maps a URL to its file in a directory laid out like
// `wget -x`: DIR/<host>/<path>, index.html for a path ending in "/", and the
// query string kept in the file name. It refuses paths that would escape
// DIR.
func RecordedPath(dir string, u *url.URL) (string, error) {
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
	clean := path.Clean(unescaped)
	if clean != unescaped ||
		u.Host == "" || strings.ContainsAny(u.Host, `/\`) || u.Host == ".." {
		return "", fmt.Errorf("refusing to map %s to a file: path is not canonical", u)
	}
	name := clean
	if u.RawQuery != "" {
		name += "?" + u.RawQuery
	}
	return filepath.Join(dir, u.Host, filepath.FromSlash(name)), nil
}

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
	name, err := recordedName(t.dir, req)
	if req.Body != nil {
		req.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotRecorded, req.URL, err)
	}
	body, err := os.ReadFile(name)
	switch {
	case errors.Is(err, os.ErrNotExist) && req.URL.Path == "/robots.txt":
		// A site without a recorded robots.txt is treated like a site
		// that has none: everything is allowed.
		return response(req, http.StatusNotFound, "text/plain", nil), nil
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%w: %s", ErrNotRecorded, req.URL)
	case err != nil:
		return nil, fmt.Errorf("replay %s from %s: %w", req.URL, name, err)
	}
	return response(req, http.StatusOK, contentTypeFor(name, body), body), nil
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
	}
}

// recordTransport fetches through next and writes every successful body to
// a directory in the replay layout, so a live run can become fixtures.
type recordTransport struct {
	dir  string
	next http.RoundTripper
}

func (t recordTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	name, err := recordedName(t.dir, req)
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
	if err := writeFileAtomic(name, body); err != nil {
		return nil, fmt.Errorf("record %s: %w", req.URL, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func writeFileAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".record-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
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
