package sqlguard

import (
	"strings"
	"testing"
)

// TestQueryRefusesWithReplaceInto (issue 15, item 9): a WITH statement that
// ends in REPLACE INTO is refused by the guard itself, while the replace()
// function still works in a WITH query.
func TestQueryRefusesWithReplaceInto(t *testing.T) {
	for _, q := range []string{
		"WITH x AS (SELECT 1) REPLACE INTO advisories (id) SELECT 1",
		"with x as (select 1) replace into runs(id) values (9)",
	} {
		err := Check(q)
		if err == nil || !strings.Contains(err.Error(), "REPLACE") {
			t.Errorf("Check(%q) = %v; want a refusal naming REPLACE", q, err)
		}
	}
	for _, q := range []string{
		"WITH x AS (SELECT replace('a-b', '-', ' ') AS r) SELECT r FROM x",
		"WITH x AS (SELECT 1 AS v) SELECT REPLACE (v, '1', '2') FROM x",
	} {
		if err := Check(q); err != nil {
			t.Errorf("Check(%q) refused a read: %v", q, err)
		}
	}
}
