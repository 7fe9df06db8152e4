package guard

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// board returns a ranked record of n models m1..mn, best first, scores
// 1200, 1170, ... with intervals of half-width 10, and votes 400, 355, ...,
// 85 (min_votes 10, so models with at least 100 votes, m1..m7, are well
// voted).
func board(n int, battles int64) *leaderboard.Record {
	r := &leaderboard.Record{Leaderboard: "overall", Status: leaderboard.Ranked, Battles: battles, Models: n,
		Params: leaderboard.Params{Bootstrap: 100, MinVotes: 10, MinModels: 4}}
	for i := range n {
		s := 1200 - 30*float64(i)
		r.Entries = append(r.Entries, leaderboard.Entry{Rank: i + 1, Model: fmt.Sprintf("m%d", i+1),
			Score: s, CILower: s - 10, CIUpper: s + 10, Votes: int64(400 - 45*i)})
	}
	return r
}

// snapshotOf is the published snapshot of r.
func snapshotOf(r *leaderboard.Record) *Snapshot {
	return &Snapshot{SnapshotID: "00000000-0000-0000-0000-000000000001", Identifier: "snapshot_2026-11-28_10-00-00",
		PublishedAt: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), Battles: r.Battles,
		Entries: slices.Clone(r.Entries)}
}

// drop removes the named model and renumbers the ranks.
func drop(r *leaderboard.Record, model string) {
	r.Entries = slices.DeleteFunc(r.Entries, func(e leaderboard.Entry) bool { return e.Model == model })
	r.Models = len(r.Entries)
	for i := range r.Entries {
		r.Entries[i].Rank = i + 1
	}
}

func entry(r *leaderboard.Record, model string) *leaderboard.Entry {
	for i := range r.Entries {
		if r.Entries[i].Model == model {
			return &r.Entries[i]
		}
	}
	panic("no model " + model)
}

func rules(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		s := v.Rule
		if v.Model != "" {
			s += ":" + v.Model
		}
		out = append(out, s)
	}
	return out
}

func TestCheck(t *testing.T) {
	const n = 8
	prev := snapshotOf(board(n, 10000))
	cases := []struct {
		name string
		edit func(r *leaderboard.Record)
		opts func(o *Options)
		want []string
	}{
		{name: "the same board", edit: func(r *leaderboard.Record) {}},
		{name: "a normal next day", edit: func(r *leaderboard.Record) {
			r.Battles = 10350
			for i := range r.Entries {
				e := &r.Entries[i]
				d := float64(i%3-1) * 7 // moves of up to 7 points
				e.Score, e.CILower, e.CIUpper = e.Score+d, e.CILower+d+1, e.CIUpper+d-1
				e.Votes += 20
			}
		}},
		{name: "30% fewer battles", edit: func(r *leaderboard.Record) { r.Battles = 7000 },
			want: []string{RuleFewerBattles}},
		{name: "fewer battles within the tolerance", edit: func(r *leaderboard.Record) { r.Battles = 9500 }},
		{name: "one battle under the tolerance", edit: func(r *leaderboard.Record) { r.Battles = 9499 },
			want: []string{RuleFewerBattles}},
		{name: "a tighter tolerance", edit: func(r *leaderboard.Record) { r.Battles = 9900 },
			opts: func(o *Options) { o.BattlesTolerance = 0 }, want: []string{RuleFewerBattles}},
		{name: "a well-voted model gone", edit: func(r *leaderboard.Record) { drop(r, "m2") },
			want: []string{RuleModelGone + ":m2"}},
		{name: "a model with under 10 x min_votes gone", edit: func(r *leaderboard.Record) { drop(r, "m8") }},
		{name: "the leader gone", edit: func(r *leaderboard.Record) { drop(r, "m1") },
			want: []string{RuleModelGone + ":m1", RuleLeaderChanged + ":m2"}},
		{name: "a higher min_votes", edit: func(r *leaderboard.Record) { drop(r, "m2"); r.Params.MinVotes = 40 }},
		{name: "a score jump", edit: func(r *leaderboard.Record) {
			e := entry(r, "m8")
			e.Score, e.CILower, e.CIUpper = e.Score-41, e.CILower-41, e.CIUpper-41
		}, want: []string{RuleScoreJump + ":m8"}},
		{name: "a move of exactly K half-widths", edit: func(r *leaderboard.Record) {
			e := entry(r, "m8")
			e.Score, e.CILower, e.CIUpper = e.Score-40, e.CILower-40, e.CIUpper-40
		}},
		{name: "a move within K times the wider new interval", edit: func(r *leaderboard.Record) {
			e := entry(r, "m8")
			e.Score, e.CILower, e.CIUpper = e.Score-70, e.CILower-70-10, e.CIUpper-70+10
		}},
		{name: "a smaller K", edit: func(r *leaderboard.Record) {
			e := entry(r, "m8")
			e.Score, e.CILower, e.CIUpper = e.Score+21, e.CILower+21, e.CIUpper+21
		}, opts: func(o *Options) { o.ScoreK = 2 }, want: []string{RuleScoreJump + ":m8"}},
		{name: "a new leader within the old one's interval", edit: func(r *leaderboard.Record) {
			a, b := *entry(r, "m1"), *entry(r, "m2")
			a.Score, a.CILower, a.CIUpper = 1190, 1180, 1200
			b.Score, b.CILower, b.CIUpper = 1195, 1185, 1205
			r.Entries[0], r.Entries[1] = b, a
			r.Entries[0].Rank, r.Entries[1].Rank = 1, 2
		}},
		{name: "a new leader apart from the old one", edit: func(r *leaderboard.Record) {
			a, b := *entry(r, "m1"), *entry(r, "m2")
			b.Score, b.CILower, b.CIUpper = 1215, 1211, 1219 // moved 45 > 4 x 10: also a jump
			r.Entries[0], r.Entries[1] = b, a
			r.Entries[0].Rank, r.Entries[1].Rank = 1, 2
		}, want: []string{RuleScoreJump + ":m2", RuleLeaderChanged + ":m2"}},
		{name: "entries fell by more than half", edit: func(r *leaderboard.Record) {
			for _, m := range []string{"m5", "m6", "m7", "m8", "m4"} {
				drop(r, m)
			}
		}, opts: func(o *Options) { o.GoneVotes = 1000 }, want: []string{RuleFewerEntries}},
		{name: "entries fell by half", edit: func(r *leaderboard.Record) {
			for _, m := range []string{"m5", "m6", "m7", "m8"} {
				drop(r, m)
			}
		}, opts: func(o *Options) { o.GoneVotes = 1000 }},
		{name: "every rule", edit: func(r *leaderboard.Record) {
			r.Battles = 100
			for _, m := range []string{"m1", "m4", "m5", "m6", "m7"} {
				drop(r, m)
			}
			e := entry(r, "m8")
			e.Score, e.CILower, e.CIUpper = 1500, 1490, 1510
			r.Entries = []leaderboard.Entry{r.Entries[2], r.Entries[0], r.Entries[1]}
			for i := range r.Entries {
				r.Entries[i].Rank = i + 1
			}
		}, want: []string{RuleFewerBattles, RuleModelGone + ":m1", RuleModelGone + ":m4", RuleModelGone + ":m5",
			RuleModelGone + ":m6", RuleModelGone + ":m7", RuleScoreJump + ":m8", RuleLeaderChanged + ":m8", RuleFewerEntries}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := board(n, 10000)
			c.edit(next)
			if err := leaderboard.Validate(next); err != nil {
				t.Fatalf("the crafted record is not valid: %v", err)
			}
			o := DefaultOptions()
			if c.opts != nil {
				c.opts(&o)
			}
			got := Check(prev, next, o)
			if !slices.Equal(rules(got), c.want) {
				t.Errorf("Check = %v, want %v", rules(got), c.want)
			}
			for _, v := range got {
				if v.Message == "" || (v.Model != "" && !strings.Contains(v.Message, v.Model)) {
					t.Errorf("%s: message %q does not name what broke the rule", v.Rule, v.Message)
				}
			}
		})
	}
}

func TestCheckWellVotedThreshold(t *testing.T) {
	// m7 has 130 votes: gone, it trips the rule from 10 x min_votes 13
	// (at least 130), not at 10 x 14.
	prev := snapshotOf(board(8, 1000))
	next := board(8, 1000)
	drop(next, "m7")
	next.Params.MinVotes = 13
	if got := rules(Check(prev, next, DefaultOptions())); !slices.Equal(got, []string{RuleModelGone + ":m7"}) {
		t.Errorf("votes 130 >= 130: Check = %v", got)
	}
	next.Params.MinVotes = 14
	if got := Check(prev, next, DefaultOptions()); got != nil {
		t.Errorf("votes 130 < 140: Check = %v", rules(got))
	}
	// min_votes 0 counts as 1: every listed model with 10 votes or more.
	next.Params.MinVotes = 0
	prev.Entries[6].Votes = 9
	if got := Check(prev, next, DefaultOptions()); got != nil {
		t.Errorf("votes 9 < 10 x 1: Check = %v", rules(got))
	}
	prev.Entries[6].Votes = 10
	if got := rules(Check(prev, next, DefaultOptions())); !slices.Equal(got, []string{RuleModelGone + ":m7"}) {
		t.Errorf("votes 10 >= 10 x 1: Check = %v", got)
	}
	o := DefaultOptions()
	o.GoneVotes = 1
	if got := rules(Check(prev, next, o)); !slices.Equal(got, []string{RuleModelGone + ":m7"}) {
		t.Errorf("--guard-gone-votes 1: Check = %v", got)
	}
}

func TestCheckNothingToCompare(t *testing.T) {
	next := board(5, 10)
	if got := Check(nil, next, DefaultOptions()); got != nil {
		t.Errorf("no previous snapshot: %v", got)
	}
	// An unknown battle count (a snapshot whose description says none)
	// skips fewer_battles only.
	prev := snapshotOf(board(5, 1000))
	prev.Battles = -1
	if got := Check(prev, next, DefaultOptions()); got != nil {
		t.Errorf("unknown battles: %v", rules(got))
	}
	prev.Battles = 1000
	if got := rules(Check(prev, next, DefaultOptions())); !slices.Equal(got, []string{RuleFewerBattles}) {
		t.Errorf("known battles: %v", got)
	}
	skipped := &leaderboard.Record{Leaderboard: "overall", Status: leaderboard.Skipped, Reason: leaderboard.ReasonInsufficientBattles}
	if got := Check(prev, skipped, DefaultOptions()); got != nil {
		t.Errorf("skipped record: %v", rules(got))
	}
}

// A board never breaks a rule against its own snapshot, and a violation
// carries the numbers it compared.
func TestCheckProperties(t *testing.T) {
	for n := 1; n <= 30; n += 7 {
		r := board(n, int64(100*n))
		if got := Check(snapshotOf(r), r, DefaultOptions()); got != nil {
			t.Errorf("n=%d: a board against itself breaks %v", n, rules(got))
		}
	}
	// The violation's numbers say what was compared.
	prev := snapshotOf(board(6, 1000))
	next := board(6, 700)
	v := Check(prev, next, DefaultOptions())
	if len(v) != 1 || v[0].Before != 1000 || v[0].After != 700 || v[0].Limit != 950 {
		t.Errorf("fewer_battles numbers: %+v", v)
	}
	if !strings.Contains(v[0].Message, "30%") || !strings.Contains(v[0].Message, "5%") {
		t.Errorf("message %q does not give the drop and the tolerance", v[0].Message)
	}
}

func TestRuleNames(t *testing.T) {
	vs := []Violation{{Rule: RuleScoreJump, Model: "a"}, {Rule: RuleFewerBattles}, {Rule: RuleScoreJump, Model: "b"}}
	if got := RuleNames(vs); !slices.Equal(got, []string{RuleFewerBattles, RuleScoreJump}) {
		t.Errorf("RuleNames = %v", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, edit := range []func(*Options){
		func(o *Options) { o.BattlesTolerance = -0.1 },
		func(o *Options) { o.BattlesTolerance = 1.5 },
		func(o *Options) { o.EntriesDrop = 2 },
		func(o *Options) { o.ScoreK = 0 },
		func(o *Options) { o.GoneVotes = -1 },
		func(o *Options) { o.ScoreK = math.Inf(1) },
	} {
		o := DefaultOptions()
		edit(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// The numbers the guard and the diff write are rounded to 6 decimals, as
// the documents' scores are: 16788 battles less 5% is a limit of 15948.6,
// not 15948.599999999999; an interval of 1190.1 to 1210.3 is a half-width
// of 10.1.
func TestWrittenNumbersAreRounded(t *testing.T) {
	prev := board(12, 16788)
	e := entry(prev, "m2")
	e.CILower, e.CIUpper = 1190.1, 1210.3
	next := board(12, 15000)
	entry(next, "m2").Score = 1170 + 20.1 + 0.2 // 1190.3000000000002, beyond its interval
	next.Entries = append(next.Entries, leaderboard.Entry{Rank: 13, Model: "new", Score: 0.1 + 0.2, CILower: 0.1 + 0.2 - 0.3, CIUpper: 1.1 + 2.2, Votes: 10})
	vs := Check(snapshotOf(prev), next, DefaultOptions())
	d := Compare(snapshotOf(prev), next)
	b, err := json.Marshal(struct {
		V []Violation
		D *Diff
	}{vs, d})
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if !strings.Contains(out, `"limit":15948.6}`) {
		t.Errorf("no limit 15948.6: %s", out)
	}
	if m := regexp.MustCompile(`\d\.\d{7,}|e-\d`).FindString(out); m != "" {
		t.Errorf("a number with more than 6 decimals (%s): %s", m, out)
	}
	for _, want := range []string{`"score":0.3,`, `"ci_upper":3.3,`, `"ci_lower":0,`, `"score_after":1190.3,`, `"half_width":10.1,`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s: %s", want, out)
		}
	}
}
