package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/names"
	"github.com/bixarena/arena-snapshots/internal/ranking"
	"github.com/bixarena/arena-snapshots/internal/textin"
	"github.com/urfave/cli/v2"
)

const tool = "rank"

// DefaultSeed is the seed of the bootstrap when none is given.
const DefaultSeed = 42

const description = `Reads battles, one JSON object per line, from the files named (or stdin;
"-" is stdin) and writes one leaderboard per line to stdout (NDJSON, or a
table for people when stdout is a terminal: see --format): overall, plus
one per category seen or named in a battles-export header. Each leaderboard
holds Bradley-Terry scores (mean 1000, 400 points = 10:1 odds), 95%
bootstrap intervals (--confidence), ranks and vote counts, with the
parameters, seed and input digest that reproduce it. Where more than
(1-c)/2 of the rounds resample battles without a maximum likelihood
(sparse boards), the rounds are one-step rounds from the fit instead of
refits: "fit" says which in "intervals".

Each entry also has the range of ranks the model plausibly holds
("rank_best", "rank_worst": quantiles of its rank among the listed models
over the same bootstrap rounds) and a "tier" (1 at the top): walking down
the board, a model opens a new tier when its score interval no longer
overlaps the interval of the current tier's first model (its ci_upper is
below that model's ci_lower). With --significant, "rank" is 1 + the models
whose interval lies wholly above: another measure than the rank range,
which need not contain it (the table heads it sig.rank, the CSV
significance_rank). The record's "head_to_head" lists, for every pair of
listed models that met, [i, j, wins of i, wins of j, ties] (i < j index
the entries); --pairs adds "pairs", every pair spelled out with its
predicted win probability.

A battle line has "model_a", "model_b", "winner" ("model_a", "model_b",
"tie" or "tie (bothbad)") and optionally "count" (it stands for that many
battles) and "categories"; other fields are ignored, so public arena files
rank as they are, as NDJSON or as one JSON array of battles. A stream that
starts with a battles-export header must end with its trailer. Lines are at
most 1 MiB. Nothing is written unless the whole input is valid.

Inputs are added up, so no battle may come twice: the same file named
twice is a usage error; two inputs with the same bytes, or two
battles-export streams whose time windows (from --since, or the start, to
--until, or the export time) overlap, are bad input. Exports of windows
that do not overlap rank together. A file without a header has no window:
it ranks with others, but then the records carry no as_of (said on
stderr).

When the maximum likelihood does not exist (a model that only won or only
lost, comparison graph in pieces), the leaderboard says so in "fit", the
entries are flagged, and every model gets one virtual tie against a phantom
of score 1000, which keeps the scores finite.

With --style-control, each leaderboard is followed by its style-controlled
variant ("variant":"style"): the same battles fitted with the style of the
answers (length, markdown headers, list items, bold spans) as covariates,
logit P(a beats b) = ln10·(r_a − r_b) + Σ β_k·d_k, d_k = (f_a − f_b)/(f_a + f_b)
standardised over the leaderboard's battles. Every battle needs its features:
"style" from battles-export --style (length in characters) or the public
"conv_metadata" (length in tokens). Intervals are sandwich (robust) standard
errors, or with --style-ci bootstrap percentiles of --bootstrap rounds that
resample battles. The coefficients, with their intervals, are in "style".

Flags may come before or after the FILEs; "--" ends them. Each flag can
also be set by the environment variable named in brackets; a variable set
to the empty string means the default. Whole numbers are read in decimal
(010 is ten; 0x10, 0o17, 0b11 and 1_000 are refused). --check-settings
checks them all and reads nothing. On a terminal, a progress line shows on
stderr unless rank's stdout is a pipe (the last stage of a pipe draws) or
--no-progress (NO_PROGRESS) says otherwise.

` + exitcode.Help

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	log := clix.NewLogger(tool, stderr, os.Getenv)
	app := &cli.App{
		Name:        tool,
		Usage:       "rank arena models from battles: Bradley-Terry scores with bootstrap intervals",
		UsageText:   "rank [flags] [FILE...]\n   battles-export | rank | snapshot-publish --db\n   rank --format table battles.ndjson",
		Description: description,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "bootstrap", Value: 1000, EnvVars: []string{"NUM_BOOTSTRAP"}, Usage: "bootstrap `ROUNDS` for the intervals (1 to 5000)"},
			&cli.IntFlag{Name: "min-votes", Value: 10, EnvVars: []string{"MIN_EVALS"}, Usage: "least `VOTES` a model needs to be listed"},
			&cli.BoolFlag{Name: "significant", EnvVars: []string{"SIGNIFICANT"}, Usage: "rank = 1 + the number of models whose interval lies wholly above (ties allowed); the table's sig.rank, the CSV's significance_rank"},
			&cli.Float64Flag{Name: "confidence", Value: ranking.DefaultConfidence, EnvVars: []string{"CONFIDENCE"}, Usage: "`LEVEL` of the score and rank intervals (0.5 to 0.999), which --significant and the tiers use too"},
			&cli.BoolFlag{Name: "pairs", Usage: "spell out every pair of listed models, with its battles, wins, ties and predicted win probability: in each record, or after each table"},
			&cli.IntFlag{Name: "min-battles", Value: 30, EnvVars: []string{"MIN_TOTAL_BATTLES"}, Usage: "skip a leaderboard with fewer `BATTLES` (all leaderboards only)"},
			&cli.IntFlag{Name: "min-models", Value: 4, EnvVars: []string{"MIN_TOTAL_MODELS"}, Usage: "skip a leaderboard with fewer `MODELS` before or after filtering (all leaderboards only; one chosen leaderboard needs 4)"},
			&cli.StringFlag{Name: "leaderboard", EnvVars: []string{"LEADERBOARD_SLUG"}, Usage: "compute only the leaderboard `SLUG` (default: all)"},
			&cli.Uint64Flag{Name: "seed", Value: DefaultSeed, Usage: "bootstrap `SEED`: the same seed and battles give the same output"},
			&cli.IntFlag{Name: "threads", Value: runtime.NumCPU(), DefaultText: "all cores", Usage: "bootstrap `THREADS` (the output does not depend on it)"},
			&cli.StringFlag{Name: "format", DefaultText: "table on a terminal, else ndjson", Usage: "output `FORMAT`: ndjson (for snapshot-publish), table (for people) or csv (one row per entry: a line on stderr names what it leaves out, the skipped leaderboards and the style coefficients)"},
			&cli.IntFlag{Name: "max-models", Value: DefaultMaxModels, EnvVars: []string{"MAX_MODELS"}, Usage: "refuse an input with more distinct `MODELS` (bad input)"},
			&cli.IntFlag{Name: "max-categories", Value: DefaultMaxCategories, EnvVars: []string{"MAX_CATEGORIES"}, Usage: "refuse an input with more distinct `CATEGORIES` (bad input)"},
			&cli.Int64Flag{Name: "max-battles", Value: DefaultMaxBattles, EnvVars: []string{"MAX_BATTLES"}, Usage: "refuse an input of more `BATTLES` in all, counts included (bad input)"},
			&cli.BoolFlag{Name: "style-control", EnvVars: []string{"STYLE_CONTROL"}, Usage: "also write each leaderboard's style-controlled variant (\"variant\":\"style\"), fitted with the battles' style features (battles-export --style, or public conv_metadata)"},
			&cli.StringFlag{Name: "style-ci", Value: "sandwich", EnvVars: []string{"STYLE_CI"}, Usage: "`METHOD` of the style-controlled intervals: sandwich (robust standard errors) or bootstrap (--bootstrap rounds resampling battles)"},
			clix.NoProgressFlag(),
			clix.CheckSettingsFlag(),
		},
		Action: func(c *cli.Context) error { return rank(c, stdin, stdout, stderr, log) },
	}
	return clix.Run(ctx, app, args, stdin, stdout, stderr, log)
}

func options(c *cli.Context) (ranking.Options, string, error) {
	var o ranking.Options
	var err error
	if o.Bootstrap, err = clix.IntInRange(c, "bootstrap", "NUM_BOOTSTRAP", 1, 5000); err != nil {
		return o, "", err
	}
	if o.MinVotes, err = clix.IntInRange(c, "min-votes", "MIN_EVALS", 0, 1<<30); err != nil {
		return o, "", err
	}
	if o.MinBattles, err = clix.IntInRange(c, "min-battles", "MIN_TOTAL_BATTLES", 0, 1<<30); err != nil {
		return o, "", err
	}
	if o.MinModels, err = clix.IntInRange(c, "min-models", "MIN_TOTAL_MODELS", 0, 1<<30); err != nil {
		return o, "", err
	}
	if o.Threads, err = clix.IntInRange(c, "threads", "", 1, 1024); err != nil {
		return o, "", err
	}
	o.Confidence = c.Float64("confidence")
	if !(o.Confidence >= 0.5 && o.Confidence <= 0.999) {
		return o, "", clix.Usagef("%s must be between 0.5 and 0.999, %s", clix.FlagName("confidence", "CONFIDENCE"), clix.Got(c, "confidence", "CONFIDENCE", o.Confidence))
	}
	o.Pairs = c.Bool("pairs")
	o.Significant = c.Bool("significant")
	o.StyleControl = c.Bool("style-control")
	o.StyleCI = c.String("style-ci")
	if o.StyleCI == "" { // STYLE_CI set but empty: the default
		o.StyleCI = leaderboard.IntervalsSandwich
	}
	if o.StyleCI != leaderboard.IntervalsSandwich && o.StyleCI != leaderboard.IntervalsBootstrap {
		return o, "", clix.Usagef("%s must be sandwich or bootstrap, %s", clix.FlagName("style-ci", "STYLE_CI"), clix.Got(c, "style-ci", "STYLE_CI", o.StyleCI))
	}
	o.Seed = c.Uint64("seed")
	o.Version = clix.Version()
	format := c.String("format")
	if format == "" {
		// People first on a terminal, data in a pipe.
		format = "ndjson"
		if clix.IsTerminal(c.App.Writer) {
			format = "table"
		}
	}
	if !slices.Contains([]string{"ndjson", "table", "csv"}, format) {
		return o, "", clix.Usagef("--format must be ndjson, table or csv, got %q", format)
	}
	if o.Pairs && format == "csv" {
		return o, "", exitcode.WithHint(exitcode.Usage, errors.New("--pairs goes with --format ndjson or table, not csv (one table of entries)"),
			"rank --pairs battles.ndjson | jq -r '.pairs[] | [.model_a, .model_b, .battles, .wins_a, .wins_b, .ties, .predicted_a] | @csv'")
	}
	return o, format, nil
}

func rank(c *cli.Context, stdin io.Reader, stdout, stderr io.Writer, log *clix.Logger) error {
	o, format, err := options(c)
	if err != nil {
		return err
	}
	only := strings.TrimSpace(c.String("leaderboard"))
	if only != "" {
		if err := names.Leaderboard(only); err != nil {
			return clix.Usagef("--leaderboard (LEADERBOARD_SLUG) %q is not a leaderboard slug: %v", only, err)
		}
	}
	sc, err := newScreenFromFlags(c, log)
	if err != nil {
		return err
	}
	names := c.Args().Slice()
	if len(names) == 0 {
		names = []string{"-"}
	}
	if c.Bool(clix.CheckSettings) {
		return checkFiles(names)
	}
	start := time.Now()
	log.Event("start", "leaderboard", only, "bootstrap", o.Bootstrap, "seed", o.Seed)
	agg := ranking.NewAggregator(only)
	agg.Screen = sc.admit
	progress := clix.ShowProgress(c, stdout, stderr, log, os.Getenv)
	var lines, battles int64
	var known []battle.LeaderboardName
	var moments []battle.Moment
	var streams, hand []string // inputs with a header; with battles and none
	var empty []input
	sc.src.fingerprint = len(names) > 1
	for _, name := range names {
		in, err := read(c.Context, name, stdin, stderr, log, agg, sc, o.StyleControl, progress)
		if err != nil {
			return err
		}
		m, err := battle.MomentOf(in.header)
		if err != nil {
			return exitcode.New(exitcode.BadInput, fmt.Errorf("%s:1: %v", in.label, err))
		}
		switch {
		case in.header != nil:
			moments, streams = append(moments, m), append(streams, in.label)
		case in.lines > 0: // battle lines without a header: no moment
			moments, hand = append(moments, m), append(hand, in.label)
		}
		lines, battles = lines+in.lines, battles+in.battles
		if in.header != nil {
			known = append(known, in.header.Leaderboards...)
		}
		if in.lines == 0 {
			empty = append(empty, in)
		}
	}
	if err := noBattles(empty, len(names), log); err != nil {
		return err
	}
	log.Event("read", "lines", lines, "battles", battles, "duration_ms", time.Since(start).Milliseconds())
	if l := sc.filter.Leaderboard; only != "" && l != "" && l != battle.Overall && l != only {
		return exitcode.WithHint(exitcode.Usage,
			fmt.Errorf("--leaderboard (LEADERBOARD_SLUG) %q: the input holds only the battles of leaderboard %q", only, l),
			"rank the input without --leaderboard, or export the leaderboard wanted")
	}
	if sc.dropped > 0 {
		log.Warnf("%d battle lines left out for model names that cannot be published", sc.dropped)
	}
	if only != "" && len(known) > 0 && !slices.ContainsFunc(known, func(l battle.LeaderboardName) bool { return l.Slug == only }) {
		var slugs []string
		for _, l := range known {
			slugs = append(slugs, l.Slug)
		}
		return exitcode.WithHint(exitcode.Usage,
			fmt.Errorf("--leaderboard (LEADERBOARD_SLUG) %q is not a leaderboard of the input", only),
			"known leaderboards: "+strings.Join(slugs, ", "))
	}
	if plain, ok := leaderboard.VariantOf(only, battle.HasLeaderboard(known)); ok {
		return exitcode.WithHint(exitcode.Usage,
			fmt.Errorf("--leaderboard (LEADERBOARD_SLUG) %q is where the style-controlled variant of %q is published, not a leaderboard with battles of its own", only, plain),
			fmt.Sprintf("rank --style-control --leaderboard %s writes it (the job: STYLE_CONTROL=true LEADERBOARD_SLUG=%s)", plain, plain))
	}

	if progress {
		bar := clix.NewProgress(log, "bootstrap", "rounds", int64(agg.Rounds(o)))
		o.Progress = func() { bar.Add(1) }
		defer bar.Finish()
	}
	o.Stop = c.Context.Done()
	records := agg.Records(o)
	if err := c.Context.Err(); err != nil {
		return err // stopped: write nothing
	}
	at := battle.Join(moments)
	for i := range records {
		records[i].AsOf, records[i].ExportedAt = battle.Format(at.AsOf), battle.Format(at.ExportedAt)
		if len(hand) > 0 && records[i].Provenance.Filter != nil {
			// Battles of any time came in: no window holds them all.
			records[i].Provenance.Filter.Since, records[i].Provenance.Filter.Until = "", ""
			if *records[i].Provenance.Filter == (leaderboard.Filter{}) {
				records[i].Provenance.Filter = nil
			}
		}
	}
	if len(hand) > 0 && len(streams) > 0 {
		log.Warnf("as_of left out: %s %s battle lines without a battles-export header, whose time is unknown (mixed with the export %s); snapshot-publish dates such records by the publish time",
			strings.Join(hand, ", "), pick(len(hand) == 1, "holds", "hold"), strings.Join(streams, ", "))
	}
	for _, r := range records {
		warnIllPosed(log, r)
		if r.Style != nil && r.Style.Intervals != o.StyleCI {
			log.Warnf("%s: style-controlled intervals by %s, not %s: its lines' counts add up to far more battles (%d) than a bootstrap round can draw one by one",
				r.Leaderboard, r.Style.Intervals, o.StyleCI, r.Battles)
		}
	}

	w := bufio.NewWriterSize(stdout, 64<<10)
	switch format {
	case "ndjson":
		err = writeNDJSON(w, records)
	case "table":
		err = writeTable(w, records)
	case "csv":
		err = writeCSV(w, records)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return exitcode.WriteError("output", err)
	}
	if note := csvLeavesOut(records); note != "" && format == "csv" {
		log.Warnf("%s", note)
	}
	outcomes := make([]map[string]any, 0, len(records))
	for _, r := range records {
		m := map[string]any{"leaderboard": r.Leaderboard, "status": r.Status, "battles": r.Battles, "entries": len(r.Entries)}
		if r.Reason != "" {
			m["reason"] = r.Reason
			m["why"] = leaderboard.SkipReason(r) // the table's words
		}
		if r.Variant != "" {
			m["variant"] = r.Variant
		}
		outcomes = append(outcomes, m)
	}
	log.Event("complete", "lines", lines, "battles", battles, "duration_ms", time.Since(start).Milliseconds(), "leaderboards", outcomes)
	return nil
}

// input is what reading one input found.
type input struct {
	label          string // file name or "stdin"
	lines, battles int64
	bytes          int64 // read, blank lines included
	header         *battle.Header
	pipe           bool // stdin is a pipe: another program wrote it
}

// read aggregates one input; name "-" is stdin.
func read(ctx context.Context, name string, stdin io.Reader, stderr io.Writer, log *clix.Logger, agg *ranking.Aggregator, sc *screen, style, progress bool) (input, error) {
	in := input{label: inputLabel(name)}
	var r io.Reader = stdin
	size := int64(0)
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return in, exitcode.New(exitcode.Usage, fmt.Errorf("cannot read %s: %w", name, errors.Unwrap(err)))
		}
		defer f.Close()
		if err := sc.src.open(in.label, f); err != nil {
			return in, err
		}
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
		r = f
	} else {
		f, _ := stdin.(*os.File)
		if err := sc.src.open(in.label, f); err != nil {
			return in, err
		}
		if f != nil {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeNamedPipe != 0 {
				in.pipe = true
			}
			clix.NoteTerminalStdin(stdin, log, "battles")
		}
	}
	if progress {
		bar := clix.NewProgress(log, "reading "+in.label, "", size)
		r = bar.Reader(r)
		defer bar.Finish()
	}
	sum := sc.src.hasher()
	if sum != nil {
		r = hashingReader{r: r, h: sum}
	}
	counted := &countingReader{r: r}
	d := battle.NewDecoder(counted, in.label)
	d.SetStyle(style)
	headerSeen := false
	for d.Next() {
		if !headerSeen {
			headerSeen = true
			if err := begin(sc, agg, in.label, d.Header()); err != nil {
				return in, err
			}
		}
		sc.at(in.label, d.Line())
		if err := sc.battle(d.Battle()); err != nil {
			return in, err
		}
		if err := inFilter(d.Header(), d.Battle(), in.label, d.Line()); err != nil {
			return in, err
		}
		kept := agg.Add(d.Battle())
		if err := sc.Err(); err != nil {
			return in, err
		}
		if !kept {
			sc.dropped++
		} else {
			if style {
				if err := agg.AddStyle(d.Battle()); err != nil {
					hint := "battles-export --style writes them (not with --aggregate); public arena files carry conv_metadata"
					return in, exitcode.WithHint(exitcode.BadInput, d.Errorf("%v", err), hint)
				}
			}
		}
		in.lines++
		in.battles += d.Battle().Count
		if in.lines&0xffff == 0 && ctx.Err() != nil {
			return in, ctx.Err()
		}
	}
	in.bytes = counted.n
	if err := sc.src.read(in.label, sum, in.bytes); err != nil {
		return in, err
	}
	if err := d.Err(); err != nil {
		var te *textin.Error
		if errors.As(err, &te) {
			return in, exitcode.WithHint(exitcode.BadInput, err, te.Hint)
		}
		return in, exitcode.New(exitcode.BadInput, err)
	}
	if !headerSeen {
		if err := begin(sc, agg, in.label, d.Header()); err != nil {
			return in, err
		}
	}
	in.header = d.Header()
	return in, nil
}

// noBattles checks the inputs without a battle line, of total inputs. A
// battles-export stream with its header and trailer and nothing between is
// a quiet window, said on stderr; when every input is without a header and
// without a battle, there is nothing to rank: bad input, with a hint when
// stdin was empty (the stage before it likely failed).
func noBattles(empty []input, total int, log *clix.Logger) error {
	var bare []input
	for _, in := range empty {
		if in.header != nil {
			window := ""
			if f := in.header.Filter; f.Since != "" || f.Until != "" {
				window = fmt.Sprintf(" (%s to %s)", or(f.Since, "the start"), or(f.Until, "the export"))
			}
			log.Warnf("%s: a complete battles-export stream with no battles in its window%s: every leaderboard is skipped", in.label, window)
			continue
		}
		bare = append(bare, in)
	}
	if len(bare) == 0 || len(bare) < total {
		return nil
	}
	what := "no battles in the input"
	if total == 1 {
		what = fmt.Sprintf("no battles in the input: %s %s", bare[0].label, nothing(bare[0]))
	}
	hint := "a battle line looks like {\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"model_a\"}"
	for _, in := range bare {
		if in.label == "stdin" && in.bytes == 0 {
			hint = "stdin was empty: did the command before rank (battles-export?) fail? Its messages are above"
			if !in.pipe {
				hint = "stdin was empty: pipe battles into rank or name a file (rank battles.ndjson)"
			}
		}
	}
	return exitcode.WithHint(exitcode.BadInput, errors.New(what), hint)
}

// nothing says what an input without battles holds.
func nothing(in input) string {
	if in.bytes == 0 {
		return "is empty"
	}
	return fmt.Sprintf("holds no battle (%d bytes: blank lines or an empty array)", in.bytes)
}

func pick(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}

func or(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// checkFiles checks that the named inputs can be opened, for
// --check-settings.
func checkFiles(names []string) error {
	for _, name := range names {
		if name == "-" {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return exitcode.New(exitcode.Usage, fmt.Errorf("cannot read %s: %w", name, errors.Unwrap(err)))
		}
		f.Close()
	}
	return nil
}

// begin takes note of an input's header (nil when it has none) before its
// first battle.
func begin(sc *screen, agg *ranking.Aggregator, label string, h *battle.Header) error {
	h, err := sc.input(label, h)
	if err != nil {
		return err
	}
	if h != nil {
		agg.Header(h)
	}
	return nil
}

func newScreenFromFlags(c *cli.Context, log *clix.Logger) (*screen, error) {
	models, err := clix.IntInRange(c, "max-models", "MAX_MODELS", 2, 1<<20)
	if err != nil {
		return nil, err
	}
	cats, err := clix.IntInRange(c, "max-categories", "MAX_CATEGORIES", 0, 1<<20)
	if err != nil {
		return nil, err
	}
	battles := c.Int64("max-battles")
	if battles < 1 || battles > 1<<50 {
		return nil, clix.Usagef("%s must be between 1 and %d, %s", clix.FlagName("max-battles", "MAX_BATTLES"), int64(1<<50), clix.Got(c, "max-battles", "MAX_BATTLES", battles))
	}
	return newScreen(log, models, cats, battles), nil
}

// inputLabel names an input in messages: its file name, or stdin for "-".
func inputLabel(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// warnIllPosed says on stderr which leaderboards had no maximum likelihood
// and why, naming the listed models as the record does, and the models the
// listing leaves out as not listed.
func warnIllPosed(log *clix.Logger, r leaderboard.Record) {
	if r.Status != leaderboard.Ranked || r.Fit == nil || r.Fit.WellPosed || r.Variant != "" {
		return // said once per leaderboard, by its plain record
	}
	var why []string
	if len(r.Fit.Undefeated) > 0 {
		why = append(why, "undefeated: "+strings.Join(r.Fit.Undefeated, ", "))
	}
	if len(r.Fit.Winless) > 0 {
		why = append(why, "winless: "+strings.Join(r.Fit.Winless, ", "))
	}
	if len(r.Fit.Components) > 1 {
		why = append(why, fmt.Sprintf("the comparisons form %d separate groups", len(r.Fit.Components)))
	}
	// The record names listed models only; the models the listing leaves
	// out that the fit flagged are said here, as not listed.
	for _, reason := range []string{leaderboard.DroppedVotes, leaderboard.DroppedScore} {
		var names []string
		for _, d := range r.Dropped {
			if d.Reason == reason && len(d.Flags) > 0 {
				names = append(names, d.Model+" "+strings.Join(d.Flags, " and "))
			}
		}
		if len(names) == 0 {
			continue
		}
		because := fmt.Sprintf("fewer votes than --min-votes %d", r.Params.MinVotes)
		if reason == leaderboard.DroppedScore {
			because = "no finite score"
		}
		why = append(why, fmt.Sprintf("not listed (%s): %s", because, strings.Join(names, ", ")))
	}
	if len(why) == 0 {
		why = append(why, "a group of models never lost to the rest")
	}
	log.Warnf("%s: no maximum-likelihood scores exist (%s); scores use %g virtual tie per model against a 1000 phantom",
		r.Leaderboard, strings.Join(why, "; "), r.Fit.Prior)
}

// inFilter refuses a battle that the stream's header says it does not
// hold: in a stream of one leaderboard's battles (filter.leaderboard)
// every battle lists that leaderboard among its categories, as
// battles-export writes them. Such a line would otherwise be counted in
// the trailer and silently in no leaderboard: the stream is inconsistent.
func inFilter(h *battle.Header, b *battle.Battle, label string, line int) error {
	if h == nil || h.Filter.Leaderboard == "" || h.Filter.Leaderboard == battle.Overall {
		return nil
	}
	for _, c := range b.Categories {
		if string(c) == h.Filter.Leaderboard {
			return nil
		}
	}
	return exitcode.New(exitcode.BadInput, &battle.Error{Name: label, Line: line,
		Msg: fmt.Sprintf("a battle without the category %q in a stream of that leaderboard's battles (its header's filter.leaderboard)", h.Filter.Leaderboard)})
}
