// Package runlog owns the daily job's run history in the folder and S3
// sinks, next to the published leaderboards:
//
//	PREFIX/runs/YYYY-MM-DD/CORRELATION_ID.json   one run's complete event, as the job logged it
//	PREFIX/runs/index.json                       the last MaxRuns runs, newest first
//	PREFIX/runs/index.html                       the same list for people (the status page)
//
// The date is the run's start (UTC). A run is recorded once it is over,
// whatever its outcome: the record says how it ended. Runs that record at
// the same moment keep each other's lines: the index and the page are
// replaced with the sink's compare-and-swap update (sink.Objects.Update).
package runlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/sink"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// Keys of the history, relative to the sink's root.
const (
	Folder   = "runs"
	IndexKey = Folder + "/index.json"
	PageKey  = Folder + "/index.html"
	// SiteKey is the leaderboard site's front page, which the status page
	// links back to when it is there.
	SiteKey = "index.html"
)

// MaxRuns is how many runs the index keeps.
const MaxRuns = 400

// MaxRecordBytes bounds a run record.
const MaxRecordBytes = 4 << 20

// idPattern is what a correlation id must look like to name a file: one
// safe path segment.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Run is a run's line in the index.
type Run struct {
	CorrelationID   string    `json:"correlation_id"`
	StartedAt       string    `json:"started_at"` // RFC 3339, UTC
	FinishedAt      string    `json:"finished_at,omitempty"`
	DurationSeconds float64   `json:"duration_seconds"`
	ExitStatus      int       `json:"exit_status"`
	OK              bool      `json:"ok"`
	Published       int       `json:"published"`
	Held            int       `json:"held"`
	Skipped         int       `json:"skipped"`
	Failed          int       `json:"failed"`
	Error           string    `json:"error,omitempty"` // the job's own error, when it failed
	Problems        []Problem `json:"problems,omitempty"`
	Record          string    `json:"record"` // runs/YYYY-MM-DD/CORRELATION_ID.json
}

// Problem is a leaderboard that was held or failed in a run.
type Problem struct {
	Leaderboard string   `json:"leaderboard"`
	Status      string   `json:"status"`          // held or failed
	Rules       []string `json:"rules,omitempty"` // held: the rules it broke
	Error       string   `json:"error,omitempty"` // failed: why
}

// Index is runs/index.json.
type Index struct {
	UpdatedAt string `json:"updated_at"`
	Runs      []Run  `json:"runs"` // newest first
}

// event is the part of the job's complete event the index reads.
type event struct {
	CorrelationID   string   `json:"correlation_id"`
	Time            string   `json:"time"`
	StartedAt       string   `json:"started_at"`
	DurationSeconds *float64 `json:"duration_seconds"`
	ExitStatus      *int     `json:"exit_status"`
	OK              *bool    `json:"ok"`
	Published       int      `json:"published"`
	Held            int      `json:"held"`
	Skipped         int      `json:"skipped"`
	Failed          int      `json:"failed"`
	Error           string   `json:"error"`
	Leaderboards    []struct {
		Leaderboard string `json:"leaderboard"`
		Status      string `json:"status"`
		Error       string `json:"error"`
		Reasons     []struct {
			Rule string `json:"rule"`
		} `json:"reasons"`
	} `json:"leaderboards"`
}

// Parse reads a run record (the job's complete event: one JSON object
// with at least correlation_id, exit_status, and started_at or time and
// duration_seconds) and returns its index line. Errors say what is
// missing or wrong.
func Parse(record []byte) (*Run, error) {
	if len(record) > MaxRecordBytes {
		return nil, fmt.Errorf("the run record is larger than %d bytes", MaxRecordBytes)
	}
	var ev event
	dec := json.NewDecoder(bytes.NewReader(record))
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("the run record is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, errors.New("the run record holds more than one JSON value")
	}
	if ev.CorrelationID == "" {
		return nil, errors.New("the run record has no correlation_id")
	}
	if !idPattern.MatchString(ev.CorrelationID) {
		return nil, fmt.Errorf("correlation_id %q cannot name a file: it must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", ev.CorrelationID)
	}
	if ev.ExitStatus == nil {
		return nil, errors.New("the run record has no exit_status")
	}
	var dur float64
	if ev.DurationSeconds != nil {
		dur = *ev.DurationSeconds
		if dur < 0 || math.IsNaN(dur) || math.IsInf(dur, 0) {
			return nil, fmt.Errorf("duration_seconds %v is not a duration", dur)
		}
	}
	var start, end time.Time
	var err error
	if ev.Time != "" {
		if end, err = time.Parse(time.RFC3339Nano, ev.Time); err != nil {
			return nil, fmt.Errorf("time %q is not an RFC 3339 time", ev.Time)
		}
	}
	switch {
	case ev.StartedAt != "":
		if start, err = time.Parse(time.RFC3339Nano, ev.StartedAt); err != nil {
			return nil, fmt.Errorf("started_at %q is not an RFC 3339 time", ev.StartedAt)
		}
	case ev.Time != "" && ev.DurationSeconds != nil:
		start = end.Add(-time.Duration(dur * float64(time.Second)))
	default:
		return nil, errors.New("the run record has no started_at (nor time and duration_seconds)")
	}
	start = start.UTC()
	r := &Run{
		CorrelationID:   ev.CorrelationID,
		StartedAt:       start.Format(time.RFC3339),
		DurationSeconds: dur,
		ExitStatus:      *ev.ExitStatus,
		OK:              *ev.ExitStatus == 0,
		Published:       ev.Published,
		Held:            ev.Held,
		Skipped:         ev.Skipped,
		Failed:          ev.Failed,
		Error:           ev.Error,
		Record:          fmt.Sprintf("%s/%s/%s.json", Folder, start.Format(time.DateOnly), ev.CorrelationID),
	}
	if ev.OK != nil {
		r.OK = *ev.OK
	}
	if !end.IsZero() {
		r.FinishedAt = end.UTC().Format(time.RFC3339)
	}
	for _, l := range ev.Leaderboards {
		switch l.Status {
		case "held":
			p := Problem{Leaderboard: l.Leaderboard, Status: l.Status}
			for _, reason := range l.Reasons {
				if reason.Rule != "" && !contains(p.Rules, reason.Rule) {
					p.Rules = append(p.Rules, reason.Rule)
				}
			}
			r.Problems = append(r.Problems, p)
		case "failed":
			r.Problems = append(r.Problems, Problem{Leaderboard: l.Leaderboard, Status: l.Status, Error: l.Error})
		}
	}
	return r, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// MergeIndex returns the index old (the stored bytes; nil when there is
// none) with run added, or replacing the line of the same correlation id
// (a run recorded again), newest first by start time, cut to max runs.
// Stored bytes that are not an index are an error: a run must not throw
// away a history it cannot read.
func MergeIndex(old []byte, run Run, max int, now time.Time) (*Index, error) {
	var idx Index
	if len(old) > 0 {
		if err := json.Unmarshal(old, &idx); err != nil {
			return nil, fmt.Errorf("the stored %s is not a run index: %v", IndexKey, err)
		}
	}
	runs := make([]Run, 0, len(idx.Runs)+1)
	runs = append(runs, run)
	for _, r := range idx.Runs {
		if r.CorrelationID != run.CorrelationID {
			runs = append(runs, r)
		}
	}
	sort.SliceStable(runs, func(i, j int) bool {
		if runs[i].StartedAt != runs[j].StartedAt {
			return runs[i].StartedAt > runs[j].StartedAt // RFC 3339 UTC sorts as text
		}
		return runs[i].CorrelationID < runs[j].CorrelationID
	})
	if len(runs) > max {
		runs = runs[:max]
	}
	idx.Runs = runs
	idx.UpdatedAt = now.UTC().Format(time.RFC3339)
	return &idx, nil
}

// Write records a run in objs: the record itself (indented, under its
// date and correlation id; a run recorded again replaces it), then its
// line in the index, then the status page rendered from the index as it
// then stands. It returns the run's index line. A record Parse refuses is
// BadInput, and so is a stored index that cannot be read (it is left as
// it is); other errors carry the sink's exit status.
func Write(ctx context.Context, objs sink.Objects, record []byte, now time.Time) (*Run, error) {
	run, err := Parse(record)
	if err != nil {
		return nil, exitcode.New(exitcode.BadInput, err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, bytes.TrimSpace(record), "", "  "); err != nil {
		return nil, exitcode.New(exitcode.BadInput, fmt.Errorf("the run record is not JSON: %v", err))
	}
	pretty.WriteByte('\n')
	meta := sink.Meta{ContentType: sink.TypeJSON, CacheControl: sink.CacheLatest}
	if err := objs.Put(ctx, run.Record, pretty.Bytes(), meta); err != nil {
		return nil, fmt.Errorf("%s: write %s: %w", objs, run.Record, err)
	}
	err = objs.Update(ctx, IndexKey, meta, func(old []byte) ([]byte, error) {
		idx, err := MergeIndex(old, *run, MaxRuns, now)
		if err != nil {
			return nil, exitcode.New(exitcode.BadInput, err)
		}
		return snapshot.Marshal(idx)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: update %s: %w", objs, IndexKey, err)
	}
	// The page is rendered from the index read inside its own update, so
	// that of two runs recording at once, the page written last shows both.
	err = objs.Update(ctx, PageKey, sink.Meta{ContentType: TypeHTML, CacheControl: sink.CacheLatest}, func([]byte) ([]byte, error) {
		b, found, err := objs.Get(ctx, IndexKey)
		if err != nil {
			return nil, err
		}
		var idx Index
		if found {
			if err := json.Unmarshal(b, &idx); err != nil {
				return nil, exitcode.New(exitcode.BadInput, fmt.Errorf("the stored %s is not a run index: %v", IndexKey, err))
			}
		}
		_, site, err := objs.Get(ctx, SiteKey)
		if err != nil {
			return nil, err
		}
		return Page(&idx, site)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: update %s: %w", objs, PageKey, err)
	}
	return run, nil
}
