package main

import (
	"fmt"
	"regexp"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
)

// parseDay reads a YYYY-MM-DD flag value.
func parseDay(flagName, v string) (time.Time, error) {
	t, err := time.Parse(normalize.DateLayout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s must be a date YYYY-MM-DD, not %q", flagName, v)
	}
	return t, nil
}

// olderSchema matches SQLite's complaint when a read-only command meets a
// database whose migrations predate the views it reads (v_fix_patches and
// v_advisories.sections came with migrations 0017 and 0018,
// v_fix_remedies.vendor with 0019). Read-only commands do not migrate, so
// say how to.
var olderSchema = regexp.MustCompile(`no such (table: v_\w+|column: (sections|first_seen|vendor))`)

// schemaHint adds that advice to err when it is such a complaint.
func schemaHint(err error) error {
	if err != nil && olderSchema.MatchString(err.Error()) {
		return fmt.Errorf("%w (the database was last migrated by an older patchwatch; read-only commands do not migrate it: run `patchwatch reparse` (no network) or the next harvest once)", err)
	}
	return err
}
