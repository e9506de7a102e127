package main

import (
	"path/filepath"
	"strings"
	"testing"
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
