package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/sink"
	"github.com/bixarena/arena-snapshots/internal/store"
)

// Options say what to read and where to publish it. Check them before Run.
type Options struct {
	// Files are the inputs in order; "-" (or none) is stdin.
	Files []string
	// DB publishes to the database at DatabaseURL (empty: the environment's
	// DATABASE_URL / POSTGRES_* / PG* settings).
	DB          bool
	DatabaseURL string
	// S3URL is s3://BUCKET/PREFIX; S3Endpoint and S3PathStyle address an
	// S3-compatible server.
	S3URL       string
	S3Endpoint  string
	S3PathStyle bool
	// Dir is a local folder to publish to.
	Dir string
	// DryRun checks the input (and, with DB, the slugs) and writes nothing.
	DryRun bool
	// Visibility of new database snapshots: store.Public or store.Private.
	Visibility string
	// GuardOff publishes without comparing each leaderboard with its
	// current public snapshot (a deliberate change); Guard holds the
	// thresholds (the zero value: guard.DefaultOptions).
	GuardOff bool
	Guard    guard.Options
	// Diff adds to each summary what publishing changes against the
	// current public snapshot; DiffTable writes it as a table for people
	// instead of the summary lines.
	Diff      bool
	DiffTable bool

	// Getenv reads the environment (default os.Getenv).
	Getenv func(string) string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// AfterSnapshot, when set, runs in the database transaction between the
	// snapshot insert and its entries: a test seam.
	AfterSnapshot func(context.Context)
	// BeforeLatest, when set, runs in the sinks between the immutable files
	// and latest: a test seam.
	BeforeLatest func()
}

// Check reports settings that cannot work together as a usage error, with
// the flag's name.
func (o *Options) Check() error {
	if !o.DB && o.S3URL == "" && o.Dir == "" && !o.DryRun {
		return exitcode.WithHint(exitcode.Usage, errors.New("nowhere to publish"),
			"give at least one of --db, --s3 s3://BUCKET/PREFIX, --dir PATH (or --dry-run to check the input)")
	}
	if o.Visibility == "" {
		o.Visibility = store.Public
	}
	if o.Visibility != store.Public && o.Visibility != store.Private {
		return clix.Usagef("--visibility must be public or private, got %q", o.Visibility)
	}
	if o.DatabaseURL != "" && !o.DB {
		return clix.Usagef("--database-url without --db")
	}
	if (o.S3Endpoint != "" || o.S3PathStyle) && o.S3URL == "" {
		return clix.Usagef("--s3-endpoint and --s3-path-style need --s3")
	}
	if o.Guard == (guard.Options{}) {
		o.Guard = guard.DefaultOptions()
	}
	if err := o.Guard.Validate(); err != nil {
		return clix.Usagef("guard thresholds: %v", err)
	}
	if o.S3URL != "" {
		if _, _, err := sink.ParseS3URL(o.S3URL); err != nil {
			return exitcode.WithHint(exitcode.Usage, fmt.Errorf("--s3: %v", err), "write it like s3://bucket/leaderboards")
		}
	}
	return nil
}
