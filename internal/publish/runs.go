package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/runlog"
	"github.com/bixarena/arena-snapshots/internal/sink"
)

// RunRecord is the stdout line of RecordRun.
type RunRecord struct {
	Run    string   `json:"run"`    // the correlation id
	Record string   `json:"record"` // runs/YYYY-MM-DD/CORRELATION_ID.json
	Where  []string `json:"where"`  // the places that took it
	Error  string   `json:"error,omitempty"`
}

// RecordRun stores a run record (the daily job's complete event, one JSON
// object read from file, "-" for stdin) in the run history of the --s3 and
// --dir places of o (internal/runlog), trying each even when one fails,
// and writes one RunRecord line to stdout. The first record of a place
// draws the place's leaderboard site again (sink.RedrawSite), so that its
// pages link the new run history. The error carries the exit
// status: Usage for settings that do not fit (o.DB, o.DryRun, input files,
// no place), BadInput for a record runlog refuses; when places fail, their
// status when none took the record, else Partial.
func RecordRun(ctx context.Context, o Options, file string, stdin io.Reader, stdout io.Writer, log *clix.Logger) error {
	switch {
	case o.DB || o.DatabaseURL != "":
		return clix.Usagef("--record-run writes to the --s3 and --dir places only, not to the database (--db)")
	case o.DryRun || o.Diff:
		return clix.Usagef("--record-run cannot be combined with --dry-run or --diff")
	case len(o.Files) > 0:
		return clix.Usagef("--record-run reads the record from its own FILE; got input files too (%s)", o.Files[0])
	case o.S3URL == "" && o.Dir == "":
		return exitcode.WithHint(exitcode.Usage, errors.New("--record-run needs a place: --s3 s3://BUCKET/PREFIX or --dir PATH"),
			"the job records its runs where SNAPSHOT_S3_URI and SNAPSHOT_DIR publish")
	}
	o.DryRun = true // nowhere to publish is fine: Check only checks the places
	if err := o.Check(); err != nil {
		return err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var r io.Reader = stdin
	label := "stdin"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return exitcode.New(exitcode.Usage, fmt.Errorf("--record-run: cannot read the run record: %v", err))
		}
		defer f.Close()
		r, label = f, file
	}
	record, err := io.ReadAll(io.LimitReader(r, runlog.MaxRecordBytes+1))
	if err != nil {
		return exitcode.New(exitcode.Usage, fmt.Errorf("--record-run: cannot read %s: %v", label, err))
	}
	run, err := runlog.Parse(record)
	if err != nil {
		return exitcode.New(exitcode.BadInput, fmt.Errorf("%s: %v", label, err))
	}

	var places []sink.Objects
	if o.S3URL != "" {
		bucket, prefix, _ := sink.ParseS3URL(o.S3URL)
		client, err := sink.NewS3Client(ctx, o.S3Endpoint, o.S3PathStyle, o.S3Timeout)
		if err != nil {
			return err
		}
		places = append(places, sink.NewS3(client, bucket, prefix))
	}
	if o.Dir != "" {
		objs, err := sink.NewDir(o.Dir)
		if err != nil {
			return fmt.Errorf("%s %s: %w", clix.FlagName("dir", "SNAPSHOT_DIR"), o.Dir, err)
		}
		defer objs.Close()
		places = append(places, objs)
	}
	out := RunRecord{Run: run.CorrelationID, Record: run.Record, Where: []string{}}
	var errs []error
	now := o.Now() // one time for every place, so that they hold the same bytes
	for _, objs := range places {
		_, hadPage, err := objs.Get(ctx, runlog.PageKey)
		if err == nil {
			_, err = runlog.Write(ctx, objs, record, now)
		}
		if err != nil {
			errs = append(errs, err)
			log.Error(err)
			continue
		}
		out.Where = append(out.Where, objs.String())
		if !hadPage {
			// The site's pages, drawn before this first record, link
			// the run history once it is there.
			if err := sink.New(objs).RedrawSite(ctx); err != nil {
				log.Warnf("%s: the leaderboard site's pages do not link the run history yet (the next run's will): %v", objs, err)
			}
		}
	}
	if len(errs) > 0 {
		out.Error = joinErrors(errs).Error()
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	var writeErr error
	if err := enc.Encode(&out); err != nil {
		writeErr = exitcode.WriteError("the summary", err)
	}
	switch {
	case len(errs) == 0:
		err = nil
	case len(out.Where) > 0:
		err = exitcode.Errorf(exitcode.Partial, "the run record was stored in %d of %d places", len(out.Where), len(places))
	default:
		err = joinErrors(errs)
		err = exitcode.New(exitcode.Code(err), fmt.Errorf("the run record could not be stored"))
	}
	return summaryLost(log, err, writeErr, "the run record was stored", false)
}
