package corpus

import (
	"archive/tar"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// ArchiveDay is the build day of every generated Red Hat archive; change
// dates up to it are covered by the archive.
const ArchiveDay = "2026-01-05"

// csafArchive writes Red Hat's files beside the documents: the .tar.zst
// archive of every document (put fills it entry by entry, so the archive
// is streamed to disk, never held), archive_latest.txt naming it,
// changes.csv dating each document (late ones after the archive day, the
// rest on it) and deletions.csv naming the withdrawn ones.
type csafArchive struct {
	root        string
	f           *os.File
	zw          *zstd.Encoder
	tw          *tar.Writer
	changes     strings.Builder
	gone        []string
	archiveName string
}

func newCSAFArchive(root string) (*csafArchive, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	a := &csafArchive{root: root, archiveName: "csaf_advisories_" + ArchiveDay + ".tar.zst"}
	f, err := os.Create(filepath.Join(root, a.archiveName))
	if err != nil {
		return nil, err
	}
	zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1<<20))
	if err != nil {
		f.Close()
		return nil, err
	}
	a.f, a.zw, a.tw = f, zw, tar.NewWriter(zw)
	return a, nil
}

// put adds one document to the archive and to changes.csv, dated on the
// archive day.
func (a *csafArchive) put(rel string, body []byte) error {
	mod, _ := time.Parse(time.DateOnly, ArchiveDay)
	if err := a.tw.WriteHeader(&tar.Header{Name: rel, Mode: 0o644, Size: int64(len(body)), ModTime: mod, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := a.tw.Write(body); err != nil {
		return err
	}
	fmt.Fprintf(&a.changes, "%q,%q\n", rel, ArchiveDay+"T00:00:00+00:00")
	return nil
}

// changedLater lists a document in changes.csv as changed the day after
// the archive; the caller writes its file.
func (a *csafArchive) changedLater(rel string) {
	fmt.Fprintf(&a.changes, "%q,%q\n", rel, ArchiveDay+"T12:00:00+00:00")
}

// deleted lists a document in deletions.csv.
func (a *csafArchive) deleted(rel string) { a.gone = append(a.gone, rel) }

// close finishes the archive and writes the three lists; it returns the
// bytes written (archive and lists).
func (a *csafArchive) close() (int64, error) {
	err := a.tw.Close()
	if cerr := a.zw.Close(); err == nil {
		err = cerr
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(filepath.Join(a.root, a.archiveName))
	if err != nil {
		return 0, err
	}
	var deletions strings.Builder
	for _, rel := range a.gone {
		fmt.Fprintf(&deletions, "%q,%q\n", rel, ArchiveDay+"T06:00:00+00:00")
	}
	n := st.Size()
	for name, body := range map[string]string{
		"archive_latest.txt": a.archiveName + "\n",
		"changes.csv":        a.changes.String(),
		"deletions.csv":      deletions.String(),
	} {
		if err := os.WriteFile(filepath.Join(a.root, name), []byte(body), 0o644); err != nil {
			return 0, err
		}
		n += int64(len(body))
	}
	return n, nil
}
