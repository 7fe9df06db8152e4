package sink

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/site"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// publishSnapshot publishes a small snapshot of slug at t the way
// snapshot-publish does: files, history, index.
func publishSnapshot(t *testing.T, s *Sink, slug string, at time.Time, top string) *snapshot.Document {
	t.Helper()
	ctx := context.Background()
	rec := &leaderboard.Record{Leaderboard: slug, Name: strings.ToUpper(slug), Status: leaderboard.Ranked, Battles: 30, Models: 2,
		Entries: []leaderboard.Entry{
			{Rank: 1, Model: top, Score: 1100, CILower: 1050, CIUpper: 1150, Votes: 30, RankBest: 1, RankWorst: 2, Tier: 1},
			{Rank: 2, Model: "other", Score: 900, CILower: 850, CIUpper: 950, Votes: 30, RankBest: 1, RankWorst: 2, Tier: 1},
		}}
	d := snapshot.Build(rec, snapshot.Meta{Identifier: snapshot.Identifier(at), PublishedAt: at})
	body, _ := snapshot.Marshal(d)
	if err := s.Publish(ctx, slug, d.Identifier, body, []byte("<svg/>")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteHistory(ctx, snapshot.HistoryEntryOf(d), at); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteIndex(ctx, []snapshot.IndexEntry{snapshot.IndexEntryOf(d)}, at); err != nil {
		t.Fatal(err)
	}
	return d
}

// exerciseSite runs the site's part of the layout contract against objs:
// each leaderboard's history, newest first, its page from what is stored,
// and the front page last, from index.json.
func exerciseSite(t *testing.T, objs Objects, read func(key string) string) {
	ctx := context.Background()
	s := New(objs)
	first := publishSnapshot(t, s, "overall", t0, "alpha")
	second := publishSnapshot(t, s, "overall", t0.Add(24*time.Hour), "<script>alert(1)</script>")
	publishSnapshot(t, s, "genomics", t0, "gamma")
	// What the publish skipped: a leaderboard with no snapshot here is
	// listed as not yet published; one that has a snapshot keeps its card.
	skipped := []site.Skipped{
		{Leaderboard: "tiny", Name: "<b>Tiny</b>", Reason: leaderboard.ReasonInsufficientBattles, Why: "12 battles < --min-battles 30"},
		{Leaderboard: "genomics", Name: "Genomics", Reason: leaderboard.ReasonInsufficientBattles, Why: "1 battles < --min-battles 30"},
	}
	if err := s.WriteSite(ctx, []string{"overall", "genomics"}, skipped); err != nil {
		t.Fatal(err)
	}
	var h snapshot.History
	if err := json.Unmarshal([]byte(read("overall/index.json")), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Snapshots) != 2 || h.Snapshots[0].Identifier != second.Identifier || h.Snapshots[1].Identifier != first.Identifier ||
		h.Snapshots[0].Pairs != "overall/"+second.Identifier+".pairs.json" {
		t.Errorf("history %+v", h.Snapshots)
	}
	page := read("overall/index.html")
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", first.Identifier + ".json", `href="../index.html"`} {
		if !strings.Contains(page, want) {
			t.Errorf("overall/index.html lacks %q", want)
		}
	}
	if strings.Contains(page, "alpha") {
		t.Errorf("the page shows an older snapshot's table")
	}
	front := read("index.html")
	for _, want := range []string{`href="overall/index.html"`, `href="genomics/index.html"`, "gamma", "&lt;script&gt;"} {
		if !strings.Contains(front, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if !strings.Contains(front, `<li data-leaderboard="tiny"><span class="name">&lt;b&gt;Tiny&lt;/b&gt;</span> — 12 battles &lt; --min-battles 30</li>`) ||
		strings.Contains(front, `<li data-leaderboard="genomics">`) {
		t.Errorf("index.html does not list the skipped leaderboard without a snapshot alone as not yet published")
	}
	if strings.Contains(front, "runs/index.html") {
		t.Errorf("index.html links job runs that are not there")
	}
	// The job's status page, once there, is linked.
	if err := objs.Put(ctx, "runs/index.html", []byte("<!DOCTYPE html>"), Meta{ContentType: TypeHTML}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteSite(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read("index.html"), `href="runs/index.html"`) {
		t.Errorf("index.html does not link the job runs")
	}
	// Publishing the same snapshot again keeps one line of it.
	if err := s.WriteHistory(ctx, snapshot.HistoryEntryOf(second), t0); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(read("overall/index.json")), &h)
	if len(h.Snapshots) != 2 {
		t.Errorf("the same snapshot twice in the history: %+v", h.Snapshots)
	}
	// A file that is not the leaderboard's history is left as it is.
	if err := objs.Put(ctx, "genomics/index.json", []byte("<html>"), Meta{ContentType: TypeJSON}); err != nil {
		t.Fatal(err)
	}
	line := snapshot.HistoryEntryOf(first)
	line.Leaderboard = "genomics"
	if err := s.WriteHistory(ctx, line, t0); exitcode.Code(err) != exitcode.BadInput || read("genomics/index.json") != "<html>" {
		t.Errorf("an unreadable history was replaced: %v", err)
	}
	// A leaderboard without latest gets no page; the others do.
	if err := s.WriteSite(ctx, []string{"neuroscience", "overall"}, nil); err == nil {
		t.Errorf("a page for a leaderboard without latest.json")
	}
	if read("neuroscience/index.html") != "" {
		t.Errorf("a page for a leaderboard without latest.json")
	}
	if s.WriteHistory(ctx, snapshot.HistoryEntry{IndexEntry: snapshot.IndexEntry{Leaderboard: "../x"}}, t0) == nil {
		t.Errorf("a history outside the root")
	}
}

func TestSiteDir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "out")
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	exerciseSite(t, d, func(key string) string {
		b, _ := os.ReadFile(filepath.Join(root, key))
		return string(b)
	})
}

func TestSiteS3(t *testing.T) {
	srv, client := s3Client(t)
	exerciseSite(t, NewS3(client, srv.Bucket, "site"), s3Reader(t, srv, "site"))
	out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("site/overall/index.html")})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if aws.ToString(out.ContentType) != TypeHTML || aws.ToString(out.CacheControl) != CacheLatest {
		t.Errorf("page: Content-Type %q, Cache-Control %q", aws.ToString(out.ContentType), aws.ToString(out.CacheControl))
	}
}
