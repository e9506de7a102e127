// Command patchwatch harvests virtualization vendors' security advisories
// and patch pages into one SQLite database and answers questions about how
// often hosts need patching and what the patches touch.
//
// Exit codes, for cron: 0 everything succeeded; 1 some pages or sources
// failed (everything else was stored); 2 usage error or a fatal error such
// as an unusable database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	_ "github.com/patchwatch/patchwatch/scrapers/all"
)

// Exit codes.
const (
	exitOK      = 0
	exitPartial = 1
	exitFatal   = 2
)

// command is one subcommand: its name, a line for the overview, and the
// function that parses its own flags and runs it.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) int
}

// env is what every command writes to and reads from, so tests can run a
// command in-process and capture its output.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

var commands = []command{
	{"harvest", "fetch (or replay) every source's pages into the database", runHarvest},
	{"parse", "parse one saved page and print the records as JSON", runParse},
	{"query", "run read-only SQL against the database", runQuery},
	{"sources", "list the sources with their URLs and what they cover", runSources},
	{"reparse", "rebuild the records from the stored raw pages, without network", runReparse},
	{"runs", "list recent harvest runs, or one run's sources and errors", runRuns},
	{"status", "each source's last success; exit 1 if one is stale", runStatusCmd},
	{"search", "full-text search over advisory and fix text", runSearch},
	{"export", "write advisories, patches and fixes as CSV, JSON lines, OSV or CSAF 2.0", runExport},
	{"cadence", "patch events a host of one product version needed, and how often", runCadence},
	{"report", "write a self-contained HTML report with charts", runReport},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitFatal
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "patchwatch: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitFatal
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `patchwatch watches virtualization vendors' security advisories and patches.

Usage: patchwatch <command> [flags] [args]

Commands:`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, `
Run "patchwatch <command> --help" for a command's flags.
The database is ./patchwatch.db unless --db or PATCHWATCH_DB says otherwise.
Exit codes: 0 ok, 1 some pages or sources failed, 2 usage or fatal error.`)
}

// newFlags makes a command's flag set with a usage text that starts with
// the synopsis. Parse errors and --help are handled by parseFlags.
func newFlags(e *env, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: patchwatch %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and says which exit code to return now, if any:
// 0 after --help, 2 after a bad flag.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	default:
		return exitFatal, true
	}
}

// dbFlag registers --db with its default from PATCHWATCH_DB.
func dbFlag(e *env, fs *flag.FlagSet) *string {
	def := e.getenv("PATCHWATCH_DB")
	if def == "" {
		def = "patchwatch.db"
	}
	return fs.String("db", def, "SQLite database `path` (env PATCHWATCH_DB)")
}

// listFlag collects a repeatable flag; each value may also be a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// newLogger builds the stderr logger: text for people, JSON for cron.
func newLogger(w io.Writer, format string, quiet, verbose bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	if verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}
