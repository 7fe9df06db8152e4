package pgtest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The production schema as DESIGN §2 describes it (the API's migration
// V12), in PostgreSQL's own spelling: what testdata/schema.sql must hold,
// so that plans, benchmarks and constraint failures in tests are
// production's. Where DESIGN §2 is silent (an id's default, an ON DELETE
// it does not give), the expectations are marked so and only what it says
// is checked.

// column is one column: its type as format_type writes it, NOT NULL, and
// its default ("" for none).
type column struct {
	name, typ string
	notNull   bool
	def       string
}

const (
	uuidPK    = "gen_random_uuid()"
	nowDef    = "now()"
	notNull   = true
	nullable  = false
	tstz      = "timestamp with time zone"
	anyUUIDPK = "any" // DESIGN §2 gives no default: either is production's
)

func varchar(n int) string { return fmt.Sprintf("character varying(%d)", n) }

var wantColumns = map[string][]column{
	"model": {
		{"id", "uuid", notNull, uuidPK},
		{"slug", varchar(200), notNull, ""},
		{"name", varchar(300), notNull, ""},
		{"license", varchar(20), notNull, ""},
		{"active", "boolean", notNull, "false"},
		{"alias", varchar(200), nullable, ""},
		{"external_link", varchar(300), notNull, ""},
		{"organization", varchar(200), nullable, ""},
		{"description", varchar(300), nullable, ""},
		{"api_model_name", varchar(300), notNull, ""},
		{"api_base", varchar(300), notNull, ""},
		{"created_at", tstz, notNull, nowDef},
		{"updated_at", tstz, notNull, nowDef},
	},
	"example_prompt": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"question", varchar(160), notNull, ""},
		{"source", varchar(100), notNull, ""},
		{"active", "boolean", notNull, "false"},
		{"created_at", tstz, notNull, nowDef},
		{"effective_categorization_id", "uuid", nullable, ""},
		{"created_by", "uuid", nullable, ""},
	},
	"example_prompt_categorization": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"prompt_id", "uuid", notNull, ""},
		{"method", varchar(100), notNull, ""},
		{"categorized_by", "uuid", nullable, ""},
		{"reason", varchar(1000), nullable, ""},
		{"status", varchar(20), notNull, ""},
		{"category", varchar(100), nullable, ""},
		{"created_at", tstz, notNull, nowDef},
	},
	"battle": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"title", varchar(255), nullable, ""},
		{"user_id", "uuid", notNull, ""},
		{"model1_id", "uuid", notNull, ""},
		{"model2_id", "uuid", notNull, ""},
		{"created_at", tstz, notNull, nowDef},
		{"ended_at", tstz, nullable, ""},
		{"effective_validation_id", "uuid", nullable, ""},
		{"effective_categorization_id", "uuid", nullable, ""},
		{"example_prompt_id", "uuid", nullable, ""},
	},
	"message": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"role", varchar(20), notNull, ""},
		{"content", varchar(50000), notNull, ""},
		{"created_at", tstz, notNull, nowDef},
	},
	"battle_round": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"battle_id", "uuid", notNull, ""},
		{"round_number", "integer", notNull, "1"},
		{"prompt_message_id", "uuid", notNull, ""},
		{"model1_message_id", "uuid", nullable, ""},
		{"model2_message_id", "uuid", nullable, ""},
		{"created_at", tstz, notNull, nowDef},
		{"updated_at", tstz, notNull, nowDef},
	},
	"battle_evaluation": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"battle_id", "uuid", notNull, ""},
		{"outcome", varchar(20), notNull, ""},
		{"created_at", tstz, notNull, nowDef},
	},
	"battle_validation": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"battle_id", "uuid", notNull, ""},
		{"method", varchar(100), notNull, ""},
		{"confidence", "numeric(4,3)", notNull, ""},
		{"is_biomedical", "boolean", notNull, ""},
		{"validated_by", "uuid", nullable, ""},
		{"reason", varchar(1000), nullable, ""},
		{"created_at", tstz, notNull, nowDef},
	},
	"battle_categorization": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"battle_id", "uuid", notNull, ""},
		{"method", varchar(100), notNull, ""},
		{"categorized_by", "uuid", nullable, ""},
		{"reason", varchar(1000), nullable, ""},
		{"status", varchar(20), notNull, ""},
		{"created_at", tstz, notNull, nowDef},
	},
	"battle_categorization_category": {
		{"categorization_id", "uuid", notNull, ""},
		{"category", varchar(100), notNull, ""},
	},
	"leaderboard": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"slug", varchar(100), notNull, ""},
		{"name", varchar(200), notNull, ""},
		{"description", "text", nullable, ""},
		{"created_at", tstz, notNull, nowDef},
		{"updated_at", tstz, notNull, nowDef},
	},
	"leaderboard_snapshot": {
		{"id", "uuid", notNull, uuidPK},
		{"leaderboard_id", "uuid", notNull, ""},
		{"snapshot_identifier", varchar(200), notNull, ""},
		{"description", "text", nullable, ""},
		{"visibility", varchar(20), notNull, "'private'::character varying"},
		{"created_at", tstz, notNull, nowDef},
		{"updated_at", tstz, notNull, nowDef},
	},
	"leaderboard_entry": {
		{"id", "uuid", notNull, anyUUIDPK},
		{"leaderboard_id", "uuid", notNull, ""},
		{"model_id", "uuid", notNull, ""},
		{"snapshot_id", "uuid", notNull, ""},
		{"bt_score", "numeric(10,6)", notNull, ""},
		{"vote_count", "integer", notNull, "0"},
		{"rank", "integer", notNull, ""},
		{"bootstrap_q025", "numeric(10,6)", notNull, ""},
		{"bootstrap_q975", "numeric(10,6)", notNull, ""},
		{"created_at", tstz, notNull, nowDef},
	},
}

// wantIndexes are every index of each table, primary keys and unique
// constraints included, as pg_get_indexdef writes them after "USING"
// ("UNIQUE " in front for a unique one).
var wantIndexes = map[string][]string{
	"model": {"UNIQUE btree (id)", "UNIQUE btree (slug)", "btree (license)", "btree (active)"},
	"example_prompt": {"UNIQUE btree (id)", "btree (source)", "btree (active)",
		"btree (effective_categorization_id)"},
	"example_prompt_categorization": {"UNIQUE btree (id)", "btree (prompt_id)", "btree (category)", "btree (status)"},
	"battle": {"UNIQUE btree (id)", "btree (user_id)", "btree (created_at DESC)",
		"btree (user_id, ended_at) WHERE (ended_at IS NOT NULL)", "btree (effective_validation_id)",
		"btree (effective_categorization_id)", "btree (example_prompt_id) WHERE (example_prompt_id IS NOT NULL)"},
	"message":           {"UNIQUE btree (id)"},
	"battle_round":      {"UNIQUE btree (id)", "btree (battle_id)", "btree (round_number)", "btree (created_at DESC)"},
	"battle_evaluation": {"UNIQUE btree (id)", "UNIQUE btree (battle_id)", "btree (outcome)", "btree (created_at DESC)"},
	"battle_validation": {"UNIQUE btree (id)", "btree (battle_id)",
		"UNIQUE btree (battle_id, method) WHERE (validated_by IS NULL)",
		"UNIQUE btree (battle_id, method, validated_by) WHERE (validated_by IS NOT NULL)"},
	"battle_categorization":          {"UNIQUE btree (id)", "btree (battle_id)", "btree (status)"},
	"battle_categorization_category": {"UNIQUE btree (categorization_id, category)"},
	"leaderboard":                    {"UNIQUE btree (id)", "UNIQUE btree (slug)"},
	"leaderboard_snapshot": {"UNIQUE btree (id)", "UNIQUE btree (leaderboard_id, snapshot_identifier)",
		"btree (leaderboard_id)", "btree (created_at DESC)", "btree (visibility)"},
	"leaderboard_entry": {"UNIQUE btree (id)", "UNIQUE btree (leaderboard_id, model_id, snapshot_id)",
		"btree (leaderboard_id)", "btree (model_id)", "btree (snapshot_id)", "btree (rank)", "btree (bt_score DESC)"},
}

// foreignKey is TABLE.COLUMN -> TABLE, with its ON DELETE action ("" when
// DESIGN §2 does not say: any action passes).
type foreignKey struct {
	column, references, onDelete string
}

const (
	cascade = "CASCADE"
	setNull = "SET NULL"
	unsaid  = ""
)

var wantForeignKeys = map[string][]foreignKey{
	"example_prompt":                {{"effective_categorization_id", "example_prompt_categorization", setNull}},
	"example_prompt_categorization": {{"prompt_id", "example_prompt", cascade}},
	"battle": {{"model1_id", "model", cascade}, {"model2_id", "model", cascade},
		{"effective_validation_id", "battle_validation", setNull},
		{"effective_categorization_id", "battle_categorization", setNull},
		{"example_prompt_id", "example_prompt", setNull}},
	"battle_round": {{"battle_id", "battle", cascade}, {"prompt_message_id", "message", unsaid},
		{"model1_message_id", "message", setNull}, {"model2_message_id", "message", setNull}},
	"battle_evaluation":              {{"battle_id", "battle", unsaid}},
	"battle_validation":              {{"battle_id", "battle", unsaid}},
	"battle_categorization":          {{"battle_id", "battle", unsaid}},
	"battle_categorization_category": {{"categorization_id", "battle_categorization", unsaid}},
	"leaderboard_snapshot":           {{"leaderboard_id", "leaderboard", cascade}},
	"leaderboard_entry": {{"leaderboard_id", "leaderboard", cascade}, {"model_id", "model", cascade},
		{"snapshot_id", "leaderboard_snapshot", cascade}},
}

// wantChecks are the check constraints, by table and column, each with the
// values it lets through; a column not listed has none (notably
// battle_categorization.status, which production does not check).
var wantChecks = map[string]map[string][]string{
	"model":                {"license": {"'open-source'", "'proprietary'"}},
	"example_prompt":       {"source": {"'pubmedqa'", "'bixbench'", "'bixarena'"}},
	"message":              {"role": {"'system'", "'user'", "'assistant'"}},
	"battle_evaluation":    {"outcome": {"'model1'", "'model2'", "'tie'"}},
	"battle_validation":    {"confidence": {">= (0)", "<= (1)"}},
	"leaderboard_snapshot": {"visibility": {"'public'", "'private'"}},
}

// TestSchemaIsProduction reads the catalog of a database made from
// testdata/schema.sql and compares every table DESIGN §2 describes with
// the expectations above: columns (type, length, NOT NULL, default),
// indexes (unique, columns, order, partial), foreign keys (ON DELETE) and
// check constraints.
func TestSchemaIsProduction(t *testing.T) {
	conn := Connect(t, NewDB(t))
	ctx := context.Background()
	var problems []string
	for table, want := range wantColumns {
		rows, err := conn.Query(ctx, `
			SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, coalesce(pg_get_expr(d.adbin, d.adrelid), '')
			FROM pg_attribute a
			LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			WHERE a.attrelid = ('api.' || $1)::regclass AND a.attnum > 0 AND NOT a.attisdropped
			ORDER BY a.attnum`, table)
		if err != nil {
			problems = append(problems, fmt.Sprintf("api.%s: %v", table, err))
			continue
		}
		got := map[string]column{}
		for rows.Next() {
			var c column
			if err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.def); err != nil {
				t.Fatal(err)
			}
			got[c.name] = c
		}
		rows.Close()
		for _, w := range want {
			g, ok := got[w.name]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("api.%s.%s is missing", table, w.name))
				continue
			case g.typ != w.typ:
				problems = append(problems, fmt.Sprintf("api.%s.%s is %s, want %s", table, w.name, g.typ, w.typ))
			case g.notNull != w.notNull:
				problems = append(problems, fmt.Sprintf("api.%s.%s: NOT NULL is %v, want %v", table, w.name, g.notNull, w.notNull))
			case w.def != anyUUIDPK && g.def != w.def:
				problems = append(problems, fmt.Sprintf("api.%s.%s: default %q, want %q", table, w.name, g.def, w.def))
			}
			delete(got, w.name)
		}
		for name := range got {
			problems = append(problems, fmt.Sprintf("api.%s.%s is not in production's schema", table, name))
		}
		problems = append(problems, checkIndexes(t, conn, table)...)
		problems = append(problems, checkForeignKeys(t, conn, table)...)
		problems = append(problems, checkChecks(t, conn, table)...)
	}
	slices.Sort(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

var indexHead = regexp.MustCompile(`^CREATE (UNIQUE )?INDEX \S+ ON api\.\S+ USING `)

func checkIndexes(t *testing.T, conn *pgx.Conn, table string) []string {
	t.Helper()
	var defs []string // the table's indexes, normalized
	rows, err := conn.Query(context.Background(), `SELECT indexdef FROM pg_indexes WHERE schemaname = 'api' AND tablename = $1`, table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			t.Fatal(err)
		}
		m := indexHead.FindStringSubmatch(def)
		if m == nil {
			defs = append(defs, def)
			continue
		}
		defs = append(defs, m[1]+strings.TrimPrefix(def, m[0]))
	}
	rows.Close()
	var problems []string
	for _, w := range wantIndexes[table] {
		if i := slices.Index(defs, w); i >= 0 {
			defs = slices.Delete(defs, i, i+1)
		} else {
			problems = append(problems, fmt.Sprintf("api.%s: index %s is missing", table, w))
		}
	}
	for _, d := range defs {
		problems = append(problems, fmt.Sprintf("api.%s: index %s is not production's", table, d))
	}
	return problems
}

var fkDef = regexp.MustCompile(`^FOREIGN KEY \((\w+)\) REFERENCES api\.(\w+)\(id\)(?: ON DELETE (CASCADE|SET NULL|RESTRICT|SET DEFAULT))?$`)

func checkForeignKeys(t *testing.T, conn *pgx.Conn, table string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = ('api.' || $1)::regclass AND contype = 'f'`, table)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]foreignKey{}
	var problems []string
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			t.Fatal(err)
		}
		m := fkDef.FindStringSubmatch(def)
		if m == nil {
			problems = append(problems, fmt.Sprintf("api.%s: foreign key %s is not production's", table, def))
			continue
		}
		got[m[1]] = foreignKey{m[1], m[2], m[3]}
	}
	rows.Close()
	for _, w := range wantForeignKeys[table] {
		g, ok := got[w.column]
		delete(got, w.column)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("api.%s.%s: foreign key to api.%s is missing", table, w.column, w.references))
		case g.references != w.references:
			problems = append(problems, fmt.Sprintf("api.%s.%s references api.%s, want api.%s", table, w.column, g.references, w.references))
		case w.onDelete != unsaid && g.onDelete != w.onDelete:
			problems = append(problems, fmt.Sprintf("api.%s.%s: ON DELETE %q, want %q", table, w.column, g.onDelete, w.onDelete))
		}
	}
	for c, g := range got {
		problems = append(problems, fmt.Sprintf("api.%s.%s: foreign key to api.%s is not production's", table, c, g.references))
	}
	return problems
}

func checkChecks(t *testing.T, conn *pgx.Conn, table string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT a.attname, pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
		WHERE c.conrelid = ('api.' || $1)::regclass AND c.contype = 'c'`, table)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var col, def string
		if err := rows.Scan(&col, &def); err != nil {
			t.Fatal(err)
		}
		got[col] += def
	}
	rows.Close()
	var problems []string
	for col, values := range wantChecks[table] {
		def, ok := got[col]
		delete(got, col)
		if !ok {
			problems = append(problems, fmt.Sprintf("api.%s.%s: check constraint is missing", table, col))
			continue
		}
		for _, v := range values {
			if !strings.Contains(def, v) {
				problems = append(problems, fmt.Sprintf("api.%s.%s: check %s does not allow %s", table, col, def, v))
			}
		}
	}
	for col, def := range got {
		problems = append(problems, fmt.Sprintf("api.%s.%s: check %s is not production's", table, col, def))
	}
	return problems
}
