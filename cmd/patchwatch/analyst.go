package main

import (
	"fmt"
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
