package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
	"github.com/bixarena/arena-snapshots/internal/sink"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
	"github.com/bixarena/arena-snapshots/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/urfave/cli/v2"
)

// Statuses of a summary line.
const (
	statusPublished    = "published"
	statusSkipped      = "skipped"
	statusFailed       = "failed"
	statusWouldPublish = "would_publish"
)

// summary is the stdout line of one leaderboard.
type summary struct {
	Leaderboard string   `json:"leaderboard"`
	Status      string   `json:"status"`
	SnapshotID  string   `json:"snapshot_id,omitempty"`
	Identifier  string   `json:"identifier,omitempty"`
	Entries     int      `json:"entries"`
	Where       []string `json:"where"`
	Existing    bool     `json:"existing,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// input is a validated record with its place.
type input struct {
	rec   *leaderboard.Record
	place string // FILE:LINE
}

type publisher struct {
	c      *cli.Context
	stdin  io.Reader
	stdout io.Writer
	log    *clix.Logger
	d      deps

	files      []string
	db         bool
	dbURL      string
	s3URL      string
	s3Endpoint string
	s3Path     bool
	dir        string
	dryRun     bool
	visibility string
}

func newPublisher(c *cli.Context, stdin io.Reader, stdout io.Writer, log *clix.Logger, d deps) (*publisher, error) {
	p := &publisher{c: c, stdin: stdin, stdout: stdout, log: log, d: d,
		files: c.Args().Slice(), db: c.Bool("db"), dbURL: c.String("database-url"),
		s3URL: c.String("s3"), s3Endpoint: c.String("s3-endpoint"), s3Path: c.Bool("s3-path-style"),
		dir: c.String("dir"), dryRun: c.Bool("dry-run"), visibility: c.String("visibility")}
	if !p.db && p.s3URL == "" && p.dir == "" && !p.dryRun {
		return nil, exitcode.WithHint(exitcode.Usage, errors.New("nowhere to publish"),
			"give at least one of --db, --s3 s3://BUCKET/PREFIX, --dir PATH (or --dry-run to check the input)")
	}
	if p.visibility != store.Public && p.visibility != store.Private {
		return nil, clix.Usagef("--visibility must be public or private, got %q", p.visibility)
	}
	if p.dbURL != "" && !p.db {
		return nil, clix.Usagef("--database-url without --db")
	}
	if (p.s3Endpoint != "" || p.s3Path) && p.s3URL == "" {
		return nil, clix.Usagef("--s3-endpoint and --s3-path-style need --s3")
	}
	if p.s3URL != "" {
		if _, _, err := sink.ParseS3URL(p.s3URL); err != nil {
			return nil, exitcode.WithHint(exitcode.Usage, fmt.Errorf("--s3: %v", err), "write it like s3://bucket/leaderboards")
		}
	}
	if len(p.files) == 0 {
		p.files = []string{"-"}
	}
	return p, nil
}

// readAll reads and validates every record of every input before anything
// is published: one bad line anywhere publishes nothing.
func (p *publisher) readAll() ([]input, error) {
	var out []input
	seen := map[string]string{}
	for _, name := range p.files {
		var r io.Reader
		label := name
		if name == "-" {
			r, label = p.stdin, "stdin"
		} else {
			f, err := os.Open(name)
			if err != nil {
				return nil, exitcode.New(exitcode.Usage, fmt.Errorf("cannot read input: %v", err))
			}
			defer f.Close()
			r = f
		}
		dec := leaderboard.NewDecoder(r, label)
		for {
			rec, err := dec.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var ie *leaderboard.InputError
				if errors.As(err, &ie) {
					return nil, exitcode.New(exitcode.BadInput, err)
				}
				return nil, exitcode.New(exitcode.Failure, err)
			}
			if err := leaderboard.Validate(rec); err != nil {
				return nil, exitcode.New(exitcode.BadInput, dec.Errorf("%v", err))
			}
			place := fmt.Sprintf("%s:%d", label, dec.Line())
			if prev, dup := seen[rec.Leaderboard]; dup {
				return nil, exitcode.New(exitcode.BadInput,
					dec.Errorf("leaderboard %q appears twice (first at %s)", rec.Leaderboard, prev))
			}
			seen[rec.Leaderboard] = place
			out = append(out, input{rec: rec, place: place})
		}
	}
	if len(out) == 0 {
		return nil, exitcode.WithHint(exitcode.BadInput, errors.New("no leaderboard records in the input"),
			"did the stage before (rank) fail?")
	}
	return out, nil
}

// target is one place files go to.
type target struct {
	sink  *sink.Sink
	index []snapshot.IndexEntry
}

func (p *publisher) run(ctx context.Context) error {
	start := p.d.now()
	inputs, err := p.readAll()
	if err != nil {
		return err
	}
	p.log.Event("start", "leaderboards", len(inputs), "db", p.db, "s3", p.s3URL, "dir", p.dir, "dry_run", p.dryRun)

	// Open every place first: a place that cannot be reached stops the run
	// before anything is written anywhere.
	var st *store.Store
	if p.db {
		cfg, err := pgconf.Config(pgconf.ConnString(p.dbURL, p.d.getenv))
		if err != nil {
			return err
		}
		conn, err := pgconf.Connect(ctx, cfg)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		opts := store.Options{Visibility: p.visibility, Now: p.d.now}
		if p.d.afterSnapshot != nil {
			opts.AfterSnapshot = func(ctx context.Context, _ pgx.Tx) error { p.d.afterSnapshot(ctx); return nil }
		}
		st = store.New(conn, opts)
	}
	var targets []*target
	var where []string
	if p.db {
		where = append(where, "db")
	}
	if p.s3URL != "" {
		bucket, prefix, _ := sink.ParseS3URL(p.s3URL)
		if p.dryRun {
			where = append(where, sink.NewS3(nil, bucket, prefix).String())
		} else {
			client, err := sink.NewS3Client(ctx, p.s3Endpoint, p.s3Path)
			if err != nil {
				return err
			}
			objs := sink.NewS3(client, bucket, prefix)
			if _, _, err := objs.Get(ctx, "index.json"); err != nil {
				return fmt.Errorf("%s: %w", objs, err)
			}
			targets = append(targets, &target{sink: sink.New(objs)})
		}
	}
	if p.dir != "" {
		if p.dryRun {
			where = append(where, "dir:"+p.dir)
		} else {
			objs, err := sink.NewDir(p.dir)
			if err != nil {
				return fmt.Errorf("--dir %s: %w", p.dir, err)
			}
			targets = append(targets, &target{sink: sink.New(objs)})
		}
	}
	for _, t := range targets {
		t.sink.BeforeLatest = p.d.beforeLatest
	}

	// Leaderboards go through the database one after the other, in input
	// order; their files are drawn and stored by a few workers meanwhile.
	// Summary lines come out in input order.
	jobs := make([]*job, len(inputs))
	for i, in := range inputs {
		jobs[i] = &job{in: in, done: make(chan struct{}), stored: make([]bool, len(targets))}
	}
	work := make(chan *job)
	for w := 0; w < fileWorkers; w++ {
		go func() {
			for j := range work {
				j.err = p.publishFiles(ctx, targets, j)
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(work)
		for _, j := range jobs {
			if p.dryRun {
				j.s, j.err = p.check(ctx, st, j.in, where, start)
			} else {
				j.s, j.meta, j.err = p.publishDB(ctx, st, j.in, start)
			}
			if j.err != nil || j.s.Status != statusPublished || len(targets) == 0 {
				close(j.done)
				continue
			}
			work <- j
		}
	}()

	enc := json.NewEncoder(p.stdout)
	enc.SetEscapeHTML(false)
	var failures []error
	published := 0
	var writeErr error
	for _, j := range jobs {
		<-j.done
		s, in := j.s, j.in
		if j.err != nil {
			s.Status, s.Error = statusFailed, j.err.Error()
			failures = append(failures, j.err)
			p.log.Error(fmt.Errorf("leaderboard %s (%s): %w", in.rec.Leaderboard, in.place, j.err))
		}
		for ti, t := range targets {
			if j.stored[ti] {
				t.index = append(t.index, snapshot.IndexEntryOf(j.doc))
			}
		}
		p.log.Event("leaderboard", "leaderboard", s.Leaderboard, "status", s.Status, "identifier", s.Identifier,
			"snapshot_id", s.SnapshotID, "entries", s.Entries, "where", s.Where, "existing", s.Existing, "reason", s.Reason, "error", s.Error)
		if s.Status == statusPublished {
			published++
		}
		if err := enc.Encode(&s); err != nil && writeErr == nil {
			writeErr = exitcode.New(exitcode.Failure, fmt.Errorf("write summary: %w", err))
		}
	}
	if writeErr != nil {
		return writeErr
	}

	// The index last, with the leaderboards each place took.
	var indexFailures []error
	for _, t := range targets {
		if len(t.index) == 0 {
			continue
		}
		if err := t.sink.WriteIndex(ctx, t.index, p.d.now()); err != nil {
			indexFailures = append(indexFailures, err)
			p.log.Error(err)
		}
	}
	p.log.Event("complete", "leaderboards", len(inputs), "published", published, "failed", len(failures),
		"duration", time.Since(start).Seconds())
	return outcome(failures, indexFailures, published)
}

// outcome is the run's final error: nil when nothing failed; when every
// failure (leaderboards and index) has the same status among Config and
// Transient and no leaderboard was published completely, or only the index
// failed, that status; else Partial.
func outcome(failures, indexFailures []error, published int) error {
	all := append(append([]error(nil), failures...), indexFailures...)
	if len(all) == 0 {
		return nil
	}
	code := exitcode.Code(all[0])
	for _, err := range all[1:] {
		if exitcode.Code(err) != code {
			code = exitcode.Partial
		}
	}
	if code != exitcode.Config && code != exitcode.Transient {
		code = exitcode.Partial
	}
	if published > 0 && len(failures) > 0 {
		code = exitcode.Partial
	}
	var msg string
	switch {
	case len(failures) == 0:
		msg = "the index could not be written"
	case published == 0:
		msg = fmt.Sprintf("%d leaderboard(s) failed, none published", len(failures))
	default:
		msg = fmt.Sprintf("%d leaderboard(s) failed, %d published", len(failures), published)
	}
	err := exitcode.Errorf(code, "%s", msg)
	if code == exitcode.Transient {
		return exitcode.WithHint(code, err, "run again: publishing the same records again is safe")
	}
	return err
}

// fileWorkers is how many leaderboards have their files drawn and stored
// at once.
const fileWorkers = 4

// job is one leaderboard on its way through the run.
type job struct {
	in     input
	s      summary
	meta   snapshot.Meta
	err    error
	doc    *snapshot.Document
	stored []bool // by target: the files are there
	done   chan struct{}
}

// publishDB publishes one leaderboard to the database (when --db) and
// returns its summary so far, with status published, and the meta its
// files carry: the database's identifier, else the run's.
func (p *publisher) publishDB(ctx context.Context, st *store.Store, in input, start time.Time) (summary, snapshot.Meta, error) {
	rec := in.rec
	s := summary{Leaderboard: rec.Leaderboard, Where: []string{}}
	if rec.Status == leaderboard.Skipped {
		s.Status, s.Reason = statusSkipped, rec.Reason
		return s, snapshot.Meta{}, nil
	}
	s.Entries = len(rec.Entries)
	meta := snapshot.Meta{Identifier: snapshot.Identifier(start), PublishedAt: start}
	if st != nil {
		res, err := st.PublishSnapshot(ctx, rec)
		if err != nil {
			return s, meta, err
		}
		s.Where = append(s.Where, "db")
		s.SnapshotID, s.Existing = res.SnapshotID, res.Existing
		meta = snapshot.Meta{Identifier: res.Identifier, SnapshotID: res.SnapshotID, PublishedAt: res.PublishedAt,
			Name: res.Name, Models: res.Models}
	}
	s.Identifier = meta.Identifier
	s.Status = statusPublished
	return s, meta, nil
}

// publishFiles draws a published leaderboard's document and chart and
// stores them in every place, trying each even when one fails. Places that
// took them are added to the summary's where.
func (p *publisher) publishFiles(ctx context.Context, targets []*target, j *job) error {
	rec := j.in.rec
	j.doc = snapshot.Build(rec, j.meta)
	body, err := snapshot.Marshal(j.doc)
	if err != nil {
		return exitcode.New(exitcode.Failure, err)
	}
	svg, err := snapshot.Chart(j.doc)
	if err != nil {
		return exitcode.New(exitcode.Failure, err)
	}
	var errs []error
	for ti, t := range targets {
		if err := t.sink.Publish(ctx, rec.Leaderboard, j.meta.Identifier, body, svg); err != nil {
			errs = append(errs, err)
			continue
		}
		j.s.Where = append(j.s.Where, t.sink.String())
		j.stored[ti] = true
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	return nil
}

// joinErrors joins errors keeping the first one's exit status, or Partial
// when they differ.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	code := exitcode.Code(errs[0])
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
		if exitcode.Code(e) != code {
			code = exitcode.Partial
		}
	}
	return exitcode.New(code, errors.New(strings.Join(msgs, "; ")))
}

// check says what publishing a leaderboard would do, reading the database
// when --db is given and writing nothing.
func (p *publisher) check(ctx context.Context, st *store.Store, in input, where []string, start time.Time) (summary, error) {
	rec := in.rec
	s := summary{Leaderboard: rec.Leaderboard, Where: []string{}}
	if rec.Status == leaderboard.Skipped {
		s.Status, s.Reason = statusSkipped, rec.Reason
		return s, nil
	}
	s.Entries = len(rec.Entries)
	s.Identifier = snapshot.Identifier(start)
	if st != nil {
		res, err := st.Check(ctx, rec)
		if err != nil {
			return s, err
		}
		if res.Existing {
			s.SnapshotID, s.Identifier, s.Existing = res.SnapshotID, res.Identifier, true
		}
	}
	s.Where = append(s.Where, where...)
	s.Status = statusWouldPublish
	return s, nil
}
