package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/patchwatch/patchwatch/normalize"
)

// jsonStrings encodes a filter list for SQL's json_each, "[]" meaning no
// filter, so one prepared statement serves with and without a filter.
func jsonStrings(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always encodes
	return string(b)
}

// parseDay reads a YYYY-MM-DD flag value.
func parseDay(flagName, v string) (time.Time, error) {
	t, err := time.Parse(normalize.DateLayout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s must be a date YYYY-MM-DD, not %q", flagName, v)
	}
	return t, nil
}
