package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/guard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/sink"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// Statuses of a leaderboard the guard holds back.
const (
	StatusHeld      = "held"
	StatusWouldHold = "would_hold"
)

// heldDocument is what held/SLUG/IDENTIFIER.json holds: why the guard
// held the leaderboard, what it compared with, and the record itself, so
// that it can be published deliberately after a look:
//
//	jq -c .record held/SLUG/IDENTIFIER.json | snapshot-publish --guard off --db ...
type heldDocument struct {
	Leaderboard string              `json:"leaderboard"`
	Identifier  string              `json:"snapshot_identifier"`
	HeldAt      string              `json:"held_at"`
	Previous    *guard.Ref          `json:"previous"`
	Reasons     []guard.Violation   `json:"reasons"`
	Record      *leaderboard.Record `json:"record"`
}

// guardStore is the store's guard: the rules, unless the guard is off (the
// store then only reads the previous snapshot, for the diff).
func (p *publisher) guardStore(rec *leaderboard.Record, prev *guard.Snapshot) []guard.Violation {
	if p.o.GuardOff {
		return nil
	}
	return guard.Check(prev, rec, p.o.Guard)
}

// comparing reports whether leaderboards are compared with their current
// public snapshot: for the guard or for the diff.
func (p *publisher) comparing() bool { return !p.o.GuardOff || p.o.Diff }

// hold marks a summary held (or would_hold in a dry run) by vs, compared
// with prev, and warns on stderr naming the leaderboard and the rules.
func (p *publisher) hold(s *Summary, in input, prev *guard.Snapshot, vs []guard.Violation) {
	s.Status = StatusHeld
	if p.o.DryRun {
		s.Status = StatusWouldHold
	}
	s.Reasons, s.Previous = vs, guard.RefOf(prev)
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.Rule + ": " + v.Message
	}
	verb := "held"
	if p.o.DryRun {
		verb = "would be held"
	}
	p.log.Warnf("leaderboard %s (%s) %s: %s", in.rec.Leaderboard, in.place, verb, strings.Join(msgs, "; "))
}

// openReaders returns the places the previous snapshots are read from
// when there is no database: the run's targets, or, in a dry run, the same
// places opened for reading (a folder that does not exist holds nothing).
func (p *publisher) openReaders(ctx context.Context, targets []*target) ([]sink.Objects, error) {
	if !p.o.DryRun {
		out := make([]sink.Objects, len(targets))
		for i, t := range targets {
			out[i] = t.sink.Objects()
		}
		return out, nil
	}
	var out []sink.Objects
	if p.o.S3URL != "" {
		bucket, prefix, _ := sink.ParseS3URL(p.o.S3URL)
		client, err := sink.NewS3Client(ctx, p.o.S3Endpoint, p.o.S3PathStyle, p.o.S3Timeout)
		if err != nil {
			return nil, err
		}
		out = append(out, sink.NewS3(client, bucket, prefix))
	}
	if p.o.Dir != "" {
		if _, err := os.Stat(p.o.Dir); err == nil {
			objs, err := sink.NewDir(p.o.Dir)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", clix.FlagName("dir", "SNAPSHOT_DIR"), p.o.Dir, err)
			}
			p.opened = append(p.opened, objs)
			out = append(out, objs)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, exitcode.New(exitcode.Config, fmt.Errorf("%s %s: %w", clix.FlagName("dir", "SNAPSHOT_DIR"), p.o.Dir, err))
		}
	}
	return out, nil
}

// previousFromFiles returns a leaderboard's current snapshot without the
// database: the first place's SLUG/latest.json, when it is older than the
// record's time at (a backfill, older than latest, has no previous
// snapshot to compare with here; with --db it has).
func (p *publisher) previousFromFiles(ctx context.Context, rec *leaderboard.Record, at time.Time) (*guard.Snapshot, error) {
	d, published, err := p.latestFromFiles(ctx, rec.Leaderboard)
	if err != nil || d == nil || !published.Before(at) {
		return nil, err
	}
	prev := &guard.Snapshot{SnapshotID: d.SnapshotID, Identifier: d.Identifier, PublishedAt: published,
		Battles: d.Battles, Entries: make([]leaderboard.Entry, len(d.Entries))}
	for i, e := range d.Entries {
		prev.Entries[i] = e.Entry
	}
	return prev, nil
}

// latestFromFiles returns the leaderboard's SLUG/latest.json in the first
// place that has one, and its publish time (UTC), or nil.
func (p *publisher) latestFromFiles(ctx context.Context, slug string) (*snapshot.Document, time.Time, error) {
	return p.documentFromFiles(ctx, slug+"/latest.json")
}

// documentFromFiles returns the snapshot document stored under key in the
// first place that has one, and its publish time (UTC), or nil.
func (p *publisher) documentFromFiles(ctx context.Context, key string) (*snapshot.Document, time.Time, error) {
	for _, objs := range p.readers {
		b, found, err := objs.Get(ctx, key)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("%s: read %s: %w", objs, key, err)
		}
		if !found {
			continue
		}
		var d snapshot.Document
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, time.Time{}, exitcode.New(exitcode.BadInput, fmt.Errorf("%s: %s is not a snapshot document: %v", objs, key, err))
		}
		published, err := time.Parse(time.RFC3339Nano, d.PublishedAt)
		if err != nil {
			return nil, time.Time{}, exitcode.New(exitcode.BadInput, fmt.Errorf("%s: %s: published_at %q is not a time", objs, key, d.PublishedAt))
		}
		return &d, published.UTC(), nil
	}
	return nil, time.Time{}, nil
}

// publishHeld stores a held leaderboard's document in every place under
// held/, trying each even when one fails; places that took it are added
// to the summary's where.
func (p *publisher) publishHeld(ctx context.Context, targets []*target, j *job) error {
	rec := j.in.rec
	doc := heldDocument{Leaderboard: rec.Leaderboard, Identifier: j.s.Identifier,
		HeldAt: p.o.Now().UTC().Format(time.RFC3339), Previous: j.s.Previous, Reasons: j.s.Reasons, Record: rec}
	body, err := snapshot.Marshal(&doc)
	if err != nil {
		return exitcode.New(exitcode.Failure, err)
	}
	var errs []error
	for _, t := range targets {
		if err := t.sink.Hold(ctx, rec.Leaderboard, j.s.Identifier, body); err != nil {
			errs = append(errs, err)
			continue
		}
		j.s.Where = append(j.s.Where, t.sink.String())
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	return nil
}

// heldBoard names a held leaderboard and the rules it broke, for the
// run's final message.
type heldBoard struct {
	leaderboard string
	rules       []string
}

func (h heldBoard) String() string {
	return h.leaderboard + ": " + strings.Join(h.rules, ", ")
}

// diffOf returns what publishing j's record changes against its current
// public snapshot, or nil when there is nothing to show (a skipped or
// failed leaderboard, or one published already).
func diffOf(j *job) *guard.Diff {
	switch j.s.Status {
	case StatusPublished, StatusWouldPublish, StatusHeld, StatusWouldHold:
	default:
		return nil
	}
	if j.s.Existing || !j.compared {
		return nil
	}
	return guard.Compare(j.prev, j.in.rec)
}

// report is a leaderboard's part of the diff table: a leaderboard
// published already says so ("published already as ID", and in a dry run
// "nothing to do").
func report(s Summary, d *guard.Diff, dryRun bool) guard.Report {
	r := guard.Report{Leaderboard: s.Leaderboard, Status: s.Status, Diff: d, Violations: s.Reasons}
	switch {
	case s.Status == StatusSkipped:
		r.Detail = strings.ReplaceAll(s.Reason, "_", " ")
	case s.Error != "":
		r.Detail = s.Error
	case s.Existing && s.Status == StatusPublished:
		r.Status = "published already as " + s.Identifier
		if dryRun {
			r.Detail = "nothing to do"
		}
	case s.Existing:
		r.Detail = "published already as " + s.Identifier
	}
	return r
}

// guardFiles compares a record with its current snapshot in the places
// (without the database; see previousFromFiles), keeps that snapshot in j
// for the diff, and holds s when the guard says so.
func (p *publisher) guardFiles(ctx context.Context, s *Summary, j *job, at time.Time) (bool, error) {
	prev, err := p.previousFromFiles(ctx, j.in.rec, at)
	if err != nil {
		return false, err
	}
	j.prev, j.compared = prev, true
	if p.o.GuardOff {
		return false, nil
	}
	vs := guard.Check(prev, j.in.rec, p.o.Guard)
	if len(vs) == 0 {
		return false, nil
	}
	p.hold(s, j.in, prev, vs)
	return true, nil
}

// heldOutcome is the run's final error when leaderboards were held (or
// would be, in a dry run): Partial when others were published; else
// BadInput (the records break the guard's rules: a retry gives the same),
// or the gravest of it and the failures' statuses (see graver): Partial
// never says that nothing was published. The message names each held
// leaderboard and its rules; the hint says where the held records are
// (held/ in the --s3 and --dir places, when filed) and how to publish one
// deliberately.
func (p *publisher) heldOutcome(failures, indexFailures []error, published int, held []heldBoard, filed bool) error {
	names := make([]string, len(held))
	for i, h := range held {
		names[i] = h.String()
	}
	verb := "held by the guard"
	if p.o.DryRun {
		verb = "would be held by the guard"
	}
	parts := []string{fmt.Sprintf("%d leaderboard(s) %s (%s)", len(held), verb, strings.Join(names, "; "))}
	if len(failures) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", len(failures)))
	}
	if len(indexFailures) > 0 {
		parts = append(parts, "the index could not be written")
	}
	code := exitcode.BadInput
	switch {
	case published > 0:
		code = exitcode.Partial
		parts = append(parts, fmt.Sprintf("%d published", published))
	default:
		for _, err := range append(append([]error(nil), failures...), indexFailures...) {
			code = graver(code, exitcode.Code(err))
		}
		if !p.o.DryRun {
			parts = append(parts, "none published")
		}
	}
	hint := "to publish a held leaderboard deliberately, run again with --guard off (PUBLISH_GUARD=off)"
	if filed {
		hint = "the held records and their reasons are in held/SLUG/ of the --s3 and --dir places; " + hint
	}
	return exitcode.WithHint(code, errors.New(strings.Join(parts, ", ")), hint)
}
