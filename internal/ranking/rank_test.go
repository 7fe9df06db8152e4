package ranking

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/synth"
)

var testOptions = Options{Bootstrap: 100, MinVotes: 10, MinBattles: 100, MinModels: 10, Seed: 7, Threads: 2}

func rankStream(t *testing.T, in []byte, only string, o Options) []leaderboard.Record {
	t.Helper()
	agg := NewAggregator(only)
	d := battle.NewDecoder(bytes.NewReader(in), "test")
	for d.Next() {
		if d.Header() != nil {
			agg.Header(d.Header())
		}
		agg.Add(d.Battle())
	}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	return agg.Records(o)
}

func gen(t *testing.T, o synth.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := synth.Write(&buf, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The same battles give the same records whether they come one per line
// or aggregated with counts, in any order, with any number of threads.
func TestInvariance(t *testing.T) {
	so := synth.Options{Battles: 20000, Models: 12, Categories: 3, Ties: 0.1, Seed: 3}
	raw := gen(t, so)
	so.Aggregate = true
	agg := gen(t, so)
	lines := strings.SplitAfter(string(raw), "\n")
	rng := rand.New(rand.NewPCG(1, 1))
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	shuffled := []byte(strings.Join(lines, ""))

	want := rankStream(t, raw, "", testOptions)
	if len(want) != 4 || want[0].Status != leaderboard.Ranked {
		t.Fatalf("want overall and 3 categories ranked, got %+v", want)
	}
	one := testOptions
	one.Threads = 1
	for name, got := range map[string][]leaderboard.Record{
		"aggregated": rankStream(t, agg, "", testOptions),
		"shuffled":   rankStream(t, shuffled, "", testOptions),
		"1 thread":   rankStream(t, raw, "", one),
	} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s input gives other records", name)
		}
	}
	other := testOptions
	other.Seed++
	if reflect.DeepEqual(rankStream(t, raw, "", other)[0].Entries, want[0].Entries) {
		t.Error("another seed gives the same intervals: the seed is not used")
	}
}

// A model's battles count in overall and in each of its categories, once
// even when a category is listed twice; a chosen leaderboard sees only its
// battles.
func TestCategoriesAndChosenLeaderboard(t *testing.T) {
	in := []byte(`{"model_a":"a","model_b":"b","winner":"model_a","categories":["x","x","y"],"count":5}
{"model_a":"b","model_b":"c","winner":"tie"}
`)
	o := testOptions
	o.MinBattles, o.MinModels, o.MinVotes = 0, 0, 0
	recs := rankStream(t, in, "", o)
	got := map[string]int64{}
	for _, r := range recs {
		got[r.Leaderboard] = r.Battles
	}
	if want := map[string]int64{"overall": 6, "x": 5, "y": 5}; !reflect.DeepEqual(got, want) {
		t.Errorf("battles per leaderboard %v, want %v", got, want)
	}
	x := rankStream(t, in, "x", o)
	if len(x) != 1 || x[0].Leaderboard != "x" || x[0].Battles != 5 || x[0].Models != 2 {
		t.Errorf("--leaderboard x: %+v", x)
	}
	none := rankStream(t, in, "genomics", o)
	if len(none) != 1 || none[0].Status != leaderboard.Skipped || none[0].Reason != leaderboard.ReasonNoEntries {
		t.Errorf("--leaderboard with no battles: %+v", none)
	}
}

// Leaderboards named in a header are reported even without battles.
func TestHeaderLeaderboardsReported(t *testing.T) {
	in := []byte(`{"stream":"battles","type":"header","version":1,"leaderboards":[{"slug":"overall","name":"Overall"},{"slug":"genomics","name":"Genomics"}]}
{"model_a":"a","model_b":"b","winner":"model_a"}
{"stream":"battles","type":"trailer","records":1,"battles":1}
`)
	recs := rankStream(t, in, "", testOptions)
	if len(recs) != 2 || recs[1].Leaderboard != "genomics" || recs[1].Name != "Genomics" ||
		recs[1].Status != leaderboard.Skipped || recs[1].Reason != leaderboard.ReasonInsufficientBattles {
		t.Fatalf("records %+v", recs)
	}
}

func TestSkipReasons(t *testing.T) {
	small := gen(t, synth.Options{Battles: 99, Models: 12, Seed: 1})
	few := gen(t, synth.Options{Battles: 5000, Models: 9, Seed: 1})
	for _, tc := range []struct {
		name   string
		in     []byte
		only   string
		reason string
	}{
		{"fewer battles than min", small, "", leaderboard.ReasonInsufficientBattles},
		{"fewer models than min", few, "", leaderboard.ReasonInsufficientModels},
	} {
		r := rankStream(t, tc.in, tc.only, testOptions)[0]
		if r.Status != leaderboard.Skipped || r.Reason != tc.reason || len(r.Entries) != 0 || r.Fit != nil {
			t.Errorf("%s: status %s reason %q entries %d", tc.name, r.Status, r.Reason, len(r.Entries))
		}
	}
	// Chosen alone, the same leaderboards are ranked: only the minimum of
	// 4 entries after filtering applies.
	for _, in := range [][]byte{small, few} {
		o := testOptions
		o.MinVotes = 1
		if r := rankStream(t, in, "overall", o)[0]; r.Status != leaderboard.Ranked || r.Params.MinModels != SingleMinModels {
			t.Errorf("single leaderboard: %s %s", r.Status, r.Reason)
		}
	}
	// After filtering: min_votes removes models until fewer than
	// min_models remain.
	o := testOptions
	o.MinVotes = 1000
	r := rankStream(t, gen(t, synth.Options{Battles: 5000, Models: 12, Seed: 1}), "", o)[0]
	if r.Status != leaderboard.Skipped || r.Reason != leaderboard.ReasonInsufficientEntries {
		t.Errorf("after filtering: %s %q (%d entries)", r.Status, r.Reason, len(r.Entries))
	}
	o.MinVotes = 1 << 30
	r = rankStream(t, gen(t, synth.Options{Battles: 5000, Models: 12, Seed: 1}), "", o)[0]
	if r.Status != leaderboard.Skipped || r.Reason != leaderboard.ReasonNoEntries {
		t.Errorf("nothing left: %s %q", r.Status, r.Reason)
	}
}

func entry(model string, score, lo, hi float64, votes int64) leaderboard.Entry {
	return leaderboard.Entry{Model: model, Score: score, CILower: lo, CIUpper: hi, Votes: votes}
}

// The filtering order of DESIGN §4 on hand-made entries.
func TestFinishRules(t *testing.T) {
	entries := func() []leaderboard.Entry {
		return []leaderboard.Entry{
			entry("e", 900, 850, 950, 50),
			entry("huge", 3000.5, 2900, 3100, 50), // dropped: above 3000
			entry("a", 1200, 1150, 3500, 50),      // upper clamped
			entry("few", 1100, 1000, 1200, 9),     // dropped: votes
			entry("zero", 0, -3500, 10, 50),       // dropped: not above 0
			entry("nan", math.NaN(), 0, 0, 50),    // dropped: not finite
			entry("b", 1000, -3200, 1050, 50),     // lower clamped
			entry("c", 1000, 990, 1010, 50),       // same score as b: by slug
			entry("edge", 3000, 2990, 3010, 50),   // kept: 3000 is allowed
		}
	}
	o := Options{MinVotes: 10}
	r := finish(leaderboard.Record{Status: leaderboard.Ranked}, entries(), o, 4)
	var got []string
	for _, e := range r.Entries {
		got = append(got, fmt.Sprintf("%d %s %g %g %g", e.Rank, e.Model, e.Score, e.CILower, e.CIUpper))
	}
	want := []string{
		"1 edge 3000 2990 3000",
		"2 a 1200 1150 3000",
		"3 b 1000 -3000 1050",
		"4 c 1000 990 1010",
		"5 e 900 850 950",
	}
	if !reflect.DeepEqual(got, want) || r.Status != leaderboard.Ranked {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r = finish(leaderboard.Record{Status: leaderboard.Ranked}, entries()[:4], o, 4)
	if r.Status != leaderboard.Skipped || r.Reason != leaderboard.ReasonInsufficientEntries {
		t.Errorf("2 of 4 left: %s %q", r.Status, r.Reason)
	}
}

// Significance ranks where intervals overlap partially: a model counts
// the models whose interval lies wholly above its own.
func TestSignificantRanks(t *testing.T) {
	entries := []leaderboard.Entry{
		entry("a", 1150, 1100, 1200, 50),
		entry("b", 1100, 1050, 1150, 50), // overlaps a: rank 1 too
		entry("c", 1000, 900, 1040, 50),  // below a and b
		entry("d", 990, 800, 1060, 50),   // below a only: wide interval
		entry("e", 700, 650, 760, 5),     // filtered by votes; ranks are not renumbered
		entry("f", 600, 500, 640, 50),    // below everyone
	}
	r := finish(leaderboard.Record{}, entries, Options{MinVotes: 10, Significant: true}, 1)
	var got []string
	for _, e := range r.Entries {
		got = append(got, fmt.Sprintf("%s:%d", e.Model, e.Rank))
	}
	if want := "a:1 b:1 d:2 c:3 f:6"; strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
}

// A model that only won and a pair of models never compared with the
// rest: detected, reported, flagged, finite.
func TestIllPosedReported(t *testing.T) {
	var b strings.Builder
	rng := rand.New(rand.NewPCG(4, 4))
	models := []string{"m1", "m2", "m3", "m4", "m5"}
	for range 400 {
		i, j := rng.IntN(5), rng.IntN(5)
		if i == j {
			continue
		}
		w := []string{"model_a", "model_b", "tie"}[rng.IntN(3)]
		fmt.Fprintf(&b, `{"model_a":%q,"model_b":%q,"winner":%q}`+"\n", models[i], models[j], w)
	}
	for range 30 { // champ only wins
		fmt.Fprintf(&b, `{"model_a":"champ","model_b":%q,"winner":"model_a"}`+"\n", models[rng.IntN(5)])
	}
	for range 30 { // an island
		fmt.Fprintf(&b, `{"model_a":"x1","model_b":"x2","winner":%q}`+"\n", []string{"model_a", "model_b"}[rng.IntN(2)])
	}
	o := testOptions
	o.MinModels, o.MinBattles = 4, 0
	r := rankStream(t, []byte(b.String()), "", o)[0]
	if r.Fit == nil || r.Fit.WellPosed || r.Fit.Prior == 0 {
		t.Fatalf("fit %+v", r.Fit)
	}
	if !reflect.DeepEqual(r.Fit.Undefeated, []string{"champ"}) || len(r.Fit.Components) != 2 ||
		!reflect.DeepEqual(r.Fit.Components[1], []string{"x1", "x2"}) {
		t.Errorf("diagnosis %+v", r.Fit)
	}
	flags := map[string]string{}
	for _, e := range r.Entries {
		flags[e.Model] = strings.Join(e.Flags, ",")
		for _, v := range []float64{e.Score, e.CILower, e.CIUpper} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s: %v", e.Model, v)
			}
		}
	}
	if flags["champ"] != "undefeated" || flags["x1"] != "separate" || flags["m1"] != "" {
		t.Errorf("flags %v", flags)
	}
	if again := rankStream(t, []byte(b.String()), "", o)[0]; !reflect.DeepEqual(again, r) {
		t.Error("not deterministic")
	}
}

// The fit's diagnosis names only the models the record lists: a flagged
// model that --min-votes leaves out is in Dropped with its flags, and a
// separate piece of such models only does not split the listing.
func TestIllPosedNamesListedModels(t *testing.T) {
	var b strings.Builder
	rng := rand.New(rand.NewPCG(5, 5))
	models := []string{"m1", "m2", "m3", "m4", "m5"}
	for range 400 {
		i, j := rng.IntN(5), rng.IntN(5)
		if i != j {
			fmt.Fprintf(&b, `{"model_a":%q,"model_b":%q,"winner":%q}`+"\n", models[i], models[j], []string{"model_a", "model_b", "tie"}[rng.IntN(3)])
		}
	}
	for range 30 { // champ only wins, and is listed
		fmt.Fprintf(&b, `{"model_a":"champ","model_b":%q,"winner":"model_a"}`+"\n", models[rng.IntN(5)])
	}
	for range 3 { // loser only loses, with 3 votes
		fmt.Fprintf(&b, `{"model_a":"loser","model_b":%q,"winner":"model_b"}`+"\n", models[rng.IntN(5)])
	}
	for _, w := range []string{"model_a", "model_b", "model_a", "tie"} { // an island of 4 votes each
		fmt.Fprintf(&b, `{"model_a":"x1","model_b":"x2","winner":%q}`+"\n", w)
	}
	o := testOptions
	o.MinModels, o.MinBattles = 4, 0
	r := rankStream(t, []byte(b.String()), "", o)[0]
	if r.Fit == nil || r.Fit.WellPosed {
		t.Fatalf("fit %+v", r.Fit)
	}
	if !reflect.DeepEqual(r.Fit.Undefeated, []string{"champ"}) || r.Fit.Winless != nil || r.Fit.Components != nil {
		t.Errorf("diagnosis %+v, want champ undefeated only", r.Fit)
	}
	dropped := map[string]string{}
	for _, d := range r.Dropped {
		dropped[d.Model] = strings.Join(d.Flags, ",")
	}
	if want := map[string]string{"loser": "winless", "x1": "separate", "x2": "separate"}; !reflect.DeepEqual(dropped, want) {
		t.Errorf("dropped with flags %v, want %v", dropped, want)
	}

	// With every model listed, the same battles name them all.
	o.MinVotes = 1
	r = rankStream(t, []byte(b.String()), "", o)[0]
	if !reflect.DeepEqual(r.Fit.Winless, []string{"loser"}) || len(r.Fit.Components) != 2 || !reflect.DeepEqual(r.Fit.Components[1], []string{"x1", "x2"}) {
		t.Errorf("all listed: diagnosis %+v", r.Fit)
	}

	// A listing split in two keeps both pieces, each with its listed
	// models only.
	fit := &leaderboard.Fit{Undefeated: []string{"a", "gone"}, Components: [][]string{{"a", "b", "gone"}, {"c", "gone2"}, {"gone3"}}}
	got := listedDiagnosis(fit, []leaderboard.Entry{{Model: "a"}, {Model: "b"}, {Model: "c"}})
	if !reflect.DeepEqual(got.Undefeated, []string{"a"}) || !reflect.DeepEqual(got.Components, [][]string{{"a", "b"}, {"c"}}) {
		t.Errorf("listed diagnosis %+v", got)
	}
	if fit.Undefeated[1] != "gone" {
		t.Error("the fit given was changed")
	}
}

// On well-posed data the scores are the maximum likelihood itself: the
// gradient vanishes, and nothing was regularised.
func TestWellPosedIsMaximumLikelihood(t *testing.T) {
	r := rankStream(t, gen(t, synth.Options{Battles: 50000, Models: 15, Ties: 0.1, Seed: 9}), "", testOptions)[0]
	if !r.Fit.WellPosed || r.Fit.Prior != 0 || r.Fit.MaxGradient > 1e-6 {
		t.Fatalf("fit %+v", r.Fit)
	}
	sum := 0.0
	for _, e := range r.Entries {
		sum += e.Score
	}
	if m := sum / float64(len(r.Entries)); math.Abs(m-1000) > 1e-4 {
		t.Errorf("mean score %v, want 1000", m)
	}
}

// Scores agree with the simulated true strengths.
func TestAgreesWithSimulatedStrengths(t *testing.T) {
	so := synth.Options{Battles: 400_000, Models: 10, Ties: 0.1, Seed: 5}
	truth := synth.Strengths(so)
	mean := 0.0
	for _, s := range truth {
		mean += s / float64(len(truth))
	}
	r := rankStream(t, gen(t, so), "", testOptions)[0]
	for _, e := range r.Entries {
		var i int
		fmt.Sscanf(e.Model, "model-%d", &i)
		want := 400*(truth[i]-mean) + 1000
		if d := math.Abs(e.Score - want); d > 4*(e.CIUpper-e.CILower)/3.92+1 {
			t.Errorf("%s: score %.1f, true %.1f", e.Model, e.Score, want)
		}
	}
}

// A panic in a goroutine of the ranking pipeline (a leaderboard's fit, its
// rounds, its record) comes back to the caller of Records, with that
// goroutine's stack, once the others have returned.
func TestPanicInPipelineReachesCaller(t *testing.T) {
	in := gen(t, synth.Options{Battles: 3000, Models: 6, Categories: 3, Seed: 8})
	o := testOptions
	o.MinModels, o.MinBattles, o.Bootstrap = 4, 10, 20
	for _, stage := range []string{"prepare", "record"} {
		t.Run(stage, func(t *testing.T) {
			o := o
			o.inject = func(s string) {
				if s == stage {
					panic("in " + s)
				}
			}
			faulttest.Panics(t, "ranking.(*Aggregator).Records", func() { rankStream(t, in, "", o) })
		})
	}
	t.Run("rounds", func(t *testing.T) {
		o := o
		o.Progress = func() { panic("in a round") }
		faulttest.Panics(t, "bootstrap.Parallel", func() { rankStream(t, in, "", o) })
	})
}

// A board without maximum likelihood whose counts are in the billions (300
// models, 2000 battle lines of 4e8 or 5e8 battles, ten models losing all
// of theirs) ends with a converged fit: its gradient within 16 units of
// the rounding of a model's largest battle total, in a number of
// iterations that does not grow with the counts (bt's tests bound it by
// 50 for counts from 1 to 1e12), and one-step rounds whose intervals hold
// every listed score.
func TestIllPosedHugeCountsConverge(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var b strings.Builder
	totals := map[int]float64{}
	for range 2000 {
		a, c := rng.IntN(300), rng.IntN(299)
		if c >= a {
			c++
		}
		w := [...]string{"model_a", "model_b", "tie"}[rng.IntN(3)]
		switch {
		case a < 10:
			w = "model_b"
		case c < 10:
			w = "model_a"
		}
		n := int64(4+rng.IntN(2)) * 100_000_000
		totals[a] += float64(n)
		totals[c] += float64(n)
		fmt.Fprintf(&b, `{"model_a":"m%d","model_b":"m%d","winner":%q,"count":%d}`+"\n", a, c, w, n)
	}
	top := 0.0
	for _, v := range totals {
		top = max(top, v)
	}
	o := Options{Bootstrap: 100, Seed: 7, Threads: 2}
	r := rankStream(t, []byte(b.String()), "", o)[0]
	if r.Fit == nil || r.Fit.WellPosed || r.Fit.Prior != 1 || r.Fit.Intervals != leaderboard.IntervalsOneStep {
		t.Fatalf("fit %+v", r.Fit)
	}
	if lim := 16 * 0x1p-52 * math.Ln10 * (top + 1); !(r.Fit.MaxGradient <= lim) || r.Fit.Iterations > 50 {
		t.Errorf("max gradient %g (limit %g), %d iterations (limit 50)", r.Fit.MaxGradient, lim, r.Fit.Iterations)
	}
	if len(r.Entries) == 0 {
		t.Fatal("no entries")
	}
	for _, e := range r.Entries {
		if !(e.CILower <= e.Score && e.Score <= e.CIUpper) || e.CIUpper-e.CILower > 1 {
			t.Errorf("%s: score %v, interval [%v, %v]", e.Model, e.Score, e.CILower, e.CIUpper)
		}
	}
}
