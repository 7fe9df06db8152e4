package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bixarena/arena-snapshots/internal/cache"
	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
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
	// S3Timeout bounds each S3 request (0: sink.DefaultRequestTimeout).
	S3Timeout time.Duration
	// Dir is a local folder to publish to.
	Dir string
	// RedisURL, with DB, is the Redis of the API's cache: its cached
	// leaderboard pages are evicted after the database commits (see
	// internal/cache). RedisTimeout bounds connecting and each command
	// (0: cache.DefaultTimeout).
	RedisURL     string
	RedisTimeout time.Duration
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
	if o.Diff && !o.DB && o.S3URL == "" && o.Dir == "" {
		// A diff against nothing would list every model as added.
		return exitcode.WithHint(exitcode.Usage, errors.New("--diff has nothing to compare with: no --db, --s3 or --dir"),
			"name the place whose current public snapshots to compare with: --db (the database), --s3 s3://BUCKET/PREFIX (SNAPSHOT_S3_URI) or --dir PATH (SNAPSHOT_DIR), with --dry-run to publish nothing")
	}
	if o.Visibility == "" {
		o.Visibility = store.Public
	}
	if o.Visibility != store.Public && o.Visibility != store.Private {
		return clix.Usagef("--visibility must be public or private, got %q", o.Visibility)
	}
	if o.Visibility == store.Private && !o.DB {
		return exitcode.WithHint(exitcode.Usage, errors.New("--visibility private needs --db"),
			"a private snapshot lives in the database only: --s3 and --dir are public places, and nothing private is written there")
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
			return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s: %v", clix.FlagName("s3", "SNAPSHOT_S3_URI"), err),
				"write it like s3://bucket/leaderboards; an S3-compatible server's address goes in --s3-endpoint or AWS_ENDPOINT_URL_S3")
		}
		if err := checkEndpoint(o.S3Endpoint, o.getenv()); err != nil {
			return err
		}
	}
	if o.Dir != "" && !o.DryRun {
		if err := checkDir(o.Dir); err != nil {
			return err
		}
	}
	if o.RedisURL != "" && o.DB {
		if _, err := cache.ParseURL(o.RedisURL); err != nil {
			return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s: %v", clix.FlagName("redis-url", "REDIS_URL"), err),
				"write it like redis://HOST:6379/0 (rediss:// for TLS; a password as redis://:PASSWORD@HOST:6379/0)")
		}
	}
	return nil
}

// CheckSettings checks everything Run would need before it reads its
// input: Check, the database settings with DB, the S3 client's
// configuration with S3URL. It reaches no server and writes nothing.
func (o *Options) CheckSettings(ctx context.Context) error {
	if err := o.Check(); err != nil {
		return err
	}
	if o.DB {
		if _, err := pgconf.Load(o.DatabaseURL, o.getenv()); err != nil {
			return err
		}
	}
	if o.S3URL != "" && !o.DryRun {
		if _, err := sink.NewS3Client(ctx, o.S3Endpoint, o.S3PathStyle, o.S3Timeout); err != nil {
			return err
		}
	}
	return nil
}

func (o *Options) getenv() func(string) string {
	if o.Getenv == nil {
		return os.Getenv
	}
	return o.Getenv
}

// checkEndpoint checks the S3 endpoint the client will use: the flag's,
// else the AWS SDK's variables'.
func checkEndpoint(flag string, getenv func(string) string) error {
	name, value := "--s3-endpoint", flag
	for _, env := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if value == "" {
			name, value = env, getenv(env)
		}
	}
	if value == "" {
		return nil
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s is not an http:// or https:// address", name),
			"write it like https://s3.example.org or http://127.0.0.1:7070")
	}
	return nil
}

// checkDir checks, without writing, that the folder --dir can be published
// to: an existing folder, or one that can be created, writable. A path
// that is not a folder is a usage error; a missing permission a
// configuration error.
func checkDir(dir string) error {
	name := clix.FlagName("dir", "SNAPSHOT_DIR")
	p := filepath.Clean(dir)
	for {
		st, err := os.Stat(p)
		switch {
		case err == nil && !st.IsDir():
			if p == filepath.Clean(dir) {
				return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s %s is not a folder", name, dir),
					"name a folder, or a path where one can be created")
			}
			return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s %s: %s is not a folder", name, dir, p),
				"name a folder, or a path where one can be created")
		case err == nil:
			if syscall.Access(p, 0o2|0o1) != nil { // W_OK|X_OK
				what := "cannot write in"
				if p != filepath.Clean(dir) {
					what = fmt.Sprintf("cannot create %s in", dir)
				}
				return exitcode.WithHint(exitcode.Config, fmt.Errorf("%s: %s %s: permission denied", name, what, p),
					"publish to a folder this user may write in, or change the folder's permissions")
			}
			if why := sink.Unwritable(p); why != "" {
				// Access says yes to root even there.
				return exitcode.WithHint(exitcode.Config, fmt.Errorf("%s %s: %s is %s", name, dir, p, why),
					"publish to a folder that can be created here (this file system takes no new folders)")
			}
			return nil
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			parent := filepath.Dir(p)
			if parent == p {
				return nil
			}
			p = parent
		case errors.Is(err, fs.ErrPermission):
			return exitcode.WithHint(exitcode.Config, fmt.Errorf("%s %s: %v", name, dir, errors.Unwrap(err)),
				"publish to a folder this user may reach, or change the permissions")
		default:
			return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s %s: %v", name, dir, errors.Unwrap(err)),
				"name a folder, or a path where one can be created")
		}
	}
}
