package snapshot

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/leaderboard/leaderboardtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var fixedTime = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

func fixtureRecords(t *testing.T) []*leaderboard.Record {
	return leaderboardtest.Ranked(t, "valid.ndjson")
}

var fixtureModels = map[string]Model{
	"gpt-4o":            {Name: "GPT-4o", Organization: "OpenAI", License: "proprietary", Link: "https://openai.com/gpt-4o"},
	"claude-3-5-sonnet": {Name: "Claude 3.5 Sonnet", Organization: "Anthropic", License: "proprietary", Link: "https://anthropic.com/claude"},
	"llama-3-70b":       {Name: "Llama 3 70B", Organization: "Meta", License: "open-source", Link: "https://llama.meta.com"},
	"mistral-large":     {Name: "Mistral Large", Organization: "Mistral AI", License: "proprietary", Link: "https://mistral.ai"},
	"biogpt":            {Name: `BioGPT <&> "large"`, License: "open-source", Link: "https://example.org/biogpt"},
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
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

func TestIdentifier(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	if got := Identifier(time.Date(2025, 1, 2, 0, 4, 5, 999, loc)); got != "snapshot_2025-01-01_23-04-05" {
		t.Errorf("Identifier = %q", got)
	}
}

func TestDocumentGolden(t *testing.T) {
	recs := fixtureRecords(t)
	for _, tc := range []struct {
		file string
		rec  *leaderboard.Record
		meta Meta
	}{
		{"overall-db.json", recs[0], Meta{Identifier: Identifier(fixedTime), SnapshotID: "3f1c2a8e-1111-4b2c-9d3e-0123456789ab",
			PublishedAt: fixedTime, Name: "Overall", Models: fixtureModels}},
		{"overall-nodb.json", recs[0], Meta{Identifier: Identifier(fixedTime), PublishedAt: fixedTime}},
		{"genomics-db.json", recs[1], Meta{Identifier: Identifier(fixedTime) + "_2", SnapshotID: "5b7d0f3e-2222-4c3d-8e4f-0123456789ab",
			PublishedAt: fixedTime, Name: "Genomics", Models: fixtureModels}},
		{"overall-ranks.json", withRanks(t), Meta{Identifier: Identifier(fixedTime), PublishedAt: fixedTime, Models: fixtureModels}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := Marshal(Build(tc.rec, tc.meta))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b)
		})
	}
}

func TestRound6(t *testing.T) {
	for in, want := range map[float64]float64{
		1123.4567891: 1123.456789, -0.0000001: 0, 9999.9999994: 9999.999999, -3000: -3000, 0.0000005: 0.000001,
	} {
		if got := Round6(in); got != want {
			t.Errorf("Round6(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestMergeIndex(t *testing.T) {
	recs := fixtureRecords(t)
	a := IndexEntryOf(Build(recs[0], Meta{Identifier: "snapshot_2025-01-01_00-00-00", PublishedAt: fixedTime}))
	b := IndexEntryOf(Build(recs[1], Meta{Identifier: "snapshot_2025-01-01_00-00-00", PublishedAt: fixedTime}))
	first, err := MergeIndex(nil, []IndexEntry{b, a}, fixedTime)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "index.json", first)

	a2 := a
	a2.Identifier = "snapshot_2025-01-02_00-00-00"
	second, err := MergeIndex(first, []IndexEntry{a2}, fixedTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var idx Index
	if err := json.Unmarshal(second, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Leaderboards) != 2 || idx.Leaderboards[0].Leaderboard != "genomics" ||
		idx.Leaderboards[1].Identifier != "snapshot_2025-01-02_00-00-00" || idx.Leaderboards[0] != b {
		t.Errorf("merged index lost or misplaced a line: %+v", idx.Leaderboards)
	}
	if _, err := MergeIndex([]byte("<html>"), []IndexEntry{a}, fixedTime); err == nil {
		t.Errorf("an unreadable stored index was accepted")
	}

	// A line of an older snapshot (a backfill) leaves the newer one.
	old := a
	old.Identifier, old.PublishedAt = "snapshot_2024-12-01_00-00-00", "2024-12-01T00:00:00Z"
	third, err := MergeIndex(second, []IndexEntry{old}, fixedTime.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	idx = Index{}
	if err := json.Unmarshal(third, &idx); err != nil {
		t.Fatal(err)
	}
	if idx.Leaderboards[1].Identifier != "snapshot_2025-01-02_00-00-00" {
		t.Errorf("an older snapshot replaced the index line: %+v", idx.Leaderboards[1])
	}
}

func TestStampBefore(t *testing.T) {
	st := func(at, id string) Stamp { return Stamp{PublishedAt: at, Identifier: id} }
	for _, tc := range []struct {
		a, b Stamp
		want bool
	}{
		{st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00"), st("2025-01-02T00:00:00Z", "snapshot_2025-01-02_00-00-00"), true},
		{st("2025-01-02T00:00:00Z", "snapshot_2025-01-02_00-00-00"), st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00"), false},
		{st("2025-01-01T01:00:00+01:00", "x"), st("2025-01-01T00:00:00Z", "y"), false}, // the same instant
		{st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00"), st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00_2"), true},
		{st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00_9"), st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00_10"), true},
		{st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00_10"), st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00_9"), false},
		{st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00"), st("2025-01-01T00:00:00Z", "snapshot_2025-01-01_00-00-00"), false},
		{st("garbage", "x"), st("2025-01-01T00:00:00Z", "y"), true},
		{st("2025-01-01T00:00:00Z", "y"), st("garbage", "x"), false},
	} {
		if got := tc.a.Before(tc.b); got != tc.want {
			t.Errorf("%+v before %+v: %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// withRanks is the fixture's overall record as rank now writes it: with
// its confidence, rank ranges, tiers and head-to-head counts.
func withRanks(t *testing.T) *leaderboard.Record {
	rec := withHeadToHead(t)
	rec.Params.Confidence = 0.9
	rec.Entries = append([]leaderboard.Entry(nil), rec.Entries...)
	for i, r := range [][3]int{{1, 1, 1}, {2, 3, 2}, {2, 4, 2}, {3, 4, 3}, {5, 5, 4}} {
		rec.Entries[i].RankBest, rec.Entries[i].RankWorst, rec.Entries[i].Tier = r[0], r[1], r[2]
	}
	if err := leaderboard.Validate(rec); err != nil {
		t.Fatal(err)
	}
	return rec
}
