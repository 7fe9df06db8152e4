package guard

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestPlausibleRanks(t *testing.T) {
	e := func(lo, hi float64) leaderboard.Entry { return leaderboard.Entry{CILower: lo, CIUpper: hi} }
	cases := []struct {
		entries []leaderboard.Entry
		want    [][2]int
	}{
		{nil, [][2]int{}},
		{[]leaderboard.Entry{e(0, 1)}, [][2]int{{1, 1}}},
		// Apart: each rank is certain.
		{[]leaderboard.Entry{e(20, 30), e(10, 19), e(0, 9)}, [][2]int{{1, 1}, {2, 2}, {3, 3}}},
		// The first two overlap, the third overlaps the second only;
		// touching bounds overlap.
		{[]leaderboard.Entry{e(20, 30), e(10, 25), e(0, 10), e(-50, -40)},
			[][2]int{{1, 2}, {1, 3}, {2, 3}, {4, 4}}},
		// All overlap.
		{[]leaderboard.Entry{e(0, 10), e(1, 9), e(2, 8)}, [][2]int{{1, 3}, {1, 3}, {1, 3}}},
	}
	for _, c := range cases {
		got := PlausibleRanks(c.entries)
		if !slices.Equal(got, c.want) {
			t.Errorf("PlausibleRanks(%v) = %v, want %v", c.entries, got, c.want)
		}
		// Against the definition, counted the slow way.
		for i, a := range c.entries {
			best, worst := 1, len(c.entries)
			for _, b := range c.entries {
				if b.CILower > a.CIUpper {
					best++
				}
				if b.CIUpper < a.CILower {
					worst--
				}
			}
			if got[i] != [2]int{best, worst} {
				t.Errorf("entry %d: %v, by definition [%d %d]", i, got[i], best, worst)
			}
		}
	}
}

// nextDay is a record after board(8, 10000): m3 overtook m2 beyond the
// intervals, m8 left, m9 entered, m5 and m6 swapped within theirs, m7's
// score fell beyond its interval without a rank change.
func nextDay() *leaderboard.Record {
	r := board(8, 10000)
	r.Battles = 10420
	m2, m3 := *entry(r, "m2"), *entry(r, "m3")
	m3.Score, m3.CILower, m3.CIUpper = 1185, 1178, 1192
	m2.Score, m2.CILower, m2.CIUpper = 1150, 1141, 1159
	r.Entries[1], r.Entries[2] = m3, m2
	m5, m6 := *entry(r, "m5"), *entry(r, "m6")
	m5.Score, m5.CILower, m5.CIUpper = 1062, 1052, 1072
	m6.Score, m6.CILower, m6.CIUpper = 1065, 1055, 1075
	r.Entries[4], r.Entries[5] = m6, m5
	drop(r, "m8")
	m7 := entry(r, "m7")
	m7.Score, m7.CILower, m7.CIUpper = 1005, 998, 1012
	r.Entries = append(r.Entries, leaderboard.Entry{Model: "m9", Score: 950, CILower: 930, CIUpper: 970, Votes: 40})
	for i := range r.Entries {
		r.Entries[i].Rank = i + 1
	}
	r.Models = len(r.Entries)
	return r
}

func TestCompare(t *testing.T) {
	prev := snapshotOf(board(8, 10000))
	next := nextDay()
	if err := leaderboard.Validate(next); err != nil {
		t.Fatal(err)
	}
	d := Compare(prev, next)
	if d.Previous == nil || d.Previous.Identifier != prev.Identifier || d.Previous.SnapshotID != prev.SnapshotID {
		t.Errorf("previous = %+v", d.Previous)
	}
	if d.Battles != (Count{10000, 10420}) || d.Entries != (Count{8, 8}) {
		t.Errorf("battles %v, entries %v", d.Battles, d.Entries)
	}
	names := func(ls []Listed) (out []string) {
		for _, l := range ls {
			out = append(out, l.Model)
		}
		return out
	}
	if got := names(d.Added); !slices.Equal(got, []string{"m9"}) {
		t.Errorf("added %v", got)
	}
	if got := names(d.Removed); !slices.Equal(got, []string{"m8"}) {
		t.Errorf("removed %v", got)
	}
	var moved []string
	for _, m := range d.Moved {
		moved = append(moved, m.Model)
	}
	// The intervals of board() are 20 wide and 30 apart: each rank was
	// certain, so every rank change is beyond, and so is every score
	// move over 10. m7 moved -15 without a rank change.
	if want := []string{"m3", "m2", "m6", "m5", "m7"}; !slices.Equal(moved, want) {
		t.Errorf("moved %v, want %v", moved, want)
	}
	for _, m := range d.Moved {
		switch m.Model {
		case "m7":
			if m.RankBeyond || !m.ScoreBeyond || m.HalfWidth != 10 {
				t.Errorf("m7: %+v", m)
			}
		case "m6":
			if !m.RankBeyond || !m.ScoreBeyond || m.RankRange != [2]int{6, 6} {
				t.Errorf("m6: %+v", m)
			}
		}
	}
	if d.Within != 0 {
		t.Errorf("within %d", d.Within)
	}

	// With intervals of half-width 25 before, only m3's +45 is beyond:
	// m2 (-20, rank 3 of 1..3), m5 (-18, rank 6 of 4..6), m6 (+15, rank 5
	// of 5..7) and m7 (-15) moved within.
	wide := board(8, 10000)
	for i := range wide.Entries {
		wide.Entries[i].CILower -= 15
		wide.Entries[i].CIUpper += 15
	}
	d = Compare(snapshotOf(wide), nextDay())
	moved = nil
	for _, m := range d.Moved {
		moved = append(moved, m.Model)
	}
	if !slices.Equal(moved, []string{"m3"}) || d.Within != 4 {
		t.Errorf("wide intervals: moved %v (want [m3]), within %d (want 4)", moved, d.Within)
	}

	// No previous snapshot: everything is added.
	d = Compare(nil, next)
	if d.Previous != nil || len(d.Added) != len(next.Entries) || len(d.Removed)+len(d.Moved)+d.Within != 0 {
		t.Errorf("no previous: %+v", d)
	}
	// The same board: nothing changed.
	if d = Compare(prev, board(8, 10000)); d.Changed() || d.Within != 0 {
		t.Errorf("the same board: %+v", d)
	}
}

func TestDiffJSON(t *testing.T) {
	d := Compare(snapshotOf(board(8, 10000)), nextDay())
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "diff.json", append(b, '\n'))
	// Empty lists are [] and a missing previous snapshot is null, so
	// that readers need no special case.
	b, _ = json.Marshal(Compare(nil, &leaderboard.Record{Leaderboard: "x", Status: leaderboard.Ranked}))
	for _, want := range []string{`"previous":null`, `"added":[]`, `"removed":[]`, `"moved":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	prev := snapshotOf(board(8, 10000))
	next := nextDay()
	held := board(8, 7000)
	held.Leaderboard = "genomics"
	fresh := board(4, 120)
	fresh.Leaderboard = "new-board"
	same := board(8, 10000)
	same.Leaderboard = "quiet"
	var buf bytes.Buffer
	err := WriteTable(&buf, []Report{
		{Status: "would_publish", Diff: Compare(prev, next)},
		{Status: "held", Diff: Compare(prev, held), Violations: Check(prev, held, DefaultOptions())},
		{Status: "published", Diff: Compare(nil, fresh)},
		{Status: "published", Diff: Compare(prev, same)},
		{Leaderboard: "tiny", Status: "skipped", Detail: "insufficient battles"},
		{Leaderboard: "broken", Status: "failed", Detail: "unknown model \"x\""},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "table.txt", buf.Bytes())
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing blank: %q", line)
		}
	}
}

func TestWriteTableEscapes(t *testing.T) {
	prev := snapshotOf(board(4, 100))
	next := board(4, 100)
	next.Entries[3].Model = "evil\x1b[2J\u202emodel"
	var buf bytes.Buffer
	if err := WriteTable(&buf, []Report{{Status: "published", Diff: Compare(prev, next)}}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(buf.String(), "\x1b\u202e") {
		t.Errorf("control characters reached the table:\n%q", buf.String())
	}
	if !strings.Contains(buf.String(), `evil\x1b[2J\u202emodel`) {
		t.Errorf("the name is not shown escaped:\n%s", buf.String())
	}
}
