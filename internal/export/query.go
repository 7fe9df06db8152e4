package export

import (
	"fmt"
	"strings"
)

// The battles that qualify for overall (DESIGN §2): an evaluation, and an
// effective validation that says the battle is biomedical. The categories
// of a battle are those of its effective categorization when that is
// matched. They are aggregated for all categorizations at once with one
// grouped join (a subquery per battle is several times slower), and the
// categorization's status is checked by a join of its own: joining
// battle_categorization inside the grouped subquery makes PostgreSQL walk
// it by index, in random order.
//
// %s is the aggregate over the categories: unordered for raw rows (the
// few categories of a battle are sorted by the reader; sorting them here
// costs a sort per categorization), ordered for grouping, where equal sets
// must be equal arrays.
const qualifyingFrom = `
FROM api.battle b
JOIN api.battle_evaluation e ON e.battle_id = b.id
JOIN api.battle_validation v ON v.id = b.effective_validation_id
LEFT JOIN api.battle_categorization bc ON bc.id = b.effective_categorization_id AND bc.status = 'matched'
LEFT JOIN (
	SELECT cc.categorization_id, %s AS categories
	FROM api.battle_categorization_category cc
	GROUP BY cc.categorization_id
) c ON c.categorization_id = bc.id
WHERE v.is_biomedical`

const (
	unorderedCategories = `array_agg(cc.category)`
	orderedCategories   = `array_agg(cc.category ORDER BY cc.category COLLATE "C")`
)

// Settings are the transaction's planner settings for the battle query,
// measured on a million battles with two cores: enough work_mem for its
// hash joins and sort to stay in memory (a spill doubles the sort and
// batches the joins), no parallel workers (each would recompute the
// grouped categories), no JIT (its compile time is not won back).
var Settings = []string{
	"SET LOCAL work_mem = '64MB'",
	"SET LOCAL max_parallel_workers_per_gather = 0",
	"SET LOCAL jit = off",
}

// rawSelect gives one row per battle in a fixed order (created_at, id).
const rawSelect = `SELECT b.model1_id, b.model2_id, e.outcome, c.categories, b.id, b.created_at`

// aggregateSelect gives one row per distinct (model1, model2, outcome,
// categories) with its count.
const aggregateSelect = `SELECT b.model1_id, b.model2_id, e.outcome, c.categories, count(*) AS n`

// Query returns the SQL and its arguments that read the battles selected
// by o: one row per battle (model1_id, model2_id, outcome, categories, id,
// created_at) in (created_at, id) order, or with o.Aggregate one row per
// group (model1_id, model2_id, outcome, categories, count) ordered by the
// models' slugs, the outcome and the categories.
func Query(o Options) (string, []any) {
	var where strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if o.Leaderboard != "" && o.Leaderboard != overall {
		fmt.Fprintf(&where, "\n  AND c.categories @> ARRAY[%s::varchar]", arg(o.Leaderboard))
	}
	if !o.Since.IsZero() {
		fmt.Fprintf(&where, "\n  AND b.created_at >= %s", arg(o.Since))
	}
	if !o.Until.IsZero() {
		fmt.Fprintf(&where, "\n  AND b.created_at < %s", arg(o.Until))
	}
	if !o.Aggregate {
		return rawSelect + fmt.Sprintf(qualifyingFrom, unorderedCategories) + where.String() + "\nORDER BY b.created_at, b.id", args
	}
	return `SELECT x.model1_id, x.model2_id, x.outcome, x.categories, x.n
FROM (` + aggregateSelect + fmt.Sprintf(qualifyingFrom, orderedCategories) + where.String() + `
	GROUP BY b.model1_id, b.model2_id, e.outcome, c.categories) x
JOIN api.model ma ON ma.id = x.model1_id
JOIN api.model mb ON mb.id = x.model2_id
ORDER BY ma.slug COLLATE "C", mb.slug COLLATE "C", x.outcome, x.categories NULLS FIRST`, args
}
