// Command snapshot-publish reads leaderboard records (NDJSON, one whole
// leaderboard per line, as rank writes them) and publishes each one to the
// database, an S3 bucket and/or a local folder, all or nothing per
// leaderboard and place.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
	"github.com/bixarena/arena-snapshots/internal/publish"
	"github.com/urfave/cli/v2"
)

const tool = "snapshot-publish"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const description = `Reads leaderboard records (one JSON object per line, as rank writes them)
from the FILEs in order, or stdin ('-' or no FILE), and publishes each
ranked leaderboard to every place given:

  --db       the database: one transaction per leaderboard inserts the
             snapshot (identifier snapshot_YYYY-MM-DD_HH-MM-SS, UTC) and its
             entries and makes it public (or private with --visibility).
             Publishing the record the newest snapshot already holds inserts
             nothing and reports that snapshot ("existing": true); a second
             snapshot in the same second gets the suffix _2, _3, ...
  --s3 URI   s3://bucket/prefix: PREFIX/SLUG/IDENTIFIER.json and .svg (written
             once, never replaced), then PREFIX/SLUG/latest.json and
             latest.svg, then PREFIX/index.json (every leaderboard's latest
             snapshot, merged with the stored one).
  --dir PATH the same files in a folder, each written to a temporary file
             and renamed into place.

The identifier is the database's when --db is given, else the run's start
time. Skipped records are reported, not published.

All the input is read and checked before anything is written: a line that
is not a valid leaderboard record (bad JSON, unknown status, ranks that break
the rank rule, numbers beyond numeric(10,6), duplicate models, a last line
without its newline, a line over 64 MiB) stops the run with FILE:LINE: what,
exit status 3, and nothing published anywhere.

Stdout: one JSON line per leaderboard, in input order:
  {"leaderboard","status":"published|skipped|failed|would_publish",
   "snapshot_id","identifier","entries","where":["db","s3://...","dir:..."],
   "existing","reason"|"error"}
A leaderboard that fails does not stop the others.

The database role needs USAGE on schema api, SELECT on api.model and
api.leaderboard, and SELECT, INSERT, UPDATE on api.leaderboard_snapshot and
api.leaderboard_entry. S3 uses the AWS SDK's standard configuration
(AWS_ACCESS_KEY_ID, AWS_REGION (default us-east-1), AWS_PROFILE, ...;
AWS_ENDPOINT_URL_S3 for another endpoint).

` + exitcode.Help + `
   When leaderboards fail: 4 or 5 when every failure is of that kind and no
   leaderboard was published completely (retry on 5 is safe: publishing is
   idempotent), else 6.`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	log := clix.NewLogger(tool, stderr, os.Getenv)
	app := &cli.App{
		Name:        tool,
		Usage:       "publish leaderboard records to the database, S3 and/or a folder",
		UsageText:   tool + " [--db [--database-url URL]] [--s3 s3://BUCKET/PREFIX] [--dir PATH] [--dry-run] [FILE...]",
		Description: description,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "db", Usage: "publish to the database"},
			&cli.StringFlag{Name: "database-url", Usage: pgconf.FlagUsage},
			&cli.StringFlag{Name: "s3", Usage: "publish to `s3://BUCKET/PREFIX`"},
			&cli.StringFlag{Name: "s3-endpoint", Usage: "S3 endpoint `URL` (default: AWS_ENDPOINT_URL_S3, else AWS)"},
			&cli.BoolFlag{Name: "s3-path-style", Usage: "address the bucket in the path (http://host/bucket/key), as most S3-compatible servers want"},
			&cli.StringFlag{Name: "dir", Usage: "publish to the folder `PATH` (created if missing)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "check the input (and, with --db, the slugs) and print what would be published; write nothing"},
			&cli.StringFlag{Name: "visibility", Value: "public", Usage: "visibility of new database snapshots: public or private (review first)"},
		},
		Action: func(c *cli.Context) error {
			return publish.Run(c.Context, publish.Options{
				Files:       c.Args().Slice(),
				DB:          c.Bool("db"),
				DatabaseURL: c.String("database-url"),
				S3URL:       c.String("s3"),
				S3Endpoint:  c.String("s3-endpoint"),
				S3PathStyle: c.Bool("s3-path-style"),
				Dir:         c.String("dir"),
				DryRun:      c.Bool("dry-run"),
				Visibility:  c.String("visibility"),
			}, stdin, stdout, log)
		},
	}
	return clix.Run(ctx, app, args, stdin, stdout, stderr, log)
}
