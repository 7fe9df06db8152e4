package battle

import (
	"bytes"
	"strings"
	"testing"
)

func TestEncoderWritesHeaderRecordsTrailer(t *testing.T) {
	var out bytes.Buffer
	enc := NewEncoder(&out)
	err := enc.WriteHeader(Header{
		ExportedAt:   "2025-01-02T03:04:05Z",
		Aggregated:   true,
		Filter:       Filter{Leaderboard: "genomics"},
		Leaderboards: []LeaderboardName{{Slug: "overall", Name: "Overall"}, {Slug: "genomics", Name: "Genomics"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	records := []Record{
		{ModelA: "gpt-4o", ModelB: "biomistral-7b", Winner: WinnerA, Count: 3, Categories: []string{"genomics"}},
		{ModelA: "biomistral-7b", ModelB: "gpt-4o", Winner: WinnerTie, BattleID: "b1", CreatedAt: "2025-01-01T00:00:00Z"},
		{ModelA: `we"ird\model`, ModelB: "<b>", Winner: WinnerB},
	}
	for i := range records {
		if err := enc.WriteRecord(&records[i]); err != nil {
			t.Fatal(err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("output reached the writer before Close: %q", out.String())
	}
	tr, err := enc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if tr.Records != 3 || tr.Battles != 5 {
		t.Errorf("trailer counts %d records, %d battles; want 3, 5", tr.Records, tr.Battles)
	}
	want := `{"stream":"battles","type":"header","version":1,"exported_at":"2025-01-02T03:04:05Z","aggregated":true,"filter":{"leaderboard":"genomics"},"leaderboards":[{"slug":"overall","name":"Overall"},{"slug":"genomics","name":"Genomics"}]}
{"model_a":"gpt-4o","model_b":"biomistral-7b","winner":"model_a","count":3,"categories":["genomics"]}
{"model_a":"biomistral-7b","model_b":"gpt-4o","winner":"tie","battle_id":"b1","created_at":"2025-01-01T00:00:00Z"}
{"model_a":"we\"ird\\model","model_b":"<b>","winner":"model_b"}
{"stream":"battles","type":"trailer","records":3,"battles":5}
`
	if got := out.String(); got != want {
		t.Errorf("stream:\n%s\nwant:\n%s", got, want)
	}
}

func TestEncoderEmptyStream(t *testing.T) {
	var out bytes.Buffer
	enc := NewEncoder(&out)
	if err := enc.WriteHeader(Header{ExportedAt: "2025-01-02T03:04:05Z"}); err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"leaderboards":[]`) ||
		lines[1] != `{"stream":"battles","type":"trailer","records":0,"battles":0}` {
		t.Errorf("empty stream:\n%s", out.String())
	}
}

func TestEncoderRefusesMisuse(t *testing.T) {
	var out bytes.Buffer
	enc := NewEncoder(&out)
	if err := enc.WriteRecord(&Record{ModelA: "a", ModelB: "b", Winner: WinnerA}); err == nil {
		t.Error("record before the header: no error")
	}
	if _, err := enc.Close(); err == nil {
		t.Error("trailer without header: no error")
	}
	if err := enc.WriteHeader(Header{}); err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteHeader(Header{}); err == nil {
		t.Error("second header: no error")
	}
	if err := enc.WriteRecord(&Record{ModelA: "a", Winner: WinnerA}); err == nil {
		t.Error("record without model_b: no error")
	}
	if _, err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteRecord(&Record{ModelA: "a", ModelB: "b", Winner: WinnerA}); err == nil {
		t.Error("record after the trailer: no error")
	}
	if _, err := enc.Close(); err == nil {
		t.Error("second trailer: no error")
	}
}
