package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lookStockTool finds a system tool the compatibility test drives. Outside CI
// a machine without it skips; in CI (.ci/run installs both and sets CI) a
// missing tool fails the test, so the check can never pass by not running.
func lookStockTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found but CI is set: .ci/run must install it: %v", name, err)
		}
		t.Skipf("%s not installed (install it, or set CI to make this a failure): %v", name, err)
	}
	return path
}

// docExamples returns every SQL statement in docs/schema.md's sql blocks.
func docExamples(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../docs/schema.md")
	if err != nil {
		t.Fatal(err)
	}
	var stmts []string
	for _, block := range regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		var cur []string
		for _, line := range strings.Split(block[1], "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "--") {
				continue
			}
			cur = append(cur, line)
			if strings.HasSuffix(strings.TrimSpace(line), ";") {
				stmts = append(stmts, strings.TrimSpace(strings.Join(cur, "\n")))
				cur = nil
			}
		}
		if rest := strings.TrimSpace(strings.Join(cur, "\n")); rest != "" {
			t.Fatalf("docs/schema.md: statement without a closing semicolon: %q", rest)
		}
	}
	if len(stmts) < 5 {
		t.Fatalf("found only %d examples in docs/schema.md", len(stmts))
	}
	return stmts
}

// newerThan337 lists SQL that SQLite 3.37 does not understand. The test
// machine's shell may be newer than the oldest supported release, so the
// schema and the examples are also checked for these by name.
var newerThan337 = []struct{ re, since string }{
	{`(?is)group_concat\s*\((?:[^()]|\([^()]*\))*\border\s+by\b`, "3.44 (ordered aggregates)"},
	{`(?i)\bstring_agg\s*\(`, "3.44"},
	{`->`, "3.38 (JSON operators)"},
	{`(?i)\bunixepoch\s*\(`, "3.38"},
	{`(?i)\bformat\s*\(`, "3.38"},
	{`(?i)\b(right|full)\s+(outer\s+)?join\b`, "3.39"},
	{`(?i)\bis\s+(not\s+)?distinct\s+from\b`, "3.39"},
	{`(?i)\b(octet_length|timediff)\s*\(`, "3.43"},
	{`(?i)\bconcat(_ws)?\s*\(`, "3.44"},
	{`(?i)\bjsonb_?\w*\s*\(`, "3.45"},
	{`(?i)\bjson_pretty\s*\(`, "3.46"},
}

// TestStockSQLiteReadsDemoDatabase builds the demo database as `make demo`
// does and opens it with Debian's sqlite3 shell and Python's sqlite3
// module, the system library analysts' tools are built on. Both must read
// every view and give the same rows as patchwatch itself, and every example
// in docs/schema.md must run in the shell with the same result.
func TestStockSQLiteReadsDemoDatabase(t *testing.T) {
	shell := lookStockTool(t, "sqlite3")
	python := lookStockTool(t, "python3")

	db := harvestFixtures(t)

	ver, err := exec.Command(shell, "-version").Output()
	if err != nil {
		t.Fatalf("%s -version: %v", shell, err)
	}
	t.Logf("sqlite3 shell %s", strings.Fields(string(ver))[0])

	// shellRows runs one statement in the read-only shell and decodes its
	// JSON output; an error in the shell (such as a schema it cannot parse)
	// fails the test with the shell's message.
	shellRows := func(t *testing.T, stmt string) []map[string]any {
		t.Helper()
		cmd := exec.Command(shell, "-readonly", "-bail", "-json", db, stmt)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Fatalf("sqlite3 %q: %v: %s", stmt, err, stderr.String())
		}
		rows := []map[string]any{}
		if out := bytes.TrimSpace(stdout.Bytes()); len(out) > 0 {
			if err := json.Unmarshal(out, &rows); err != nil {
				t.Fatalf("sqlite3 %q: output %q: %v", stmt, out, err)
			}
		}
		return rows
	}
	ownRows := func(t *testing.T, stmt string) []map[string]any {
		t.Helper()
		rows := queryRows(t, db, strings.TrimSuffix(stmt, ";"))
		if rows == nil {
			rows = []map[string]any{}
		}
		return rows
	}

	// Every documented view, each in an order that makes its rows unique.
	views := []string{"v_advisories", "v_patches", "v_fixes", "v_fix_remedies", "v_fix_patches"}
	order := map[string]string{
		"v_advisories": "vendor, id", "v_patches": "vendor, id", "v_fixes": "vendor, id",
		"v_fix_remedies": "vendor, fix_id, seq", "v_fix_patches": "vendor, fix_id, patch_id",
	}
	// The stock library finds nothing wrong with the file. SQLite 3.40's
	// integrity_check misreads WITHOUT ROWID tables whose key columns are
	// not leading (a false "NULL value in ..."), so this also holds the
	// tables to key-first column order (migration 0019).
	t.Run("shell/integrity_check", func(t *testing.T) {
		want := []map[string]any{{"integrity_check": "ok"}}
		if diff := cmp.Diff(want, shellRows(t, "PRAGMA integrity_check;")); diff != "" {
			t.Errorf("integrity_check in stock sqlite3 (-want +got):\n%s", diff)
		}
	})
	for _, v := range views {
		t.Run("shell/"+v, func(t *testing.T) {
			stmt := "SELECT * FROM " + v + " ORDER BY " + order[v] + ";"
			got, want := shellRows(t, stmt), ownRows(t, stmt)
			if len(want) < 10 {
				t.Fatalf("%s has %d rows in the demo database; the comparison would prove little", v, len(want))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: stock sqlite3 disagrees with patchwatch (-patchwatch +sqlite3):\n%s", v, diff)
			}
		})
	}
	for i, stmt := range docExamples(t) {
		t.Run("docs/"+string(rune('a'+i)), func(t *testing.T) {
			got, want := shellRows(t, stmt), ownRows(t, stmt)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("docs/schema.md example %q (-patchwatch +sqlite3):\n%s", stmt, diff)
			}
		})
	}

	t.Run("python", func(t *testing.T) {
		script := `
import json, sqlite3, sys
con = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
out = {"version": sqlite3.sqlite_version}
for arg in sys.argv[2:]:
    v, order = arg.split(":")
    cur = con.execute("SELECT * FROM " + v + " ORDER BY " + order)
    cols = [d[0] for d in cur.description]
    out[v] = [dict(zip(cols, r)) for r in cur]
json.dump(out, sys.stdout)
`
		args := []string{"-c", script, db}
		for _, v := range views {
			args = append(args, v+":"+order[v])
		}
		cmd := exec.Command(python, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("python3 sqlite3: %v: %s", err, stderr.String())
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("python output: %v", err)
		}
		t.Logf("python3 sqlite3 module, SQLite %v", got["version"])
		for _, v := range views {
			want := ownRows(t, "SELECT * FROM "+v+" ORDER BY "+order[v])
			var gotRows []map[string]any
			b, _ := json.Marshal(got[v])
			if err := json.Unmarshal(b, &gotRows); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, gotRows); diff != "" {
				t.Errorf("%s through Python (-patchwatch +python):\n%s", v, diff)
			}
		}
	})

	t.Run("no SQL newer than 3.37", func(t *testing.T) {
		texts := map[string]string{}
		for _, r := range shellRows(t, "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL;") {
			texts[r["type"].(string)+" "+r["name"].(string)] = r["sql"].(string)
		}
		for i, stmt := range docExamples(t) {
			texts["docs/schema.md example "+string(rune('a'+i))] = stmt
		}
		if len(texts) < 20 {
			t.Fatalf("only %d schema objects and examples to check", len(texts))
		}
		for name, sql := range texts {
			for _, n := range newerThan337 {
				if m := regexp.MustCompile(n.re).FindString(sql); m != "" {
					t.Errorf("%s uses %q, which needs SQLite %s", name, m, n.since)
				}
			}
		}
	})
}

// TestNewerThan337Patterns proves the static check catches what it names.
func TestNewerThan337Patterns(t *testing.T) {
	for _, sql := range []string{
		"SELECT group_concat(c.cve, ' ' ORDER BY c.cve) FROM x",
		"SELECT group_concat(DISTINCT f.category ORDER BY f.category) FROM x",
		"SELECT v ->> '$.a' FROM x",
		"SELECT * FROM a RIGHT JOIN b",
		"SELECT unixepoch('now')",
	} {
		caught := false
		for _, n := range newerThan337 {
			if regexp.MustCompile(n.re).MatchString(sql) {
				caught = true
			}
		}
		if !caught {
			t.Errorf("%q passes the 3.37 check", sql)
		}
	}
	for _, sql := range []string{
		"SELECT group_concat(s.cve, ' ') FROM (SELECT cve FROM c ORDER BY cve) s",
		"SELECT json_extract(v, '$.a') FROM x LEFT JOIN y",
	} {
		for _, n := range newerThan337 {
			if regexp.MustCompile(n.re).MatchString(sql) {
				t.Errorf("%q is valid in 3.37 but matches %s", sql, n.re)
			}
		}
	}
}
