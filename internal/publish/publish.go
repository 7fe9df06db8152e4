// Package publish owns publishing leaderboard records (DESIGN §5): it reads
// and checks every record before anything is written, then publishes each
// ranked leaderboard to the database (internal/store), an S3 bucket and a
// local folder (internal/sink), all or nothing per leaderboard and place,
// and says what each leaderboard became in one summary line.
package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bixarena/arena-snapshots/internal/cache"
	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/names"
	"github.com/bixarena/arena-snapshots/internal/pgconf"
	"github.com/bixarena/arena-snapshots/internal/sink"
	"github.com/bixarena/arena-snapshots/internal/site"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
	"github.com/bixarena/arena-snapshots/internal/store"
	"github.com/jackc/pgx/v5"
)

// Statuses of a summary line.
const (
	StatusPublished    = "published"
	StatusSkipped      = "skipped"
	StatusFailed       = "failed"
	StatusWouldPublish = "would_publish"
)

// Summary is the stdout line of one leaderboard.
type Summary struct {
	Leaderboard string `json:"leaderboard"`
	// Variant is "style" for a style-controlled leaderboard (Leaderboard
	// is then its SLUG-style).
	Variant    string   `json:"variant,omitempty"`
	Status     string   `json:"status"`
	SnapshotID string   `json:"snapshot_id,omitempty"`
	Identifier string   `json:"identifier,omitempty"`
	Entries    int      `json:"entries"`
	Where      []string `json:"where"`
	Existing   bool     `json:"existing,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	Error      string   `json:"error,omitempty"`
	// A leaderboard the guard held: the rules it broke and the snapshot it
	// was compared with.
	Reasons  []guard.Violation `json:"reasons,omitempty"`
	Previous *guard.Ref        `json:"previous,omitempty"`
	// With --diff: what publishing changes against the current public
	// snapshot.
	Diff *guard.Diff `json:"diff,omitempty"`
	// Warnings say what went wrong around a published leaderboard without
	// failing it (the API's cache could not be evicted).
	Warnings []string `json:"warnings,omitempty"`
}

// input is a validated record with its place.
type input struct {
	rec   *leaderboard.Record
	place string // FILE:LINE
	// invalid says why a well-formed record cannot be published: it
	// fails alone, and the others are published.
	invalid error
}

type publisher struct {
	o      Options
	stdin  io.Reader
	stdout io.Writer
	log    *clix.Logger
	// Without the database: where the previous snapshots are read, and
	// whether they are.
	readers       []sink.Objects
	filesCompared bool
	opened        []io.Closer // folders opened only to be read
	// db is the database's configuration, to name it in its errors.
	db *pgx.ConnConfig
}

// Run reads and checks every leaderboard record of o.Files, then publishes
// each ranked one to every place o gives, writing one summary line per
// leaderboard to stdout in input order and events and errors to log. The
// error carries the run's exit status (internal/exitcode): usage and bad
// input before anything is written; Config, Transient or Partial when
// leaderboards failed (see outcome).
func Run(ctx context.Context, o Options, stdin io.Reader, stdout io.Writer, log *clix.Logger) error {
	if err := o.Check(); err != nil {
		return err
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Files) == 0 {
		o.Files = []string{"-"}
	}
	p := &publisher{o: o, stdin: stdin, stdout: stdout, log: log}
	return p.run(ctx)
}

// readAll reads and validates every record of every input before anything
// is published: a malformed or cut stream (a line that is not a record, a
// leaderboard twice) publishes nothing; a well-formed record that cannot
// be published (leaderboard.Validate) fails alone.
func (p *publisher) readAll() ([]input, error) {
	var out []input
	seen := map[string]string{}
	for _, name := range p.o.Files {
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
					return nil, exitcode.WithHint(exitcode.BadInput, err, ie.Hint)
				}
				return nil, exitcode.New(exitcode.Failure, err)
			}
			tooLong := false
			if rec.Variant == leaderboard.VariantStyle {
				// A style-controlled leaderboard is published as a
				// leaderboard of its own, beside the plain one. One whose
				// slug would be too long for api.leaderboard cannot have
				// been opted in to: skipped like those not opted in.
				rec.Leaderboard = leaderboard.StyleSlug(rec.Leaderboard)
				if tooLong = utf8.RuneCountInString(rec.Leaderboard) > names.MaxLeaderboard; tooLong && rec.Status == leaderboard.Ranked {
					p.log.Warnf("%s: style-controlled leaderboard skipped: its slug is longer than the %d characters of api.leaderboard.slug",
						rec.Leaderboard, names.MaxLeaderboard)
					rec.Status, rec.Reason, rec.Entries = leaderboard.Skipped, leaderboard.ReasonNoStyleLeaderboard, nil
				}
			}
			place := fmt.Sprintf("%s:%d", label, dec.Line())
			if prev, dup := seen[rec.Leaderboard]; dup {
				return nil, exitcode.New(exitcode.BadInput,
					dec.Errorf("leaderboard %q appears twice (first at %s)", rec.Leaderboard, prev))
			}
			seen[rec.Leaderboard] = place
			in := input{rec: rec, place: place}
			if err := leaderboard.Validate(rec); err != nil && !tooLong {
				in.invalid = exitcode.New(exitcode.BadInput, err)
			}
			out = append(out, in)
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
	start := p.o.Now()
	inputs, err := p.readAll()
	if err != nil {
		return err
	}
	p.log.Event("start", "leaderboards", len(inputs), "db", p.o.DB, "s3", p.o.S3URL, "dir", p.o.Dir, "dry_run", p.o.DryRun)
	if p.o.Visibility == store.Private {
		p.log.Warnf("--visibility private: the API's model history shows the entries of a private snapshot at once; only the leaderboard pages wait until it is public")
		if p.o.S3URL != "" || p.o.Dir != "" {
			p.log.Warnf("--visibility private: nothing is written to --s3 or --dir (public places); publish the same records again without --visibility private to release the snapshots and write their files")
		}
	}

	// Open every place first: a place that cannot be reached stops the run
	// before anything is written anywhere.
	var st *store.Store
	if p.o.DB {
		cfg, err := pgconf.Load(p.o.DatabaseURL, p.o.Getenv)
		if err != nil {
			return err
		}
		conn, err := pgconf.Connect(ctx, cfg)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		p.db = cfg
		opts := store.Options{Visibility: p.o.Visibility, Now: p.o.Now}
		if p.o.AfterSnapshot != nil {
			opts.AfterSnapshot = func(ctx context.Context, _ pgx.Tx) error { p.o.AfterSnapshot(ctx); return nil }
		}
		if p.comparing() {
			opts.Guard = p.guardStore
		}
		st = store.New(conn, opts)
		// The schema and the privileges, once: a database that is not the
		// arena's, or a role without its grants, is one error, not one
		// per leaderboard.
		if err := st.CheckAccess(ctx, !p.o.DryRun); err != nil {
			return pgconf.At(cfg, err)
		}
	}
	var targets []*target
	var where []string
	if p.o.DB {
		where = append(where, "db")
	}
	// The folder and the bucket are public places: a private snapshot is
	// written to neither (Check makes sure the database is there). Its
	// files are written when the same records are published again as
	// public.
	private := p.o.Visibility == store.Private
	if p.o.S3URL != "" && !private {
		bucket, prefix, _ := sink.ParseS3URL(p.o.S3URL)
		if p.o.DryRun {
			where = append(where, sink.NewS3(nil, bucket, prefix).String())
		} else {
			client, err := sink.NewS3Client(ctx, p.o.S3Endpoint, p.o.S3PathStyle, p.o.S3Timeout)
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
	if p.o.Dir != "" && !private {
		if p.o.DryRun {
			where = append(where, "dir:"+p.o.Dir)
		} else {
			objs, err := sink.NewDir(p.o.Dir)
			if err != nil {
				return fmt.Errorf("%s %s: %w", clix.FlagName("dir", "SNAPSHOT_DIR"), p.o.Dir, err)
			}
			defer objs.Close()
			targets = append(targets, &target{sink: sink.New(objs)})
		}
	}
	for _, t := range targets {
		t.sink.BeforeLatest = p.o.BeforeLatest
	}
	// Without the database, previous snapshots are read from the places;
	// a dry run reads them only when asked for the diff, so that it can
	// check a file offline.
	// So are the snapshots that the records may already be (sameAsLatest).
	if !p.o.DB && (!p.o.DryRun || p.o.Diff) {
		p.readers, err = p.openReaders(ctx, targets)
		defer func() {
			for _, c := range p.opened {
				c.Close()
			}
		}()
		if err != nil {
			return err
		}
		p.filesCompared = p.comparing()
	}

	// Leaderboards go through the database one after the other, in input
	// order; their files are drawn and stored by a few workers meanwhile.
	// Summary lines come out in input order.
	jobs := make([]*job, len(inputs))
	for i, in := range inputs {
		jobs[i] = &job{in: in, done: make(chan struct{}), stored: make([]bool, len(targets))}
	}
	// A panic in one of these goroutines stops the others before their
	// next leaderboard, and is raised again here: the tool ends as an
	// internal failure, with no index written.
	var g exitcode.Group
	work := make(chan *job)
	for w := 0; w < fileWorkers; w++ {
		g.Go(func() {
			for j := range work {
				p.storeFiles(ctx, targets, j)
			}
		})
	}
	// Once every leaderboard went through the database, the API's cached
	// pages are evicted; the summary lines of the leaderboards committed
	// wait for it, to carry its warning.
	evicted := make(chan struct{})
	var cacheWarning string
	g.Go(func() {
		defer close(work)
		committed := 0
		defer func() {
			cacheWarning = p.evictCache(ctx, committed)
			close(evicted)
		}()
		for _, j := range jobs {
			if j.in.invalid != nil {
				j.s, j.err = Summary{Leaderboard: j.in.rec.Leaderboard, Variant: j.in.rec.Variant, Where: []string{}}, j.in.invalid
				close(j.done)
				continue
			}
			if p.o.DryRun {
				j.s, j.err = p.check(ctx, st, j, where, start)
			} else {
				j.s, j.meta, j.err = p.publishDB(ctx, st, j, start)
				if j.committed = st != nil && j.err == nil && j.s.Status == StatusPublished; j.committed {
					committed++
				}
			}
			if j.err != nil || (j.s.Status != StatusPublished && j.s.Status != StatusHeld) || len(targets) == 0 {
				close(j.done)
				continue
			}
			select {
			case work <- j:
			case <-g.Panicked():
				return
			}
		}
	})

	enc := json.NewEncoder(p.stdout)
	enc.SetEscapeHTML(false)
	var failures []error
	var held []heldBoard
	var reports []guard.Report
	var skipped []site.Skipped // for the front page's leaderboards not yet published
	published := 0
	var writeErr error
	for _, j := range jobs {
		select {
		case <-j.done:
		case <-g.Panicked():
			g.Wait() // raises the panic again
		}
		s, in := j.s, j.in
		if j.err != nil && ctx.Err() != nil {
			// Stopped (a signal): this leaderboard and the next ones
			// were not published, and did not fail.
			return ctx.Err()
		}
		if j.err != nil {
			s.Status, s.Error = StatusFailed, j.err.Error()
			failures = append(failures, j.err)
			p.log.Error(fmt.Errorf("leaderboard %s (%s): %w", in.rec.Leaderboard, in.place, j.err))
		}
		if j.committed {
			<-evicted
			if cacheWarning != "" {
				s.Warnings = append(s.Warnings, cacheWarning)
			}
		}
		if s.Status == StatusHeld || s.Status == StatusWouldHold {
			held = append(held, heldBoard{leaderboard: s.Leaderboard, rules: guard.RuleNames(s.Reasons)})
		}
		var diff *guard.Diff
		if p.o.Diff {
			diff = diffOf(j)
		}
		for ti, t := range targets {
			if j.stored[ti] {
				t.index = append(t.index, snapshot.IndexEntryOf(j.doc))
			}
		}
		p.log.Event("leaderboard", "leaderboard", s.Leaderboard, "status", s.Status, "identifier", s.Identifier,
			"snapshot_id", s.SnapshotID, "entries", s.Entries, "where", s.Where, "existing", s.Existing, "reason", s.Reason, "error", s.Error,
			"rules", guard.RuleNames(s.Reasons))
		if s.Status == StatusPublished && !p.o.DryRun {
			published++ // a dry run's "published" are those published already
		}
		if j.err == nil && s.Status == StatusSkipped && in.rec.Status == leaderboard.Skipped {
			skipped = append(skipped, site.SkippedOf(in.rec))
		}
		if p.o.DiffTable {
			reports = append(reports, report(s, diff, p.o.DryRun))
			continue
		}
		s.Diff = diff
		// Stdout that cannot take the lines (its reader quit, a full
		// disk) stops nothing: the publish goes on to its end, and the
		// run says the summary was lost (summaryLost).
		if writeErr == nil {
			if err := enc.Encode(&s); err != nil {
				writeErr = exitcode.WriteError("the summary", err)
			}
		}
	}
	if p.o.DiffTable {
		if err := guard.WriteTable(p.stdout, reports); err != nil {
			writeErr = exitcode.WriteError("the diff", err)
		}
	}
	select {
	case <-g.Panicked():
		g.Wait()
	default:
	}

	// The index last, with the leaderboards each place took.
	var indexFailures []error
	now := p.o.Now() // one time for every place, so that they hold the same bytes
	for _, t := range targets {
		if len(t.index) == 0 {
			continue
		}
		if err := t.sink.WriteIndex(ctx, t.index, now); err != nil {
			indexFailures = append(indexFailures, err)
			p.log.Error(err)
			continue
		}
		if err := t.sink.WriteSite(ctx, slugsOf(t.index), skipped); err != nil {
			indexFailures = append(indexFailures, err)
			p.log.Error(err)
		}
	}
	p.log.Event("complete", "leaderboards", len(inputs), "published", published, "held", len(held), "failed", len(failures),
		"duration", time.Since(start).Seconds())
	if len(held) > 0 {
		err = p.heldOutcome(failures, indexFailures, published, held, len(targets) > 0)
	} else {
		err = outcome(failures, indexFailures, published)
	}
	done := "the publish went through to its end (every place, the index and the site)"
	if p.o.DryRun {
		done = "the dry run went through to its end"
	}
	return summaryLost(p.log, err, writeErr, done, !p.o.DryRun)
}

// summaryLost is a run's final error when stdout could not take its
// summary (writeErr), after the run went through to its end (done says
// what that was): the run's own error, graver, when it has one, the lost
// summary said as a warning; else the lost summary, with WriteError's
// status: exitcode.BrokenPipe when stdout's reader quit (a pipe into
// head), Config for a full disk. It is said on stderr even for a broken
// pipe: unlike rank's output, the summary is the only word of what was
// published. again says that running again prints it (writing nothing
// new).
func summaryLost(log *clix.Logger, err, writeErr error, done string, again bool) error {
	if writeErr == nil {
		return err
	}
	cause := writeErr
	if c := errors.Unwrap(errors.Unwrap(writeErr)); c != nil {
		cause = c // the stream's own error, without "write the summary"
	}
	msg := fmt.Errorf("the summary lines could not be written (%v): %s", cause, done)
	if err != nil {
		log.Warnf("%v", msg)
		return err
	}
	hint := exitcode.HintOf(writeErr)
	if again {
		if hint != "" {
			hint += "; "
		}
		hint += "publishing the same records again writes nothing new and prints the summary (\"existing\": true)"
	}
	return exitcode.WithHint(exitcode.Code(writeErr), msg, hint)
}

// outcome is the run's final error: nil when nothing failed; Partial when
// a leaderboard was published and another failed; when none was published
// (or only the index failed with Config or Transient), the failures'
// status, the gravest when they differ (see graver): Partial never says
// that nothing was published. (With leaderboards held, see heldOutcome.)
func outcome(failures, indexFailures []error, published int) error {
	all := append(append([]error(nil), failures...), indexFailures...)
	if len(all) == 0 {
		return nil
	}
	code := exitcode.Code(all[0])
	for _, err := range all[1:] {
		if c := exitcode.Code(err); c != code {
			code = graver(code, c)
		}
	}
	if published > 0 && (len(failures) > 0 || code != exitcode.Config && code != exitcode.Transient) {
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

// graver returns the status of two different failures that a person must
// act on first: a bug, then configuration, then bad input; transient only
// when both are (a retry helps only when everything may pass).
func graver(a, b int) int {
	for _, c := range []int{exitcode.Failure, exitcode.Config, exitcode.BadInput, exitcode.Partial, exitcode.Transient} {
		if a == c || b == c {
			return c
		}
	}
	return a
}

// fileWorkers is how many leaderboards have their files drawn and stored
// at once.
const fileWorkers = 4

// job is one leaderboard on its way through the run.
type job struct {
	in     input
	s      Summary
	meta   snapshot.Meta
	err    error
	doc    *snapshot.Document
	stored []bool // by target: the files are there
	done   chan struct{}
	// prev is the current public snapshot the record was compared with
	// (nil: none), when compared is set.
	prev     *guard.Snapshot
	compared bool
	// committed: its snapshot is in the database (new or existing).
	committed bool
}

// publishDB publishes one leaderboard to the database (when --db) and
// returns its summary so far, with status published, and the meta its
// files carry: the database's identifier, else the run's.
func (p *publisher) publishDB(ctx context.Context, st *store.Store, j *job, start time.Time) (Summary, snapshot.Meta, error) {
	in := j.in
	rec := in.rec
	s := Summary{Leaderboard: rec.Leaderboard, Variant: rec.Variant, Where: []string{}}
	if rec.Status == leaderboard.Skipped {
		s.Status, s.Reason = StatusSkipped, rec.Reason
		return s, snapshot.Meta{}, nil
	}
	s.Entries = len(rec.Entries)
	at := runTime(rec, start)
	meta := snapshot.Meta{Identifier: snapshot.Identifier(at), PublishedAt: at}
	if st != nil {
		res, err := st.PublishSnapshot(ctx, rec)
		err = pgconf.At(p.db, err)
		if optOut(rec, err) {
			p.skipStyle(rec)
			s.Status, s.Reason = StatusSkipped, leaderboard.ReasonNoStyleLeaderboard
			return s, meta, nil
		}
		if err != nil {
			return s, meta, err
		}
		j.prev, j.compared = res.Previous, p.comparing() && !res.Existing
		if len(res.Held) > 0 {
			s.Identifier = meta.Identifier
			p.hold(&s, in, res.Previous, res.Held)
			return s, meta, nil
		}
		s.Where = append(s.Where, "db")
		s.SnapshotID, s.Existing = res.SnapshotID, res.Existing
		meta = snapshot.Meta{Identifier: res.Identifier, SnapshotID: res.SnapshotID, PublishedAt: res.PublishedAt,
			Name: res.Name, Models: res.Models}
	} else if same, err := p.sameAsLatest(ctx, rec); err != nil {
		return s, meta, err
	} else if same != nil {
		meta, s.Existing = *same, true
	} else if p.filesCompared {
		s.Identifier = meta.Identifier
		if held, err := p.guardFiles(ctx, &s, j, runTime(j.in.rec, start)); err != nil || held {
			return s, meta, err
		}
	}
	s.Identifier = meta.Identifier
	s.Status = StatusPublished
	return s, meta, nil
}

// publishFiles draws a published leaderboard's document and chart and
// stores them in every place, trying each even when one fails. Places that
// took them are added to the summary's where.
// storeFiles stores a leaderboard's files (or its held document) in
// every place; done is closed when it returns, also by a panic.
func (p *publisher) storeFiles(ctx context.Context, targets []*target, j *job) {
	defer close(j.done)
	if j.s.Status == StatusHeld {
		j.err = p.publishHeld(ctx, targets, j)
	} else {
		j.err = p.publishFiles(ctx, targets, j)
	}
}

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
	extras, err := headToHead(rec, j.doc)
	if err != nil {
		return exitcode.New(exitcode.Failure, err)
	}
	var errs []error
	now := p.o.Now() // one time for every place, so that they hold the same bytes
	for ti, t := range targets {
		if err := t.sink.Publish(ctx, rec.Leaderboard, j.meta.Identifier, body, svg, extras...); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := t.sink.WriteHistory(ctx, snapshot.HistoryEntryOf(j.doc), now); err != nil {
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
func (p *publisher) check(ctx context.Context, st *store.Store, j *job, where []string, start time.Time) (Summary, error) {
	in := j.in
	rec := in.rec
	s := Summary{Leaderboard: rec.Leaderboard, Variant: rec.Variant, Where: []string{}}
	if rec.Status == leaderboard.Skipped {
		s.Status, s.Reason = StatusSkipped, rec.Reason
		return s, nil
	}
	s.Entries = len(rec.Entries)
	s.Identifier = snapshot.Identifier(runTime(rec, start))
	done := false // published already: publishing would change nothing
	if st != nil {
		res, err := st.Check(ctx, rec)
		err = pgconf.At(p.db, err)
		if optOut(rec, err) {
			p.skipStyle(rec)
			s.Status, s.Reason = StatusSkipped, leaderboard.ReasonNoStyleLeaderboard
			return s, nil
		}
		if err != nil {
			return s, err
		}
		if res.Existing {
			s.SnapshotID, s.Identifier, s.Existing = res.SnapshotID, res.Identifier, true
			// Published already, as asked: nothing to do. (Another
			// visibility: publishing would release or retract it.)
			done = res.Visibility == p.o.Visibility
		}
		j.prev, j.compared = res.Previous, st != nil && p.comparing() && !res.Existing
		if len(res.Held) > 0 {
			p.hold(&s, in, res.Previous, res.Held)
			s.Where = append(s.Where, where[1:]...)
			return s, nil
		}
	} else if same, err := p.sameAsLatest(ctx, rec); err != nil {
		return s, err
	} else if same != nil {
		s.Identifier, s.Existing, done = same.Identifier, true, true
	} else if p.filesCompared {
		held, err := p.guardFiles(ctx, &s, j, runTime(j.in.rec, start))
		if err != nil || held {
			s.Where = append(s.Where, where...)
			return s, err
		}
	}
	s.Where = append(s.Where, where...)
	s.Status = StatusWouldPublish
	if done {
		// As the publish would report it: published, existing.
		s.Status = StatusPublished
	}
	return s, nil
}

// sameAsLatest finds, without the database, the snapshot a record
// already is, as the database does (store.PublishSnapshot, one run, one
// snapshot), so that "existing" means the same in every place: for a
// record with as_of, its run's document SLUG/IDENTIFIER.json; for one
// without, the leaderboard's latest snapshot (SLUG/latest.json); in the
// first place that has one, when it holds the same numbers. It returns
// that snapshot's meta, under which the files are the same again, or nil
// (a run's document with other numbers is refused when its files are
// written: sink.Publish).
func (p *publisher) sameAsLatest(ctx context.Context, rec *leaderboard.Record) (*snapshot.Meta, error) {
	key := rec.Leaderboard + "/latest.json"
	if at, run := rec.AsOfTime(); run {
		key = rec.Leaderboard + "/" + snapshot.Identifier(at) + ".json"
	}
	d, published, err := p.documentFromFiles(ctx, key)
	if err != nil || d == nil || !snapshot.SameNumbers(d, rec) {
		return nil, err
	}
	return &snapshot.Meta{Identifier: d.Identifier, SnapshotID: d.SnapshotID, PublishedAt: published, Name: d.Name}, nil
}

// optOut says whether err is the database's answer to a style-controlled
// record whose leaderboard has no api.leaderboard row: the operator has
// not opted in to publishing it, and the record is skipped.
func optOut(rec *leaderboard.Record, err error) bool {
	var u *store.UnknownError
	return rec.Variant == leaderboard.VariantStyle && errors.As(err, &u) && u.Kind == "leaderboard"
}

func (p *publisher) skipStyle(rec *leaderboard.Record) {
	p.log.Warnf("%s: style-controlled leaderboard skipped: api.leaderboard has no row %q (add one to publish it)", rec.Leaderboard, rec.Leaderboard)
}

// runTime is the time a record's snapshot is named and dated after: its
// as_of (one run, one snapshot), else the publish's start.
func runTime(rec *leaderboard.Record, start time.Time) time.Time {
	if t, ok := rec.AsOfTime(); ok {
		return t
	}
	return start
}

// evictCache deletes the API's cached leaderboard pages (internal/cache)
// once committed leaderboards went to the database, when a Redis is
// given. A failure is a warning, returned for the summary lines: the data
// is published, and the API shows it when its cache expires (6 hours).
func (p *publisher) evictCache(ctx context.Context, committed int) string {
	if p.o.RedisURL == "" || committed == 0 {
		return ""
	}
	res, err := cache.Evict(ctx, p.o.RedisURL, cache.Options{Timeout: p.o.RedisTimeout})
	if err != nil {
		msg := fmt.Sprintf("the API's cached leaderboard pages were not evicted (%v): it may show the previous snapshots for up to 6 hours", err)
		p.log.Warnf("%s", msg)
		return msg
	}
	p.log.Event("cache_evicted", "redis", cache.Describe(p.o.RedisURL), "keys", res.Deleted)
	return ""
}
