// Command battles-export streams the arena's qualifying battles out of
// PostgreSQL as a battles NDJSON stream: a header line, one line per
// battle (or per group of identical battles with --aggregate), a trailer
// line.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/export"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"
)

const tool = "battles-export"

func main() { clix.Main(run) }

const description = `Writes the battles that qualify for the overall leaderboard (an evaluation,
and an effective validation that says the battle is biomedical) to stdout as
NDJSON: a header line (export time, every leaderboard's slug and name), one
line per battle {model_a, model_b, winner, categories, battle_id, created_at},
and a trailer line with the number of lines and battles. A stream without its
trailer was cut short. Everything is read in one read-only snapshot.

With --aggregate the database counts identical battles: one line per
(model_a, model_b, winner, categories) with "count"; ranking it gives the
same result as ranking the raw lines.

With --style each battle line also carries "style": {"a": {...}, "b": {...}},
each side's answers summed over the battle's rounds: "length" in characters,
markdown "headers" (lines starting with 1 to 6 #), "lists" (ordered and
unordered list items) and "bold" spans (** or __), counted outside fenced
code blocks, as the public arena datasets' conv_metadata counts them (they
count length in tokens). The database computes them: answer text never
leaves it. rank --style-control reads them. Not with --aggregate.

--leaderboard (LEADERBOARD_SLUG) must be a row of api.leaderboard. A row
SLUG-style, where SLUG is a row too, opts SLUG's style-controlled variant
in (rank --style-control): it is not a category and holds no battles, so
--leaderboard SLUG-style is a usage error; export SLUG with --style instead.

A category that no api.leaderboard row names is exported all the same and
named in a warning on stderr; with --aggregate it costs a second pass of the
query (the first one counts on the leaderboards' categories).

The role needs USAGE on schema api and SELECT on api.leaderboard, api.model,
api.battle, api.battle_evaluation, api.battle_validation,
api.battle_categorization and api.battle_categorization_category, and with
--style also api.battle_round and api.message.

` + exitcode.Help

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	log := clix.NewLogger(tool, stderr, os.Getenv)
	app := &cli.App{
		Name:        tool,
		Usage:       "stream the arena's qualifying battles as NDJSON",
		UsageText:   tool + " [--database-url URL] [--aggregate | --style] [--leaderboard SLUG] [--since TIME] [--until TIME] > battles.ndjson",
		Description: description,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "database-url", Usage: pgconf.FlagUsage},
			&cli.BoolFlag{Name: "aggregate", Usage: "one line per distinct (model_a, model_b, winner, categories) with its count, counted by the database"},
			&cli.BoolFlag{Name: "style", Usage: "add each battle's style features (\"style\": length in characters, markdown headers, list items and bold spans of each side's answers, summed over the rounds), computed by the database; not with --aggregate"},
			&cli.StringFlag{Name: "leaderboard", EnvVars: []string{"LEADERBOARD_SLUG"}, Usage: "only the battles of leaderboard `SLUG` (overall: all); a SLUG-style row is no category: export SLUG with --style for its style-controlled variant"},
			&cli.StringFlag{Name: "since", Usage: "only battles created at or after `TIME` (RFC 3339, like 2025-01-31T00:00:00Z)"},
			&cli.StringFlag{Name: "until", Usage: "only battles created before `TIME` (RFC 3339)"},
			&cli.BoolFlag{Name: "print-query", Hidden: true, Usage: "print the battle query and exit (for benchmarks)"},
			clix.NoProgressFlag(),
			clix.CheckSettingsFlag(),
		},
		Action: func(c *cli.Context) error { return exportBattles(c, stdout, stderr, log) },
	}
	return clix.Run(ctx, app, args, stdin, stdout, stderr, log)
}

func exportBattles(c *cli.Context, stdout, stderr io.Writer, log *clix.Logger) error {
	if c.NArg() > 0 {
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("unexpected argument %q", c.Args().First()),
			"run '"+tool+" --help' for usage")
	}
	o := export.Options{Aggregate: c.Bool("aggregate"), Style: c.Bool("style"), Leaderboard: c.String("leaderboard")}
	if err := o.Check(); err != nil {
		return err
	}
	var err error
	if o.Since, err = parseTime(c, "since"); err != nil {
		return err
	}
	if o.Until, err = parseTime(c, "until"); err != nil {
		return err
	}
	if !o.Since.IsZero() && !o.Until.IsZero() && !o.Since.Before(o.Until) {
		return clix.Usagef("--since must be before --until")
	}
	cfg, err := pgconf.Load(c.String("database-url"), os.Getenv)
	if err != nil {
		return err
	}
	if c.Bool(clix.CheckSettings) {
		return nil
	}
	start := time.Now()
	log.Event("start", "database", pgconf.Describe(cfg), "aggregate", o.Aggregate, "style", o.Style, "leaderboard", o.Leaderboard,
		"since", c.String("since"), "until", c.String("until"))
	var bar *clix.Progress
	if clix.ShowProgress(c, stdout, stderr, log, os.Getenv) {
		// A spinner while connecting and while the database runs the
		// query (the time goes there), then the lines written.
		bar = clix.NewProgress(log, "connecting to "+pgconf.Describe(cfg), "lines", 0)
		o.Progress = func(n int64) { bar.Describe("writing battles"); bar.Set(n) }
		defer bar.Finish()
	}
	conn, err := pgconf.Connect(c.Context, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(c.Context))
	if c.Bool("print-query") {
		return printQuery(c.Context, stdout, conn, o)
	}
	bar.Describe("querying the database")
	stats, err := export.Run(c.Context, conn, stdout, o)
	if err != nil {
		return pgconf.At(cfg, err)
	}
	if len(stats.Unlisted) > 0 {
		reread := ""
		if stats.Reread {
			reread = "; the aggregated query ran twice to carry them"
		}
		log.Warnf("categories that no api.leaderboard row names: %s (exported all the same%s)",
			strings.Join(stats.Unlisted, ", "), reread)
	}
	log.Event("complete", "rows", stats.Records, "battles", stats.Battles,
		"duration", time.Since(start).Seconds())
	return nil
}

// printQuery prints, for psql, the session settings and then the battle
// query on one line, for the categories of the database: the list of
// categories is written into it, other arguments stay as $2, $3, ...
func printQuery(ctx context.Context, w io.Writer, conn *pgx.Conn, o export.Options) error {
	cats, err := export.Categories(ctx, conn)
	if err != nil {
		return err
	}
	for _, set := range export.Settings {
		fmt.Fprintf(w, "%s;\n", strings.Replace(set, "SET LOCAL ", "SET ", 1))
	}
	sql, _ := export.Query(o, cats)
	if len(cats) <= export.MaskBits {
		quoted := make([]string, len(cats))
		for i, c := range cats {
			quoted[i] = "'" + strings.ReplaceAll(c, "'", "''") + "'"
		}
		sql = strings.Replace(sql, "$1::text[]", "ARRAY["+strings.Join(quoted, ",")+"]::text[]", 1)
	}
	if _, err = fmt.Fprintln(w, strings.Join(strings.Fields(sql), " ")); err != nil {
		return exitcode.WriteError("output", err)
	}
	return nil
}

// parseTime reads an RFC 3339 flag; unset gives the zero time.
func parseTime(c *cli.Context, name string) (time.Time, error) {
	v := c.String(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, exitcode.WithHint(exitcode.Usage,
			fmt.Errorf("--%s: %q is not an RFC 3339 time", name, v),
			"write it like 2025-01-31T00:00:00Z or 2025-01-31T09:30:00+02:00")
	}
	return t, nil
}
