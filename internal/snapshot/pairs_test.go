package snapshot

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// withHeadToHead is the fixture's overall record with hand-made
// head-to-head counts: 1234 battles among its 5 models (votes 600, 580,
// 500, 480, 308), one pair (2, 4) never met.
func withHeadToHead(t *testing.T) *leaderboard.Record {
	rec := *fixtureRecords(t)[0]
	rec.HeadToHead = []leaderboard.Meeting{
		{0, 1, 80, 60, 14},  // 154
		{0, 2, 110, 60, 26}, // 196
		{0, 3, 90, 60, 0},   // 150
		{0, 4, 85, 10, 5},   // 100
		{1, 2, 100, 90, 14}, // 204
		{1, 3, 70, 40, 12},  // 122
		{1, 4, 70, 25, 5},   // 100
		{2, 3, 60, 35, 5},   // 100
		{3, 4, 80, 20, 8},   // 108
	}
	if err := leaderboard.Validate(&rec); err != nil {
		t.Fatalf("hand-made head_to_head: %v", err)
	}
	return &rec
}

func TestPairsDocument(t *testing.T) {
	rec := withHeadToHead(t)
	d := Build(rec, Meta{Identifier: Identifier(fixedTime), PublishedAt: fixedTime, Models: fixtureModels})
	p := BuildPairs(rec, d)
	b, err := MarshalPairs(p)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "overall-pairs.json", b)
	var back Pairs
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("the document does not read back: %v", err)
	}
	if !back.Observed || len(back.Pairs) != 10 || len(back.Models) != 5 || back.Models[0] != "gpt-4o" {
		t.Fatalf("document %+v", back)
	}
	var total int64
	battles := map[string]int64{}
	for _, pair := range back.Pairs {
		if pair.Battles != pair.WinsA+pair.WinsB+pair.Ties {
			t.Errorf("%s-%s: %d battles but %d+%d+%d", pair.ModelA, pair.ModelB, pair.Battles, pair.WinsA, pair.WinsB, pair.Ties)
		}
		total += pair.Battles
		battles[pair.ModelA] += pair.Battles
		battles[pair.ModelB] += pair.Battles
		var sa, sb float64
		for _, e := range rec.Entries {
			if e.Model == pair.ModelA {
				sa = e.Score
			}
			if e.Model == pair.ModelB {
				sb = e.Score
			}
		}
		want := 1 / (1 + math.Pow(10, (sb-sa)/400))
		if math.Abs(pair.PredictedA-want) > 5e-7 {
			t.Errorf("%s-%s: predicted %v, closed form %v", pair.ModelA, pair.ModelB, pair.PredictedA, want)
		}
	}
	if total != rec.Battles {
		t.Errorf("the pairs hold %d battles, the board %d", total, rec.Battles)
	}
	for _, e := range rec.Entries {
		if battles[e.Model] != e.Votes {
			t.Errorf("%s: %d battles in its pairs, %d votes", e.Model, battles[e.Model], e.Votes)
		}
	}

	// Without head-to-head counts: every pair still, predicted only.
	bare := *rec
	bare.HeadToHead = nil
	p = BuildPairs(&bare, d)
	if p.Observed || len(p.Pairs) != 10 || p.Pairs[0].Battles != 0 || p.Pairs[0].PredictedA == 0 {
		t.Errorf("without head_to_head: %+v", p)
	}
}

// The heatmaps write what they show: the observed win rate and battles of
// every pair that met, the predicted probability of every pair, in both
// directions, and stay valid XML whatever the names.
func TestHeatmaps(t *testing.T) {
	rec := withHeadToHead(t)
	hostileRec, models := hostile(t)
	hostileRec.HeadToHead = rec.HeadToHead
	for _, tc := range []struct {
		name   string
		rec    *leaderboard.Record
		models map[string]Model
	}{{"fixture", rec, fixtureModels}, {"hostile names", hostileRec, models}} {
		d := Build(tc.rec, Meta{Identifier: Identifier(fixedTime), PublishedAt: fixedTime, Models: tc.models})
		p := BuildPairs(tc.rec, d)
		for _, kind := range []string{HeatmapObserved, HeatmapPredicted} {
			svg, err := Heatmap(d, p, kind)
			if err != nil {
				t.Fatal(err)
			}
			width, texts := parseSVG(t, svg)
			var all []string
			for _, tx := range texts {
				all = append(all, tx.text)
				if CleanText(tx.text) != tx.text || tx.x < 0 || tx.x > width {
					t.Errorf("%s %s: text %q at x=%.1f (width %.0f)", tc.name, kind, tx.text, tx.x, width)
				}
			}
			got := "\n" + strings.Join(all, "\n") + "\n"
			for _, pair := range p.Pairs {
				switch kind {
				case HeatmapObserved:
					if pair.Battles == 0 {
						continue
					}
					r := (float64(pair.WinsA) + float64(pair.Ties)/2) / float64(pair.Battles)
					for _, want := range []string{pct(r), pct(1 - r), fmt.Sprint(pair.Battles)} {
						if !strings.Contains(got, "\n"+want+"\n") {
							t.Errorf("%s %s: %s-%s: no cell says %s", tc.name, kind, pair.ModelA, pair.ModelB, want)
						}
					}
				case HeatmapPredicted:
					for _, want := range []string{pct(pair.PredictedA), pct(1 - pair.PredictedA)} {
						if !strings.Contains(got, "\n"+want+"\n") {
							t.Errorf("%s %s: %s-%s: no cell says %s", tc.name, kind, pair.ModelA, pair.ModelB, want)
						}
					}
				}
			}
			if !strings.Contains(got, "2025-03-14 — 1,234 battles") {
				t.Errorf("%s %s: the title lacks the date or the battles", tc.name, kind)
			}
		}
	}
	// 40 models at most, saying so.
	big := *rec
	big.HeadToHead, big.Entries = nil, nil
	for i := range 45 {
		big.Entries = append(big.Entries, leaderboard.Entry{Rank: i + 1, Model: fmt.Sprintf("m%02d", i), Score: 1200 - 5*float64(i)})
	}
	d := Build(&big, Meta{Identifier: Identifier(fixedTime), PublishedAt: fixedTime})
	svg, err := Heatmap(d, BuildPairs(&big, d), HeatmapPredicted)
	if err != nil {
		t.Fatal(err)
	}
	if _, texts := parseSVG(t, svg); !strings.Contains(fmt.Sprint(texts), "the first 40 of 45 models") || strings.Contains(fmt.Sprint(texts), "m40") {
		t.Errorf("a 45-model heatmap does not stop at 40 models, saying so")
	}
}

func pct(v float64) string { return fmt.Sprintf("%d%%", int(math.Round(100*v))) }
