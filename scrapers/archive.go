package scrapers

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/klauspost/compress/zstd"

	"github.com/patchwatch/patchwatch/normalize"
)

// ArchiveSource is a Source whose vendor also publishes every document in
// one archive (Red Hat's CSAF .tar.zst). The first harvest streams the
// archive and keeps the documents the parser finds records in; later
// harvests read the vendor's change list, whose Changed times are compared
// with the archive's build time for documents never stored.
type ArchiveSource interface {
	Source
	// ArchivePointer is the URL of the small file that names the current
	// archive; its parse must follow exactly the archive's URL.
	ArchivePointer() string
	// ArchiveBuilt is when the archive at archiveURL was built: every
	// change up to then is in it.
	ArchiveBuilt(archiveURL string) (time.Time, error)
	// ArchiveEntry maps the name of a file in the archive to the canonical
	// URL of the document it holds; ok is false for anything else. Only
	// this mapping, never the name itself, decides where an entry goes.
	ArchiveEntry(name string) (documentURL string, ok bool)
}

// streamTransport is the chain archives are fetched through: the shared
// in-flight cap, retries, recording, the archive size limit. It skips the
// charset pass, which would read the whole body, and records by copying
// the body to disk as it is read.
func streamTransport(cfg Config, base http.RoundTripper, slots chan struct{}) http.RoundTripper {
	var rt http.RoundTripper = limitTransport{max: cfg.MaxArchiveBytes, next: base}
	if cfg.RecordDir != "" {
		rt = recordStreamTransport{dir: cfg.RecordDir, next: rt}
	}
	rt = &retryablehttp.RoundTripper{Client: retryClient(cfg, rt)}
	return slotTransport{slots: slots, next: rt}
}

// zstdMaxWindow bounds the memory a hostile zstd frame can make the
// decoder take.
const zstdMaxWindow = 128 << 20

// fillFromArchive returns the build time of the archive the source was
// filled from, streaming the current archive first if it never was. The
// pointer is stored only once every entry has been read, so an archive that
// breaks off is read again next time; the documents stored before the
// break stay stored.
func (r *sourceRun) fillFromArchive(as ArchiveSource) (time.Time, *PageError) {
	ptr := as.ArchivePointer()
	fail := func(u string, status int, err error) (time.Time, *PageError) {
		return time.Time{}, &PageError{Source: r.src.Name(), URL: u, Status: status, Err: err}
	}
	st, err := r.h.Sink.State(r.ctx, ptr)
	if err != nil {
		return fail(ptr, 0, err)
	}
	if st.Known && st.ParseError == "" && len(st.Links) == 1 {
		built, err := as.ArchiveBuilt(st.Links[0])
		if err != nil {
			return fail(ptr, 0, fmt.Errorf("stored archive pointer: %w", err))
		}
		return built, nil
	}

	resp, err := r.get(ptr, r.h.Fetcher.transport)
	if err != nil {
		return fail(ptr, statusOf(resp), err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fail(ptr, resp.StatusCode, fmt.Errorf("read: %w", err))
	}
	ptrURL, _ := url.Parse(ptr)
	ct := resp.Header.Get("Content-Type")
	parsed, err := ParseWithin(r.ctx, r.src, Page{URL: ptrURL, ContentType: ct, Body: body}, r.h.Fetcher.cfg.ParseTimeout)
	if err == nil && len(parsed.Follow) != 1 {
		err = fmt.Errorf("names %d archives, want 1", len(parsed.Follow))
	}
	if err != nil {
		return fail(ptr, resp.StatusCode, fmt.Errorf("parse: %w", err))
	}
	archive := parsed.Follow[0]
	built, err := as.ArchiveBuilt(archive)
	if err != nil {
		return fail(ptr, resp.StatusCode, err)
	}
	if err := r.pause(); err != nil {
		return fail(archive, 0, err)
	}
	if err := r.readArchive(as, archive, built); err != nil {
		return fail(archive, 0, err)
	}
	if err := r.pause(); err != nil {
		return fail(archive, 0, err)
	}
	f := Fetched{Source: r.src.Name(), URL: ptr, Status: resp.StatusCode, ContentType: ct, Body: body,
		FetchedAt: r.h.now().UTC(), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		Links: []string{archive}}
	if err := r.h.Sink.SavePage(r.ctx, f, normalize.Result{}); err != nil {
		return fail(ptr, resp.StatusCode, fmt.Errorf("store: %w", err))
	}
	return built, nil
}

// readArchive streams a .tar.zst archive, one entry in memory at a time,
// each bounded by MaxBodyBytes after decompression. A document that cannot
// be read or parsed is a page failure and the walk goes on; a broken
// stream ends it with an error naming the last good entry.
func (r *sourceRun) readArchive(as ArchiveSource, archive string, built time.Time) error {
	resp, err := r.get(archive, r.h.Fetcher.stream)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("HTTP %d: %w", resp.StatusCode, err)
		}
		return err
	}
	defer resp.Body.Close()
	zr, err := zstd.NewReader(resp.Body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return fmt.Errorf("zstd: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	max := r.h.Fetcher.cfg.MaxBodyBytes
	entries, kept, last := 0, 0, "(none)"
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("archive broken after %d entries (last %s): %w", entries, last, err)
		}
		entries++
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		doc, ok := as.ArchiveEntry(strings.TrimPrefix(hdr.Name, "./"))
		if !ok {
			continue
		}
		if hdr.Size > max {
			r.fail(doc, 0, fmt.Errorf("archive %s: entry %q: %w: %d bytes, limit is %d", archive, hdr.Name, ErrBodyTooLarge, hdr.Size, max))
			continue
		}
		body, err := io.ReadAll(io.LimitReader(tr, max+1))
		if err != nil {
			return fmt.Errorf("archive broken in entry %q after %d entries: %w", hdr.Name, entries-1, err)
		}
		if int64(len(body)) > max {
			r.fail(doc, 0, fmt.Errorf("archive %s: entry %q: %w (limit %d)", archive, hdr.Name, ErrBodyTooLarge, max))
			continue
		}
		last = hdr.Name
		if r.storeEntry(archive, built, doc, body) {
			kept++
		}
	}
	r.log.Info("archive read", "archive", archive, "entries", entries, "kept", kept)
	return nil
}

// storeEntry parses and stores one archive entry as the document at its
// canonical URL, exactly as if it had been fetched from there, so reparse
// treats it like any page. Its fetch time is the archive's build time, the
// moment its content was current, so that the change list can tell when
// the vendor changed it since. It reports whether the entry was kept: an
// entry the parser finds no records in is not the source's subject and is
// left out, unless a copy of it is stored already; a copy fetched after
// the archive was built is newer than the entry and stays as it is.
func (r *sourceRun) storeEntry(archive string, built time.Time, doc string, body []byte) bool {
	st, err := r.h.Sink.State(r.ctx, doc)
	if err != nil {
		r.fail(doc, 0, err)
		return false
	}
	sum := sha256.Sum256(body)
	if st.Known && st.ParseError == "" && (st.SHA256 == hex.EncodeToString(sum[:]) || st.LastFetched.After(built)) {
		r.count(func(rep *Report) { rep.Unchanged++ })
		return true
	}
	u, err := url.Parse(doc)
	if err != nil {
		r.fail(doc, 0, fmt.Errorf("archive %s: %w", archive, err))
		return false
	}
	const ct = "application/json"
	f := Fetched{Source: r.src.Name(), URL: doc, Status: http.StatusOK, ContentType: ct, Body: body, FetchedAt: built.UTC()}
	parsed, err := ParseWithin(r.ctx, r.src, Page{URL: u, ContentType: ct, Body: body}, r.h.Fetcher.cfg.ParseTimeout)
	if err == nil {
		err = parsed.Validate()
	}
	if err != nil {
		f.ParseError = err.Error()
		if serr := r.h.Sink.SaveUnparsed(r.ctx, f); serr != nil {
			err = errors.Join(err, serr)
		}
		r.fail(doc, 0, fmt.Errorf("from archive %s: parse: %w", archive, err))
		return true
	}
	if parsed.Empty() && !st.Known {
		return false
	}
	if err := r.h.Sink.SavePage(r.ctx, f, parsed.Result); err != nil {
		r.fail(doc, 0, fmt.Errorf("from archive %s: store: %w", archive, err))
		return false
	}
	r.count(func(rep *Report) { rep.stored(st.Known, parsed.Result) })
	return true
}

// get makes one GET outside colly (an archive, or the pointer read before
// it), with patchwatch's user agent and within the source's domains, and
// counts it like colly's requests. Anything but a 200 is an error.
func (r *sourceRun) get(u string, rt http.RoundTripper) (*http.Response, error) {
	target, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(r.src.Domains(), target.Hostname()) {
		return nil, fmt.Errorf("host not among the source's domains %v", r.src.Domains())
	}
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", UserAgent())
	client := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		r.count(func(rep *Report) { rep.NetErrors++ })
		return nil, err
	}
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
		r.count(func(rep *Report) { rep.HTTP2xx++ })
		return resp, nil
	case s >= 500:
		r.count(func(rep *Report) { rep.HTTP5xx++ })
	case s >= 400:
		r.count(func(rep *Report) { rep.HTTP4xx++ })
	}
	resp.Body.Close()
	return resp, fmt.Errorf("want 200 OK, got %s", resp.Status)
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// pause keeps requests made outside colly as polite as colly's: one a
// Delay per host.
func (r *sourceRun) pause() error {
	if d := r.h.Fetcher.cfg.Delay; d > 0 {
		return sleepCtx(r.ctx, d)
	}
	return nil
}

// recordStreamTransport records like recordTransport without holding the
// body: it is copied to a temporary file (opened through an os.Root, like
// every recording) as the reader consumes it, and moved into the replay
// layout only once read to the end, so an archive that breaks off is never
// recorded.
type recordStreamTransport struct {
	dir  string
	next http.RoundTripper
}

func (t recordStreamTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	name, err := requestName(req)
	if err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	b, err := newRecordingBody(t.dir, filepath.FromSlash(name), resp.Body)
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("record %s: %w", req.URL, err)
	}
	b.url = req.URL.String()
	resp.Body = b
	return resp, nil
}

type recordingBody struct {
	rc                 io.ReadCloser
	root               *os.Root
	tmp                *os.File
	tmpName, name, url string
	done               bool
}

func newRecordingBody(dir, name string, rc io.ReadCloser) (*recordingBody, error) {
	root, tmp, tmpName, err := createInside(dir, name)
	if err != nil {
		return nil, err
	}
	return &recordingBody{rc: rc, root: root, tmp: tmp, tmpName: tmpName, name: name}, nil
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && !b.done {
		if _, werr := b.tmp.Write(p[:n]); werr != nil {
			return n, fmt.Errorf("record %s: %w", b.url, werr)
		}
	}
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		cerr := b.tmp.Close()
		if cerr == nil {
			cerr = b.root.Rename(b.tmpName, b.name)
		}
		b.root.Close()
		if cerr != nil {
			return n, fmt.Errorf("record %s: %w", b.url, cerr)
		}
	}
	return n, err
}

func (b *recordingBody) Close() error {
	if !b.done {
		b.done = true
		b.tmp.Close()
		b.root.Remove(b.tmpName)
		b.root.Close()
	}
	return b.rc.Close()
}
