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
// A categorization's categories travel as a bit mask over a list of at
// most MaskBits categories, passed as $1 (bit i is the list's i-th): an
// integer is cheaper to group by, hash and read than an array, and bit_or,
// unlike array_agg, combines partial results, so that the grouping can run
// in parallel workers. A category outside the list sets the sign bit
// instead, which says that the list was not enough. With no list, or
// more categories than a mask holds, they travel as arrays.
const qualifyingFrom = `
FROM api.battle b
JOIN api.battle_evaluation e ON e.battle_id = b.id
JOIN api.battle_validation v ON v.id = b.effective_validation_id
LEFT JOIN api.battle_categorization bc ON bc.id = b.effective_categorization_id AND bc.status = 'matched'
LEFT JOIN (%s) c ON c.categorization_id = bc.id%s
WHERE v.is_biomedical`

const (
	maskCategories = `SELECT cc.categorization_id, bit_or(1::int8 << coalesce(cat.bit - 1, 63)::int) AS categories
	FROM api.battle_categorization_category cc
	LEFT JOIN unnest($1::text[]) WITH ORDINALITY AS cat(slug, bit) ON cat.slug = cc.category
	GROUP BY cc.categorization_id`
	// Raw rows: the few categories of a battle are sorted by the reader
	// (sorting them here costs a sort per categorization). Grouping: equal
	// sets must be equal arrays.
	unorderedCategories = `SELECT cc.categorization_id, array_agg(cc.category) AS categories
	FROM api.battle_categorization_category cc
	GROUP BY cc.categorization_id`
	orderedCategories = `SELECT cc.categorization_id, array_agg(cc.category ORDER BY cc.category COLLATE "C") AS categories
	FROM api.battle_categorization_category cc
	GROUP BY cc.categorization_id`
)

// MaskBits is the most categories a bit mask carries: bit 63, the sign,
// marks the categories outside the list.
const MaskBits = 63

// masked says whether the battle query carries categories as masks over
// this list.
func masked(categories []string) bool {
	return categories != nil && len(categories) <= MaskBits
}

// Settings are the transaction's planner settings for the battle query,
// measured on a million battles with two cores: enough work_mem for its
// hash joins and sort to stay in memory (a spill doubles the sort and
// batches the joins); parallel workers whatever the planner's estimate of
// their start-up and transfer costs (the joins take about half the time
// with two of them; the planner, left alone, plans none or too few); no
// JIT (its compile time is not won back).
var Settings = []string{
	"SET LOCAL work_mem = '64MB'",
	"SET LOCAL parallel_setup_cost = 0",
	"SET LOCAL parallel_tuple_cost = 0",
	"SET LOCAL jit = off",
}

// Query returns the SQL and its arguments that read the battles selected
// by o: one row per battle (model1_id, model2_id, outcome, categories, id,
// created_at, and with o.Style the eight style features of style.go) in
// (created_at, id) order, or with o.Aggregate one row per
// group (model1_id, model2_id, outcome, categories, count) ordered by the
// models' ids, the outcome and the categories.
//
// With a list of at most MaskBits categories, the categories column is an
// int8 bit mask over them (NULL for none), negative when some category is
// not in the list; the aggregated rows are then ordered by mask first, so
// that those with a negative mask come first. Without a list (nil) or with
// a longer one, it is a text array (NULL for none).
func Query(o Options, categories []string) (string, []any) {
	var where strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	subquery := unorderedCategories
	if o.Aggregate {
		subquery = orderedCategories
	}
	masks := masked(categories)
	if masks {
		subquery = maskCategories
		arg(categories)
	}
	if o.Leaderboard != "" && o.Leaderboard != overall {
		if masks {
			bit := -1
			for i, c := range categories {
				if c == o.Leaderboard {
					bit = i
				}
			}
			if bit < 0 {
				where.WriteString("\n  AND false") // no battle has that category
			} else {
				fmt.Fprintf(&where, "\n  AND c.categories & %s <> 0", arg(int64(1)<<bit))
			}
		} else {
			fmt.Fprintf(&where, "\n  AND c.categories @> ARRAY[%s::varchar]", arg(o.Leaderboard))
		}
	}
	if !o.Since.IsZero() {
		fmt.Fprintf(&where, "\n  AND b.created_at >= %s", arg(o.Since))
	}
	if !o.Until.IsZero() {
		fmt.Fprintf(&where, "\n  AND b.created_at < %s", arg(o.Until))
	}
	join, columns := "", ""
	if o.Style && !o.Aggregate {
		join, columns = styleJoin, styleColumns
	}
	from := fmt.Sprintf(qualifyingFrom, subquery, join) + where.String()
	if !o.Aggregate {
		return `SELECT b.model1_id, b.model2_id, e.outcome, c.categories, b.id, b.created_at` + columns + from +
			"\nORDER BY b.created_at, b.id", args
	}
	// OFFSET 0 keeps the grouping a subquery of its own, so that the
	// groups are hashed and then the few of them sorted: left to itself
	// the planner sorts every battle to group them in order, which costs
	// more than the grouping.
	// With masks, the groups are ordered by mask first: the negative ones
	// come first, and an integer first key sorts faster than the models'
	// uuids (measured: 110 ms against 150 ms for the 127,000 groups of a
	// million battles).
	order := "x.model1_id, x.model2_id, x.outcome, x.categories NULLS FIRST"
	if masks {
		order = "x.categories NULLS LAST, x.model1_id, x.model2_id, x.outcome"
	}
	return `SELECT x.model1_id, x.model2_id, x.outcome, x.categories, x.n
FROM (SELECT b.model1_id, b.model2_id, e.outcome, c.categories, count(*) AS n` + from + `
	GROUP BY b.model1_id, b.model2_id, e.outcome, c.categories
	OFFSET 0) x
ORDER BY ` + order, args
}
