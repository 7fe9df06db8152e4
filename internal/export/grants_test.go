package export

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// TestExporterGrants: the column grants of docs/grants.sql, and nothing
// more, are enough for every form of the export; without one of those
// columns it is a configuration error.
func TestExporterGrants(t *testing.T) {
	f := newFixture(t, "m1", "m2")
	f.battle(spec{a: "m1", b: "m2", outcome: "model1", bio: yes, status: "matched", cats: []string{"genomics"}})
	f.battle(spec{a: "m2", b: "m1", outcome: "tie", bio: yes})
	role := pgtest.NewRole(t, f.url)
	f.exec(pgtest.Grants(t, "arena_exporter", role))
	roleURL := pgtest.WithUser(t, f.url, role, "")
	s := mustExport(t, roleURL, Options{})
	if got := keys(s.records); !slices.Contains(got, key{"m1", "m2", "model_a", "genomics"}) || len(got) != 2 {
		t.Errorf("export with the documented grants: %v", got)
	}
	since := time.Now().Add(-time.Hour)
	for _, o := range []Options{
		{Aggregate: true},
		{Aggregate: true, Leaderboard: "genomics"},
		{Leaderboard: "genomics", Since: since, Until: since.Add(2 * time.Hour)},
	} {
		mustExport(t, roleURL, o)
	}
	for _, revoke := range []string{
		"REVOKE SELECT (is_biomedical) ON api.battle_validation FROM %s",
		"REVOKE SELECT (category) ON api.battle_categorization_category FROM %s",
		"REVOKE SELECT (effective_categorization_id) ON api.battle FROM %s",
	} {
		t.Run(fmt.Sprintf(revoke, "role"), func(t *testing.T) {
			f.exec(fmt.Sprintf(revoke, role))
			defer f.exec(pgtest.Grants(t, "arena_exporter", role))
			if _, err := export(t, roleURL, Options{Aggregate: true}); exitcode.Code(err) != exitcode.Config {
				t.Errorf("error %v (status %d), want a configuration error", err, exitcode.Code(err))
			}
		})
	}
}
