// Package storetest builds small databases for the tests of the packages
// that read the store's views (analysis, export, report): records go in
// through store.SavePage, as a harvest writes them, and come back through
// store.OpenReadOnly, as the analyst commands read them.
package storetest

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/patchwatch/patchwatch/store"
)

// ReadOnly opens a new file database (an in-memory one is per connection
// with modernc), lets fill write to it (and set the store's clock), closes
// it and returns it opened read-only; the handle closes with the test.
func ReadOnly(t testing.TB, fill func(s *store.Store)) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "patchwatch.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fill(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
