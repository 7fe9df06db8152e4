package export

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// round adds a round to battle id with the two answers (nil: missing).
func (f *fixture) round(id string, n int, a, b *string) {
	f.t.Helper()
	msg := func(role string, text *string) any {
		if text == nil {
			return nil
		}
		return f.id(`INSERT INTO api.message (role, content) VALUES ($1, $2) RETURNING id::text`, role, *text)
	}
	f.exec(`INSERT INTO api.battle_round (battle_id, round_number, prompt_message_id, model1_message_id, model2_message_id)
		VALUES ($1, $2, $3, $4, $5)`, id, n, msg("user", ptr("a question **with** # markdown\n- of its own")), msg("assistant", a), msg("assistant", b))
}

func TestStyleFeatures(t *testing.T) {
	pgtest.AdminURL(t)
	f := newFixture(t, "m1", "m2", "m3")

	// Two rounds; a missing answer in the second.
	b1 := f.battle(spec{a: "m1", b: "m2", outcome: "model1", bio: yes})
	f.round(b1, 1, ptr("# Title\n\nSome **bold** text and __also__.\n\n- item\n- item\n1. first\n2. second\n"), ptr("plain answer with ünïcödé"))
	f.round(b1, 2, ptr("## Sub\n```\n# not a header\n- not a list\n**not bold**\n```\n* star item\n+ plus item\n"), nil)
	// What is not a header, a list item or bold.
	b2 := f.battle(spec{a: "m2", b: "m3", outcome: "tie", bio: yes, status: "matched", cats: []string{"genomics"}})
	f.round(b2, 1, ptr("#NoSpace\n####### seven\n###### six\n  - indented item\n10. tenth\n**unclosed bold\n**a**b** and __x__ __y\n"), ptr("Short."))
	// No rounds at all, and a battle that does not qualify.
	f.battle(spec{a: "m3", b: "m1", outcome: "model2", bio: yes})
	nq := f.battle(spec{a: "m1", b: "m3", outcome: "model2", bio: no})
	f.round(nq, 1, ptr("# x\n"), ptr("# y\n"))

	s := mustExport(t, f.url, Options{Style: true})
	want := map[key][2]battle.StyleSide{
		{"m1", "m2", battle.WinnerA, ""}:           {{Length: 156, Headers: 2, Lists: 6, Bold: 2}, {Length: 25}},
		{"m2", "m3", battle.WinnerTie, "genomics"}: {{Length: 101, Headers: 1, Lists: 2, Bold: 2}, {Length: 6}},
		{"m3", "m1", battle.WinnerB, ""}:           {},
	}
	if len(s.records) != len(want) {
		t.Fatalf("%d battle lines, want %d:\n%s", len(s.records), len(want), s.raw)
	}
	for _, r := range s.records {
		w, ok := want[keyOf(r)]
		if !ok || r.Style == nil || r.Style.A != w[0] || r.Style.B != w[1] {
			t.Errorf("battle %+v: style %+v, want %+v", keyOf(r), r.Style, w)
		}
	}
	if !strings.Contains(s.raw, `"style":{"a":{"length":156,"headers":2,"lists":6,"bold":2},"b":{"length":25,"headers":0,"lists":0,"bold":0}}`) {
		t.Errorf("line format:\n%s", s.raw)
	}

	// rank reads what the export writes.
	d := battle.NewDecoder(strings.NewReader(s.raw), "export")
	d.SetStyle(true)
	n := 0
	for d.Next() {
		if st := d.Battle().Style; st == nil || st.Unit != battle.UnitCharacters {
			t.Errorf("decoded style %+v", st)
		}
		n++
	}
	if d.Err() != nil || n != 3 {
		t.Errorf("decoded %d battles: %v", n, d.Err())
	}

	// Filters apply as without --style; the plain export has no style.
	g := mustExport(t, f.url, Options{Style: true, Leaderboard: "genomics"})
	if len(g.records) != 1 || g.records[0].Style == nil || g.records[0].Style.A.Length != 101 {
		t.Errorf("genomics with style: %+v", g.records)
	}
	if p := mustExport(t, f.url, Options{}); strings.Contains(p.raw, `"style"`) {
		t.Errorf("style without --style:\n%s", p.raw)
	}
}

func TestStyleWithAggregate(t *testing.T) {
	_, err := Run(context.Background(), nil, nil, Options{Style: true, Aggregate: true})
	if exitcode.Code(err) != exitcode.Usage || !strings.Contains(err.Error(), "--style cannot be used with --aggregate") {
		t.Errorf("error %v (status %d)", err, exitcode.Code(err))
	}
}

// --style needs SELECT on api.battle_round and api.message as well; without
// one of them it is a configuration error naming the table, and nothing is
// written.
func TestStylePrivileges(t *testing.T) {
	f := newFixture(t, "m1", "m2")
	b := f.battle(spec{a: "m1", b: "m2", outcome: "model1", bio: yes})
	f.round(b, 1, ptr("# a\n"), ptr("b"))
	role := pgtest.NewRole(t, f.url)
	f.exec("GRANT USAGE ON SCHEMA api TO " + role)
	for _, tb := range []string{"leaderboard", "model", "battle", "battle_evaluation", "battle_validation",
		"battle_categorization", "battle_categorization_category", "battle_round", "message"} {
		f.exec(fmt.Sprintf("GRANT SELECT ON api.%s TO %s", tb, role))
	}
	roleURL := pgtest.WithUser(t, f.url, role, "")
	if s := mustExport(t, roleURL, Options{Style: true}); len(s.records) != 1 || s.records[0].Style.A.Headers != 1 {
		t.Fatalf("export --style as a SELECT-only role: %+v", s.records)
	}
	for _, tb := range []string{"battle_round", "message"} {
		f.exec(fmt.Sprintf("REVOKE SELECT ON api.%s FROM %s", tb, role))
		s, err := export(t, roleURL, Options{Style: true})
		if exitcode.Code(err) != exitcode.Config || !strings.Contains(err.Error(), "table "+tb+" ") || s.raw != "" {
			t.Errorf("without SELECT on %s: error %v (status %d), output %q", tb, err, exitcode.Code(err), s.raw)
		}
		mustExport(t, roleURL, Options{}) // the plain export needs neither
		f.exec(fmt.Sprintf("GRANT SELECT ON api.%s TO %s", tb, role))
	}
}
