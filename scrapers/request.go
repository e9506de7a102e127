package scrapers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
)

// Request is a request other than a plain GET of a URL: the Broadcom
// advisory list, for one, answers only a POST with a JSON body.
type Request struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	ContentType string `json:"content_type,omitempty"`
	Body        string `json:"body,omitempty"`
}

// RequestSeeder is a Source whose index is reached by a request other than
// a GET. Its SeedRequests are fetched on every harvest, like its Seeds.
type RequestSeeder interface {
	Source
	SeedRequests() []Request
}

// postFragment starts the fragment that carries a request's method and
// body in its key.
const postFragment = "request="

// Key is the name the harvest, the raw store and the ledger give the
// request: its URL with a fragment holding the method and body
// ("…/getSecurityAdvisoryList#request=POST%20{…}"). A fragment is never
// sent to a server, so the key is still the URL as far as parsers and
// domain checks go, and a stored page can be re-parsed knowing exactly
// what was asked.
func (q Request) Key() string {
	u, err := url.Parse(q.URL)
	if err != nil {
		return q.URL
	}
	u.Fragment = postFragment + q.Method + " " + q.Body
	return u.String()
}

// RequestOf recovers the request from a key made by Key; ok is false for a
// plain URL.
func RequestOf(u *url.URL) (q Request, ok bool) {
	rest, ok := strings.CutPrefix(u.Fragment, postFragment)
	if !ok {
		return Request{}, false
	}
	method, body, _ := strings.Cut(rest, " ")
	plain := *u
	plain.Fragment = ""
	plain.RawFragment = ""
	return Request{Method: method, URL: plain.String(), Body: body}, true
}

// RecordedPath is where the request lives in a record/replay directory
// (see requestName).
func (q Request) RecordedPath(dir string) (string, error) {
	req, err := http.NewRequest(q.Method, q.URL, strings.NewReader(q.Body))
	if err != nil {
		return "", err
	}
	name, err := requestName(req)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.FromSlash(name)), nil
}

// bodyDigestLen is how many hex digits of the body's sha256 name a
// recorded request: 64 bits tell apart any two bodies one source sends.
const bodyDigestLen = 16

// requestName is where a request lives in a record/replay directory,
// relative and slash-separated: the URL's name (recordedName) for a GET or
// HEAD, and for any other method the same name followed by
// ".<METHOD>-<first 16 hex digits of sha256(body)>", so each distinct body
// has its own file beside the URL's. It reads the body and gives the
// request a fresh copy to send.
func requestName(req *http.Request) (string, error) {
	name, err := recordedName(req.URL)
	if err != nil || req.Method == "" || req.Method == http.MethodGet || req.Method == http.MethodHead {
		return name, err
	}
	var body []byte
	if req.Body != nil {
		if body, err = io.ReadAll(req.Body); err != nil {
			return "", fmt.Errorf("read request body of %s %s: %w", req.Method, req.URL, err)
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	return name + "." + req.Method + "-" + hex.EncodeToString(sum[:])[:bodyDigestLen], nil
}
