package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readOnlyDir closes s, makes its database file and folder read-only (mode
// bits a non-root user is held to; root ignores them, which is why the
// checks below look at the files instead of relying on a failure) and
// returns the database's path and the sha256 of its bytes.
func readOnlyDir(t *testing.T, s *Store, path string) [32]byte {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(body)
}

// assertUntouched fails if anything but the database file is in its folder
// or if the file's bytes changed.
func assertUntouched(t *testing.T, path string, sum [32]byte) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(path) {
			t.Errorf("a reader left %s behind", e.Name())
		}
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(body) != sum {
		t.Error("a reader changed the database file")
	}
}

// TestOpenReadOnlyLeavesNoFiles: a user who may read the database but not
// write its folder can query it, and a reader creates no -wal or -shm file
// (which would make the owner's next harvest fail) and writes nothing.
func TestOpenReadOnlyLeavesNoFiles(t *testing.T) {
	if os.Getuid() == 0 {
		t.Log("running as root: the read-only mode bits are not enforced, so this checks that no file is created or changed")
	}
	path := filepath.Join(t.TempDir(), "db", "patchwatch.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SavePage(context.Background(), xsaDoc("v1", t0), fullResult()); err != nil {
		t.Fatal(err)
	}
	sum := readOnlyDir(t, s, path)
	for range 2 { // a second reader must not trip over the first's leftovers
		db, err := OpenReadOnly(path)
		if err != nil {
			t.Fatalf("OpenReadOnly on a read-only folder: %v", err)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM fixes`).Scan(&n); err != nil || n != 2 {
			t.Errorf("count fixes = %d, %v; want 2", n, err)
		}
		if _, err := db.Exec(`DELETE FROM fixes`); err == nil {
			t.Error("a write succeeded through a read-only open")
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	assertUntouched(t, path, sum)
}

// TestOpenRefusesNewerSchema: a database migrated by a newer patchwatch is
// neither written nor read, and the error names both versions.
func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "patchwatch.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	known := ms[len(ms)-1].version
	if _, err := s.DB().Exec(`INSERT INTO migrations (version, name, applied_at) VALUES (?, 'from_the_future', '2030-01-01T00:00:00Z')`, known+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() (func() error, error){
		"writer": func() (func() error, error) {
			s, err := Open(path)
			if err != nil {
				return nil, err
			}
			return s.Close, nil
		},
		"reader": func() (func() error, error) {
			db, err := OpenReadOnly(path)
			if err != nil {
				return nil, err
			}
			return db.Close, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			closeDB, err := open()
			if err == nil {
				closeDB()
				t.Fatal("a database from a newer schema was opened")
			}
			if !errors.Is(err, ErrSchemaTooNew) {
				t.Errorf("error %q is not ErrSchemaTooNew", err)
			}
			for _, v := range []int{known + 1, known} {
				if !strings.Contains(err.Error(), "version "+strconv.Itoa(v)) && !strings.Contains(err.Error(), "to "+strconv.Itoa(v)) {
					t.Errorf("error %q does not name version %d", err, v)
				}
			}
		})
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(before) != sha256.Sum256(after) {
		t.Error("the newer database was written to")
	}
}

// TestUnusable tells a broken database from an ordinary failed statement.
func TestUnusable(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(notDB)
	if !Unusable(err) {
		t.Errorf("Open of a text file: %v; want an Unusable error", err)
	}
	if _, err := OpenReadOnly(notDB); !Unusable(err) {
		t.Errorf("OpenReadOnly of a text file: %v; want an Unusable error", err)
	}
	s, _ := openTest(t)
	_, err = s.DB().Exec(`SELECT * FROM no_such_table`)
	if err == nil || Unusable(err) {
		t.Errorf("a bad statement: %v; want an error that is not Unusable", err)
	}
	if Unusable(nil) {
		t.Error("Unusable(nil) is true")
	}
}
