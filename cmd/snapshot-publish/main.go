// Command snapshot-publish reads leaderboard records (NDJSON, one whole
// leaderboard per line, as rank writes them) and publishes each one to the
// database, an S3 bucket and/or a local folder, all or nothing per
// leaderboard and place.
package main

import (
	"context"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/cache"
	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
	"github.com/bixarena/arena-snapshots/internal/publish"
	"github.com/bixarena/arena-snapshots/internal/sink"
	"github.com/urfave/cli/v2"
)

const tool = "snapshot-publish"

func main() { clix.Main(run) }

const description = `Reads leaderboard records (one JSON object per line, as rank writes them)
from the FILEs in order, or stdin ('-' or no FILE), and publishes each
ranked leaderboard to every place given:

  --db       the database: one transaction per leaderboard inserts the
             snapshot and its entries and makes it public (or private with
             --visibility private: a private snapshot is written to the
             database only, and the API's model history lists its entries
             at once; publishing the same records again as public releases
             it and writes its files).
  --s3 URI   s3://bucket/prefix: PREFIX/SLUG/IDENTIFIER.json and
             .pairs.json (head to head; written once, never replaced), its
             pictures .svg, .observed.svg and .predicted.svg (the chart and
             heatmaps), then PREFIX/SLUG/latest.json and latest.svg, the
             leaderboard's snapshots PREFIX/SLUG/index.json, then
             PREFIX/index.json (every leaderboard's latest snapshot, merged
             with the stored one), and last the site: PREFIX/SLUG/index.html
             and PREFIX/index.html, self-contained pages that work from a
             folder and from S3 static hosting.
  --dir PATH the same files in a folder, each written to a temporary file
             and renamed into place.

With --db and --redis-url (REDIS_URL), once every leaderboard went through
the database, the API's cached pages (keys under
bixarena:api:leaderboardList:: and bixarena:api:leaderboardEntries::, kept
6 hours) are deleted with SCAN and UNLINK, nothing else; when Redis cannot
be reached in --redis-timeout, the summary lines of the published
leaderboards carry a warning and the exit status is unchanged.

One run, one snapshot: a snapshot is named snapshot_YYYY-MM-DD_HH-MM-SS (UTC)
and dated after the record's as_of, the moment its battles were read (the
export's time, or its --until bound for a backfill); a record without as_of
uses the publish time. Publishing the same run again (the same file twice,
a retry) inserts nothing and reports its snapshot ("status":"published",
"existing": true), in the database and, without --db, in the first --s3 or
--dir place that has it alike; a dry run says the same (on a terminal
with --diff: published already as ..., nothing to do); the
same run with other numbers fails that leaderboard; another run in the same
second gets the suffix _2, _3, ... An older run (a backfill) never replaces
a newer latest.json or index.json line. Skipped records are reported, not
published.

All the input is read and checked before anything is written: a line that
is not a valid leaderboard record (bad JSON, unknown status, ranks that break
the rank rule, numbers beyond numeric(10,6), duplicate models, a last line
without its newline, a line over 64 MiB) stops the run with FILE:LINE: what,
exit status 3, and nothing published anywhere.

The guard (--guard on, the default): before a leaderboard is published,
it is compared with its current public snapshot (the newest public one
older than the record: with --db, the database's, so that a backfill
compares with its own past; without --db, SLUG/latest.json of the first
--s3 or --dir place, when older) and held back when it breaks a rule:
  fewer_battles   fewer battles than before by more than
                  --guard-battles-tolerance (default 0.05, a fraction)
  model_gone      a model listed before with at least --guard-gone-votes
                  (default 10) × min_votes votes is not listed
  score_jump      a model's score moved by more than --guard-score-k
                  (default 4) times the larger of its two interval
                  half-widths
  leader_changed  the top model changed and its interval does not overlap
                  the old leader's
  fewer_entries   the entries fell by more than --guard-entries-drop
                  (default 0.5, a fraction)
A held leaderboard is not written to the database, latest or the index:
its record and the reasons go to held/SLUG/IDENTIFIER.json in the --s3 and
--dir places, and its summary line says "held" with "reasons". Publish it
deliberately with --guard off (PUBLISH_GUARD=off).

Stdout: one JSON line per leaderboard, in input order:
  {"leaderboard","status":"published|skipped|failed|held|would_publish|would_hold",
   "snapshot_id","identifier","entries","where":["db","s3://...","dir:..."],
   "existing","reason"|"error"|"reasons","previous","diff","warnings"}
A leaderboard that fails or is held does not stop the others. With --diff
(also with --dry-run), each line gets a "diff": the models added and
removed, and those whose rank or score moved beyond their intervals,
against the current public snapshot; on a terminal, a table instead. That
snapshot is read from --db, else the first --s3 or --dir place: --diff
without any of them is a usage error.

--record-run FILE stores the daily job's run record (its complete event)
as runs/YYYY-MM-DD/CORRELATION_ID.json in the --s3 and --dir places, lists
it in runs/index.json (newest first, the last 400 runs) and on the status
page runs/index.html, and publishes nothing.

The database role needs USAGE on schema api, SELECT on api.model and
api.leaderboard, SELECT and INSERT on api.leaderboard_snapshot and
api.leaderboard_entry, and UPDATE of only visibility and updated_at on
api.leaderboard_snapshot: no UPDATE or DELETE of entries (docs/grants.sql
has the exact grants). The schema and these privileges are checked once,
before the first leaderboard (a dry run checks the SELECT ones): a
database without them is one configuration error (4), nothing written.
S3 uses the AWS SDK's standard configuration
(AWS_ACCESS_KEY_ID, AWS_REGION (default us-east-1), AWS_PROFILE, ...;
AWS_ENDPOINT_URL_S3 for another endpoint).

Flags may come before or after the FILEs; "--" ends them. --s3 and --dir
can also be set by SNAPSHOT_S3_URI and SNAPSHOT_DIR (as the daily job
does). Whole numbers are read in decimal (010 is ten; 0x10, 0o17, 0b11
and 1_000 are refused). The places are checked before any input is read: a --dir that is
not a folder is a usage error, one that cannot be written a configuration
error. --check-settings checks flags, variables and places, and reads and
writes nothing.

` + exitcode.Help + `
   When leaderboards fail: 6 when another one was published, else the
   failures' own status, the gravest when they differ (1, 4, 3), and 5 only
   when every failure may pass (retry on 5 is safe: publishing is
   idempotent); a dry run publishes nothing, so it never ends with 6. When
   leaderboards are held: 6 when others were published, else 3 (a retry
   holds them again) or the graver status of the failures.`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	log := clix.NewLogger(tool, stderr, os.Getenv)
	app := &cli.App{
		Name:  tool,
		Usage: "publish leaderboard records to the database, S3 and/or a folder",
		UsageText: tool + " [--db [--database-url URL]] [--s3 s3://BUCKET/PREFIX] [--dir PATH] [--dry-run] [--diff] [--guard on|off] [FILE...]\n" +
			tool + " --record-run FILE [--s3 s3://BUCKET/PREFIX] [--dir PATH]",
		Description: description,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "db", Usage: "publish to the database"},
			&cli.StringFlag{Name: "database-url", Usage: pgconf.FlagUsage},
			&cli.StringFlag{Name: "s3", EnvVars: []string{"SNAPSHOT_S3_URI"}, Usage: "publish to `s3://BUCKET/PREFIX`"},
			&cli.StringFlag{Name: "s3-endpoint", Usage: "S3 endpoint `URL` (default: AWS_ENDPOINT_URL_S3, else AWS)"},
			&cli.BoolFlag{Name: "s3-path-style", Usage: "address the bucket in the path (http://host/bucket/key), as most S3-compatible servers want"},
			&cli.IntFlag{Name: "s3-timeout", Value: int(sink.DefaultRequestTimeout / time.Second), EnvVars: []string{"S3_TIMEOUT_SECONDS"}, Usage: "give up an S3 request after `SECONDS` (each of the SDK's AWS_MAX_ATTEMPTS attempts)"},
			&cli.StringFlag{Name: "dir", EnvVars: []string{"SNAPSHOT_DIR"}, Usage: "publish to the folder `PATH` (created if missing)"},
			&cli.StringFlag{Name: "redis-url", EnvVars: []string{"REDIS_URL"}, Usage: "with --db, after the database commits, delete the API's cached leaderboard pages from the Redis at `URL` (redis://HOST:6379/0); a failure is a warning"},
			&cli.IntFlag{Name: "redis-timeout", Value: int(cache.DefaultTimeout / time.Second), EnvVars: []string{"REDIS_TIMEOUT_SECONDS"}, Usage: "give up connecting to Redis or a Redis command after `SECONDS`"},
			&cli.BoolFlag{Name: "dry-run", Usage: "check the input (and, with --db, the slugs) and print what would be published; write nothing"},
			&cli.StringFlag{Name: "visibility", Value: "public", Usage: "`VISIBILITY` of new database snapshots: public, or private to review first (needs --db; nothing is written to --s3 or --dir, and the API's model history shows private entries at once)"},
			&cli.StringFlag{Name: "guard", Value: "on", EnvVars: []string{"PUBLISH_GUARD"}, Usage: "`MODE` of the guard, which compares each leaderboard with its current public snapshot and holds back an implausible one: on, or off for a deliberate change"},
			&cli.Float64Flag{Name: "guard-battles-tolerance", Value: guard.DefaultBattlesTolerance, EnvVars: []string{"PUBLISH_GUARD_BATTLES_TOLERANCE"}, Usage: "hold a leaderboard with fewer battles than before by more than this `FRACTION` (0 to 1)"},
			&cli.Float64Flag{Name: "guard-gone-votes", Value: guard.DefaultGoneVotes, EnvVars: []string{"PUBLISH_GUARD_GONE_VOTES"}, Usage: "hold a leaderboard that lost a model listed before with at least `FACTOR` × min_votes votes"},
			&cli.Float64Flag{Name: "guard-score-k", Value: guard.DefaultScoreK, EnvVars: []string{"PUBLISH_GUARD_SCORE_K"}, Usage: "hold a leaderboard where a model's score moved by more than `K` times the larger of its two interval half-widths"},
			&cli.Float64Flag{Name: "guard-entries-drop", Value: guard.DefaultEntriesDrop, EnvVars: []string{"PUBLISH_GUARD_ENTRIES_DROP"}, Usage: "hold a leaderboard whose entries fell by more than this `FRACTION` (0 to 1)"},
			&cli.BoolFlag{Name: "diff", Usage: "say per leaderboard what changes against its current public snapshot: a table on a terminal, a \"diff\" field in each summary line otherwise"},
			&cli.StringFlag{Name: "record-run", Usage: "store the job's run record (its complete event, one JSON object) read from `FILE` ('-': stdin) in runs/ of the --s3 and --dir places, instead of publishing"},
			clix.NoProgressFlag(),
			clix.CheckSettingsFlag(),
		},
		Action: func(c *cli.Context) error {
			g, guardOff, err := guardFlags(c)
			if err != nil {
				return err
			}
			s3Timeout, err := clix.IntInRange(c, "s3-timeout", "S3_TIMEOUT_SECONDS", 1, 3600)
			if err != nil {
				return err
			}
			redisTimeout, err := clix.IntInRange(c, "redis-timeout", "REDIS_TIMEOUT_SECONDS", 1, 3600)
			if err != nil {
				return err
			}
			o := publish.Options{
				Files:        c.Args().Slice(),
				DB:           c.Bool("db"),
				DatabaseURL:  c.String("database-url"),
				S3URL:        c.String("s3"),
				S3Endpoint:   c.String("s3-endpoint"),
				S3PathStyle:  c.Bool("s3-path-style"),
				S3Timeout:    time.Duration(s3Timeout) * time.Second,
				Dir:          c.String("dir"),
				RedisURL:     c.String("redis-url"),
				RedisTimeout: time.Duration(redisTimeout) * time.Second,
				DryRun:       c.Bool("dry-run"),
				Visibility:   c.String("visibility"),
				GuardOff:     guardOff,
				Guard:        g,
				Diff:         c.Bool("diff"),
				DiffTable:    c.Bool("diff") && clix.IsTerminal(stdout),
			}
			if c.Bool(clix.CheckSettings) {
				return o.CheckSettings(c.Context)
			}
			if c.IsSet("record-run") {
				return publish.RecordRun(c.Context, o, c.String("record-run"), stdin, stdout, log)
			}
			in := stdin
			if readsStdin(o.Files) {
				clix.NoteTerminalStdin(stdin, log, "leaderboard records")
			}
			if readsStdin(o.Files) && clix.ShowProgress(c, stdout, stderr, log, os.Getenv) {
				// The last stage of a pipe on a terminal shows the wait
				// for the stages before it; the line goes at the end of
				// the input.
				bar := clix.NewProgress(log, "reading stdin", "", 0)
				defer bar.Finish()
				in = bar.Reader(stdin)
			}
			return publish.Run(c.Context, o, in, stdout, log)
		},
	}
	return clix.Run(ctx, app, args, stdin, stdout, stderr, log)
}

// guardFlags reads the guard's flags: its thresholds, and whether it is
// off. Errors name the flag and its variable.
func guardFlags(c *cli.Context) (guard.Options, bool, error) {
	var off bool
	switch v := strings.ToLower(strings.TrimSpace(c.String("guard"))); v {
	case "", "on", "true", "1", "yes":
	case "off", "false", "0", "no":
		off = true
	default:
		return guard.Options{}, false, clix.Usagef("%s must be on or off, %s", clix.FlagName("guard", "PUBLISH_GUARD"), clix.Got(c, "guard", "PUBLISH_GUARD", c.String("guard")))
	}
	o := guard.Options{
		BattlesTolerance: c.Float64("guard-battles-tolerance"),
		GoneVotes:        c.Float64("guard-gone-votes"),
		ScoreK:           c.Float64("guard-score-k"),
		EntriesDrop:      c.Float64("guard-entries-drop"),
	}
	for _, f := range []struct {
		name, env string
		v         float64
		fraction  bool
	}{
		{"guard-battles-tolerance", "PUBLISH_GUARD_BATTLES_TOLERANCE", o.BattlesTolerance, true},
		{"guard-gone-votes", "PUBLISH_GUARD_GONE_VOTES", o.GoneVotes, false},
		{"guard-score-k", "PUBLISH_GUARD_SCORE_K", o.ScoreK, false},
		{"guard-entries-drop", "PUBLISH_GUARD_ENTRIES_DROP", o.EntriesDrop, true},
	} {
		bad := math.IsNaN(f.v) || math.IsInf(f.v, 0)
		if f.fraction && (bad || f.v < 0 || f.v > 1) {
			return o, off, clix.Usagef("%s must be a fraction from 0 to 1, %s", clix.FlagName(f.name, f.env), clix.Got(c, f.name, f.env, f.v))
		}
		if !f.fraction && (bad || f.v <= 0) {
			return o, off, clix.Usagef("%s must be a number above 0, %s", clix.FlagName(f.name, f.env), clix.Got(c, f.name, f.env, f.v))
		}
	}
	return o, off, nil
}

// readsStdin reports whether the inputs named include stdin.
func readsStdin(files []string) bool {
	return len(files) == 0 || slices.Contains(files, "-")
}
