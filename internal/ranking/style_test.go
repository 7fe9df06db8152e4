package ranking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/style/styletest"
)

func rankStyled(t *testing.T, in []byte, only string, o Options) []leaderboard.Record {
	t.Helper()
	agg := NewAggregator(only)
	d := battle.NewDecoder(bytes.NewReader(in), "test")
	d.SetStyle(true)
	for d.Next() {
		agg.Add(d.Battle())
		if err := agg.AddStyle(d.Battle()); err != nil {
			t.Fatal(d.Errorf("%v", err))
		}
	}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	o.StyleControl = true
	return agg.Records(o)
}

func styleInput(t *testing.T, o styletest.Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := styletest.Write(&buf, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStyleRecords(t *testing.T) {
	// No ties: ties count half a win each, which the model does not generate,
	// and they would shrink the effects.
	so := styletest.Options{Battles: 6000, Models: 8, Categories: 2, Beta: [4]float64{1.5}, Seed: 5}
	in := styleInput(t, so)
	o := testOptions
	o.MinModels = 4
	recs := rankStyled(t, in, "", o)
	if len(recs) != 6 {
		t.Fatalf("%d records, want overall and 2 categories, each plain then style-controlled", len(recs))
	}
	truth := styletest.Ratings(so)
	for i := 0; i < len(recs); i += 2 {
		plain, styled := recs[i], recs[i+1]
		if plain.Variant != "" || styled.Variant != leaderboard.VariantStyle || styled.Leaderboard != plain.Leaderboard {
			t.Fatalf("records %d, %d: %q/%q then %q/%q", i, i+1, plain.Leaderboard, plain.Variant, styled.Leaderboard, styled.Variant)
		}
		if styled.Battles != plain.Battles || styled.Models != plain.Models {
			t.Errorf("%s: style-controlled board has %d battles and %d models, plain %d and %d",
				plain.Leaderboard, styled.Battles, styled.Models, plain.Battles, plain.Models)
		}
		if err := leaderboard.Validate(&styled); err != nil {
			t.Errorf("%s: %v", plain.Leaderboard, err)
		}
		st := styled.Style
		if st == nil || st.Intervals != leaderboard.IntervalsSandwich || st.LengthUnit != battle.UnitCharacters || len(st.Coefficients) != 4 {
			t.Fatalf("%s: style %+v", plain.Leaderboard, st)
		}
		length := st.Coefficients[0]
		// The record's beta is per standard deviation of d: beta/sd
		// estimates the raw effect, within 3.5 standard errors (the
		// 95% interval's half-width is 1.96 of them; the coverage itself
		// is tested in internal/style).
		se := (length.CIUpper - length.CILower) / 2 / 1.96 / length.SD
		if raw := length.Beta / length.SD; math.Abs(raw-so.Beta[0]) > 3.5*se {
			t.Errorf("%s: length effect %g ± %g (raw scale), truth %g", plain.Leaderboard, raw, se, so.Beta[0])
		}
		if styled.Fit.MaxGradient > 1e-8 {
			t.Errorf("%s: max gradient %g", plain.Leaderboard, styled.Fit.MaxGradient)
		}
		if plain.Leaderboard == battle.Overall {
			var ep, es float64
			score := map[string]float64{}
			for _, e := range plain.Entries {
				score[e.Model] = e.Score
			}
			for _, e := range styled.Entries {
				var m int
				if _, err := fmtSscan(e.Model, &m); err != nil {
					t.Fatal(err)
				}
				want := 400*truth[m] + 1000
				ep += math.Pow(score[e.Model]-want, 2)
				es += math.Pow(e.Score-want, 2)
			}
			t.Logf("overall: root mean square error, plain %.1f, style-controlled %.1f points", math.Sqrt(ep/8), math.Sqrt(es/8))
			if es >= ep {
				t.Errorf("style-controlled scores are not closer to the truth than plain ones")
			}
		}
	}

	// Any order of the lines gives the same records.
	lines := strings.SplitAfter(string(in), "\n")
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	again := rankStyled(t, []byte(strings.Join(lines, "")), "", o)
	a, _ := json.Marshal(recs)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Error("shuffled battles give other records")
	}

	// One chosen category: the same style-controlled board as among all.
	one := rankStyled(t, in, "cat-01", o)
	if len(one) != 2 || one[1].Leaderboard != "cat-01" || one[1].Variant != leaderboard.VariantStyle {
		t.Fatalf("one leaderboard: %+v", one)
	}
	if one[1].Battles != recs[5].Battles || one[1].Provenance.InputDigest != recs[5].Provenance.InputDigest {
		t.Errorf("cat-01 alone: %d battles, digest %s; among all: %d, %s", one[1].Battles, one[1].Provenance.InputDigest, recs[5].Battles, recs[5].Provenance.InputDigest)
	}
}

func TestStyleBootstrapThreads(t *testing.T) {
	in := styleInput(t, styletest.Options{Battles: 3000, Models: 6, Beta: [4]float64{1}, Ties: 0.1, Seed: 8})
	o := testOptions
	o.MinModels, o.Bootstrap, o.StyleCI = 4, 30, leaderboard.IntervalsBootstrap
	o.Threads = 1
	one := rankStyled(t, in, "", o)
	o.Threads = 3
	three := rankStyled(t, in, "", o)
	a, _ := json.Marshal(one)
	b, _ := json.Marshal(three)
	if !bytes.Equal(a, b) {
		t.Error("bootstrap records differ between 1 and 3 threads")
	}
	if one[1].Style.Intervals != leaderboard.IntervalsBootstrap || one[1].Params.Bootstrap != 30 {
		t.Errorf("style %+v, params %+v", one[1].Style, one[1].Params)
	}
}

func TestAddStyleErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"model_a":"a","model_b":"b","winner":"tie"}`, `test:1: no style features`},
		{`{"model_a":"a","model_b":"b","winner":"tie","style":{"a":{"length":1,"headers":0,"lists":0,"bold":0},"b":{"length":1,"headers":0,"lists":0,"bold":0}}}
{"model_a":"a","model_b":"b","winner":"tie","conv_metadata":{"sum_assistant_a_tokens":3,"header_count_a":{},"list_count_a":{},"bold_count_a":{},"sum_assistant_b_tokens":3,"header_count_b":{},"list_count_b":{},"bold_count_b":{}}}`,
			`test:2: style length in tokens, where the battles before counted characters`},
	} {
		agg := NewAggregator("")
		d := battle.NewDecoder(strings.NewReader(c.in), "test")
		d.SetStyle(true)
		var err error
		for err == nil && d.Next() {
			agg.Add(d.Battle())
			if e := agg.AddStyle(d.Battle()); e != nil {
				err = d.Errorf("%v", e)
			}
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("error %v, want %s", err, c.want)
		}
	}
}

// fmtSscan reads the number of a styletest model slug.
func fmtSscan(slug string, m *int) (int, error) {
	return fmt.Sscanf(slug, "model-%d", m)
}

// A header's leaderboard SLUG-style, where SLUG is another of its
// leaderboards, is the opt-in row of SLUG's style-controlled variant: no
// board of its own, with or without style control.
func TestStyleBoardOfHeader(t *testing.T) {
	h := &battle.Header{Leaderboards: []battle.LeaderboardName{
		{Slug: "overall", Name: "Overall"}, {Slug: "overall-style", Name: "Overall, style control"},
		{Slug: "genomics", Name: "Genomics"}, {Slug: "genomics-style", Name: "Genomics, style control"},
		{Slug: "free-style", Name: "A category of its own"},
	}}
	agg := NewAggregator("")
	agg.Header(h)
	if got := strings.Join(agg.Leaderboards(), " "); got != "overall free-style genomics" {
		t.Errorf("leaderboards %s", got)
	}
}

// Above denseModels the pairs are counted in a map: the same places.
func TestPairIndex(t *testing.T) {
	pairs := [][2]int32{{3, 7}, {0, 5}, {3, 7}, {0, 1}, {2, 3}, {0, 5}, {3, 7}}
	place := func(models int) []int {
		p := newPairIndex(models)
		for _, q := range pairs {
			*p.at(q[0], q[1])++
		}
		p.offsets()
		var out []int
		for _, q := range pairs {
			at := p.at(q[0], q[1])
			out = append(out, *at)
			*at++
		}
		return out
	}
	dense, sparse := place(8), place(denseModels+1)
	want := []int{4, 1, 5, 0, 3, 2, 6}
	if fmt.Sprint(dense) != fmt.Sprint(want) || fmt.Sprint(sparse) != fmt.Sprint(want) {
		t.Errorf("places dense %v, sparse %v, want %v", dense, sparse, want)
	}
}

// Stopped at any point, Records with style control returns without a
// panic on the leaderboards it did not reach.
func TestStyleStop(t *testing.T) {
	in := styleInput(t, styletest.Options{Battles: 2000, Models: 6, Categories: 3, Seed: 2})
	o := testOptions
	o.MinModels, o.StyleCI = 4, leaderboard.IntervalsBootstrap
	stop := make(chan struct{})
	close(stop)
	o.Stop = stop
	rankStyled(t, in, "", o)
}

// A board without maximum likelihood (three models never beat the
// others) whose lines each count 1e8 battles: the style-controlled fit
// converges and the board is ranked, with finite, proper intervals.
func TestStyleIllPosedLargeCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var buf bytes.Buffer
	side := func() string {
		return fmt.Sprintf(`{"length":%d,"headers":%d,"lists":%d,"bold":%d}`, 100+rng.IntN(2901), rng.IntN(6), rng.IntN(10), rng.IntN(7))
	}
	for range 3000 {
		a, b := rng.IntN(40), rng.IntN(39)
		if b >= a {
			b++
		}
		w := [...]string{"model_a", "model_b", "tie"}[rng.IntN(3)]
		switch {
		case a < 3:
			w = "model_b"
		case b < 3:
			w = "model_a"
		}
		fmt.Fprintf(&buf, `{"model_a":"m%d","model_b":"m%d","winner":%q,"count":100000000,"style":{"a":%s,"b":%s}}`+"\n", a, b, w, side(), side())
	}
	o := testOptions
	o.MinVotes, o.MinBattles, o.MinModels = 0, 0, 0
	recs := rankStyled(t, buf.Bytes(), "", o)
	if len(recs) != 2 || recs[1].Variant != leaderboard.VariantStyle {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[1]
	if r.Status != leaderboard.Ranked || r.Fit == nil || r.Fit.WellPosed || r.Fit.Iterations > 12 {
		t.Fatalf("style-controlled board: status %q (%s), fit %+v", r.Status, r.Reason, r.Fit)
	}
	for _, e := range r.Entries {
		if !(e.CILower < e.Score && e.Score < e.CIUpper) || math.IsInf(e.CIUpper-e.CILower, 0) {
			t.Errorf("%s: score %g, interval [%g, %g]", e.Model, e.Score, e.CILower, e.CIUpper)
		}
	}
	t.Logf("%d entries, %d iterations", len(r.Entries), r.Fit.Iterations)
}
