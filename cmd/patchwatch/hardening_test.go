package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/patchwatch/patchwatch/store"
)

// TestHarvestRejectsOutOfRangeFlags: a value no operator means is a usage
// error (exit 2) naming the flag, before any database or network is used.
func TestHarvestRejectsOutOfRangeFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--parallel", "1000000"}, "--parallel 1000000 is out of range"},
		{[]string{"--parallel", "0"}, "--parallel 0 is out of range"},
		{[]string{"--timeout", "-1s"}, "--timeout -1s is out of range"},
		{[]string{"--parse-timeout", "0s"}, "--parse-timeout 0s is out of range"},
		{[]string{"--max-body", "-5"}, "--max-body -5 is out of range"},
		{[]string{"--commit-every", "-1"}, "--commit-every -1 is out of range"},
		{[]string{"--retries", "-2"}, "--retries -2 is out of range"},
		{[]string{"--delay", "-1s"}, "--delay -1s is out of range"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "pw.db")
			args := append([]string{"harvest", "--db", db, "--replay", fixtures, "--quiet"}, c.args...)
			code, _, errs := runCmd(t, args...)
			if code != exitFatal || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errs, c.want)
			}
			if m, _ := filepath.Glob(db + "*"); len(m) != 0 {
				t.Errorf("a rejected harvest created %v", m)
			}
		})
	}
}

// harvestFixtures replays the fixtures into a new database in a folder of
// its own and returns the database's path.
func harvestFixtures(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "data", "pw.db")
	if code, _, errs := runCmd(t, "harvest", "--db", db, "--replay", fixtures, "--quiet"); code != exitOK {
		t.Fatalf("harvest: exit %d: %s", code, errs)
	}
	if err := os.Remove(db + ".lock"); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestReadCommandsOnReadOnlyFolder runs every read command against a
// database whose file and folder are read-only. Each must work, write
// nothing and leave no -wal or -shm file behind (a reader's leftovers made
// the owner's next harvest fail). Root ignores mode bits, so the checks are
// on the folder's contents and the file's bytes, which hold for any user.
func TestReadCommandsOnReadOnlyFolder(t *testing.T) {
	db := harvestFixtures(t)
	dir := filepath.Dir(db)
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if os.Getuid() == 0 {
		t.Log("running as root: mode bits are not enforced; checking that no file is created or changed")
	}
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, args := range [][]string{
		{"query", "--db", db, "SELECT count(*) FROM fixes"},
		{"search", "--db", db, "xen"},
		{"export", "--db", db, "--format", "csv", "--out", filepath.Join(out, "export")},
		{"report", "--db", db, "--out", filepath.Join(out, "report.html")},
		{"runs", "--db", db},
		{"status", "--db", db},
		{"cadence", "--db", db, "--vendor", "xen", "--product", "xen", "--built", "2012-01-01"},
	} {
		if code, _, errs := runCmd(t, args...); code != exitOK {
			t.Errorf("%s: exit %d: %s", args[0], code, errs)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != filepath.Base(db) {
				t.Errorf("%s left %s behind", args[0], e.Name())
				os.Chmod(dir, 0o755)
				os.Remove(filepath.Join(dir, e.Name()))
				os.Chmod(dir, 0o555)
			}
		}
	}
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a read command changed the database file")
	}
}

// TestHarvestRefusesNewerSchema: a database migrated by a newer patchwatch
// is fatal (exit 2), with both versions named, and is not written.
func TestHarvestRefusesNewerSchema(t *testing.T) {
	db := harvestFixtures(t)
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	var known int
	if err := conn.QueryRow(`SELECT max(version) FROM migrations`).Scan(&known); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO migrations (version, name, applied_at) VALUES (?, 'newer', '2030-01-01T00:00:00Z')`, known+1); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	countRuns := func() int {
		var n int
		if err := conn.QueryRow(`SELECT count(*) FROM runs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	runs := countRuns()
	want := fmt.Sprintf("schema version %d, this patchwatch knows versions up to %d", known+1, known)
	for _, args := range [][]string{
		{"harvest", "--db", db, "--replay", fixtures, "--quiet"},
		{"query", "--db", db, "SELECT 1"},
	} {
		code, _, errs := runCmd(t, args...)
		if code != exitFatal || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", args[0], code, errs, want)
		}
	}
	if got := countRuns(); got != runs {
		t.Errorf("runs went from %v to %v: the newer database was written", runs, got)
	}
}

// TestHarvestCorruptDatabaseIsFatal: pages of the database overwritten
// with garbage make the harvest stop with exit 2, which the README's
// systemd unit counts as a failure, not exit 1 (a partial success).
func TestHarvestCorruptDatabaseIsFatal(t *testing.T) {
	db := harvestFixtures(t)
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	// Keep the header and schema (page 1) so the database still opens;
	// overwrite the middle third.
	junk := bytes.Repeat([]byte{0xa5}, int(info.Size()/3))
	if _, err := f.WriteAt(junk, info.Size()/3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, _, errs := runCmd(t, "harvest", "--db", db, "--replay", fixtures, "--quiet")
	if code != exitFatal || !strings.Contains(errs, "unusable") {
		t.Errorf("harvest of a corrupted database: exit %d, stderr %q; want exit 2 saying it is unusable", code, errs)
	}
}

// signalWriter collects what is written to it and closes seen the first
// time the text so far contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	want string
	seen chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestHarvestWaitsForTheLock: with --wait, a harvest that finds another
// process writing says so and waits; when the holder lets go it runs to
// completion (exit 0), as the README's systemd unit relies on.
func TestHarvestWaitsForTheLock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pw.db")
	holder, err := store.AcquireLock(context.Background(), db, 0)
	if err != nil {
		t.Fatal(err)
	}
	stderr := &signalWriter{want: "waiting up to 10m0s", seen: make(chan struct{})}
	e := &env{stdout: io.Discard, stderr: stderr, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), e, []string{"harvest", "--db", db, "--replay", fixtures, "--quiet", "--source", "xen", "--wait", "10m"})
	}()
	select {
	case <-stderr.seen:
	case code := <-done:
		holder.Release()
		t.Fatalf("harvest did not wait for the lock: exit %d: %s", code, stderr.String())
	}
	if err := holder.Release(); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != exitOK {
		t.Fatalf("harvest after the lock was released: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "another patchwatch process is writing") {
		t.Errorf("the waiting message does not say why: %q", stderr.String())
	}
}

// TestReadCommandsAsUnprivilegedUser runs query as a real user who may read
// the database but not write its folder: the user "nobody", started from
// root. Root ignores mode bits, so this is the case the in-process test
// above cannot show when the suite runs as root; it is skipped when the
// suite does not run as root (the in-process test then holds the bits) or
// when there is no such user.
func TestReadCommandsAsUnprivilegedUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("not running as root: TestReadCommandsOnReadOnlyFolder already runs under enforced mode bits")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no unprivileged user to run as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	db := harvestFixtures(t)
	// nobody must reach the binary and the database, and no more.
	base, err := os.MkdirTemp("", "pw-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	bin := filepath.Join(base, "patchwatch.test")
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	roDB := filepath.Join(dir, "pw.db")
	if err := os.WriteFile(roDB, body, 0o444); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, base} {
		if err := os.Chmod(d, 0o555); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(base, 0o755); os.Chmod(dir, 0o755) })

	cmd := exec.Command(bin, "query", "--db", roDB, "SELECT count(*) AS n FROM fixes")
	cmd.Env = []string{"PATCHWATCH_AS_MAIN=1", "HOME=/"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("query as nobody on a read-only folder: %v: %s", err, stderr.String())
	}
	if f := strings.Fields(stdout.String()); len(f) != 2 || f[1] == "0" {
		t.Errorf("query printed %q, want a header and a count of fixes", stdout.String())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries after the query, want only the database", len(entries))
	}
}
