package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// STYLE_CONTROL=true: the job exports every battle with its features and
// publishes each style-controlled leaderboard that the operator opted in
// to (overall-style) beside the plain ones; the others are skipped with
// their reason.
func TestJobStyleControl(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	// The demo's battles have one round each, with answers whose style
	// depends on the model (testdata/demo.sql).
	pgtest.Exec(t, dbURL, `INSERT INTO api.leaderboard (slug, name) VALUES ('overall-style', 'Overall (style control)');`)
	dir := t.TempDir()
	r := runJob(t, "dash", map[string]string{
		"DATABASE_URL":   dbURL,
		"SNAPSHOT_DIR":   dir,
		"NUM_BOOTSTRAP":  "20",
		"STYLE_CONTROL":  "true",
		"CORRELATION_ID": "e2e-style",
	})
	if r.code != 0 {
		t.Fatalf("job failed\n%s", r)
	}
	got := outcomes(t, onlyEvent(t, r, "complete"))
	if got["overall"]["status"] != "published" || got["overall-style"]["status"] != "published" {
		t.Errorf("overall: %v, overall-style: %v", got["overall"], got["overall-style"])
	}
	if o := got["genomics-style"]; o["status"] != "skipped" || (o["reason"] != "no_style_leaderboard" && o["reason"] != "insufficient_battles") {
		t.Errorf("genomics-style: %v", o)
	}
	if n := queryInt(t, dbURL, `SELECT count(*) FROM api.leaderboard_snapshot s JOIN api.leaderboard l ON l.id = s.leaderboard_id WHERE l.slug = 'overall-style'`); n != 1 {
		t.Errorf("%d overall-style snapshots, want 1", n)
	}
	b, err := os.ReadFile(filepath.Join(dir, "overall-style", "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Variant   string `json:"variant"`
		VariantOf string `json:"variant_of"`
		Style     struct {
			LengthUnit   string `json:"length_unit"`
			Coefficients []struct {
				Feature string  `json:"feature"`
				Beta    float64 `json:"beta"`
			} `json:"coefficients"`
		} `json:"style"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Variant != "style" || doc.VariantOf != "overall" || doc.Style.LengthUnit != "characters" || len(doc.Style.Coefficients) != 4 {
		t.Errorf("overall-style document: %v %+v", err, doc)
	}
	start := onlyEvent(t, r, "start")
	if start["style_control"] != "true" {
		t.Errorf("start event: %v", start)
	}

	// A bad value stops the job before it starts.
	bad := runJob(t, "dash", map[string]string{"DATABASE_URL": dbURL, "STYLE_CONTROL": "maybe", "CORRELATION_ID": "e2e-style-bad"})
	if bad.code != 2 {
		t.Errorf("STYLE_CONTROL=maybe: exit %d\n%s", bad.code, bad)
	}
	// The opt-in row is no category: LEADERBOARD_SLUG=overall-style is a
	// usage error saying how to get that variant, and nothing is exported.
	before := queryInt(t, dbURL, `SELECT count(*) FROM api.leaderboard_snapshot`)
	for _, style := range []string{"", "true"} {
		bad = runJob(t, "bash", map[string]string{"DATABASE_URL": dbURL, "SNAPSHOT_DIR": t.TempDir(),
			"LEADERBOARD_SLUG": "overall-style", "STYLE_CONTROL": style, "CORRELATION_ID": "e2e-style-slug"})
		e := onlyEvent(t, bad, "error")
		if msg, _ := e["error"].(string); bad.code != 2 || e["stage"] != "export" || !strings.Contains(msg, "LEADERBOARD_SLUG") {
			t.Errorf("LEADERBOARD_SLUG=overall-style STYLE_CONTROL=%s: exit %d, error %v", style, bad.code, e)
		}
		if hint, _ := e["stage_error"].(map[string]any)["hint"].(string); !strings.Contains(hint, "STYLE_CONTROL=true LEADERBOARD_SLUG=overall") {
			t.Errorf("the hint %q does not say how to rank the variant", hint)
		}
		if n := queryInt(t, dbURL, `SELECT count(*) FROM api.leaderboard_snapshot`); n != before {
			t.Errorf("%d snapshots, want the first run's %d", n, before)
		}
	}
}
