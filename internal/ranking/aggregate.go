// Package ranking owns what rank computes from a battle stream (DESIGN
// §4): it aggregates battles into cells per leaderboard in one pass, then
// fits, bootstraps, filters and ranks each leaderboard into a record.
package ranking

import (
	"slices"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// cellKey identifies identical battles as they were read: models by
// intern id, outcome from model a's side.
type cellKey struct {
	a, b int32
	o    battle.Outcome
}

// board holds a leaderboard's battles by cell id (Aggregator.keys). The
// counts are dense (a slice indexed by id: one step per battle) while
// most of the ids up to the largest are the board's, and sparse (a map)
// once the board holds few of them: a category with a handful of cells
// among millions must not cost memory for all of them.
type board struct {
	slug   string
	counts []int64 // dense: by cell id, 0 where none
	cells  int     // dense: ids with battles
	sparse map[int32]int64
}

// denseSlack is how many more slots than cells a dense board may hold
// before it turns sparse.
const denseSlack = 1024

func (b *board) add(id int32, n int64) {
	if b.sparse != nil {
		b.sparse[id] += n
		return
	}
	if int(id) >= len(b.counts) {
		if int(id)+1 > 4*(b.cells+1)+denseSlack {
			b.sparse = make(map[int32]int64, b.cells+1)
			for i, c := range b.counts {
				if c != 0 {
					b.sparse[int32(i)] = c
				}
			}
			b.counts = nil
			b.sparse[id] += n
			return
		}
		b.counts = slices.Grow(b.counts, int(id)+1-len(b.counts))[:id+1]
	}
	if b.counts[id] == 0 {
		b.cells++
	}
	b.counts[id] += n
}

// each calls f for every cell of the board that has battles, by cell id.
func (a *Aggregator) each(b *board, f func(k cellKey, n int64)) {
	if b.sparse != nil {
		ids := make([]int32, 0, len(b.sparse))
		for id := range b.sparse {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			f(a.keys[id], b.sparse[id])
		}
		return
	}
	for id, n := range b.counts {
		if n != 0 {
			f(a.keys[id], n)
		}
	}
}

// Aggregator collects battles into per-leaderboard cells. Its memory
// depends on the number of distinct (model, model, outcome) cells per
// leaderboard, never on the number of battles.
type Aggregator struct {
	only   string // one leaderboard chosen, or ""
	models map[string]int32
	slugs  []string
	// Cells get ids shared by every leaderboard, so that a battle costs
	// one map lookup however many leaderboards it counts in.
	cells  map[cellKey]int32
	keys   []cellKey
	boards map[string]*board
	// overall is boards[overall] when overall is computed, else nil.
	overall *board
	names   map[string]string // leaderboard names from stream headers
	seen    []*board          // the current battle's category boards
	filter  *battle.Filter    // what the stream holds, from its header
	style   *styleRows        // with AddStyle: the battles, one row per line

	// Screen, when not nil, is asked once about each model and each
	// category that Add meets for the first time (category false: a
	// model): a refused model's battles are not counted, a refused
	// category is dropped from its battles, which still count in overall
	// and their other categories. It costs nothing on names already met.
	Screen      func(category bool, name string) bool
	refused     []bool          // by model id, with Screen
	refusedCats map[string]bool // categories Screen refused
}

// NewAggregator returns an aggregator for every leaderboard, or for the
// one named by only.
func NewAggregator(only string) *Aggregator {
	a := &Aggregator{
		only:   only,
		models: map[string]int32{},
		cells:  map[cellKey]int32{},
		boards: map[string]*board{},
		names:  map[string]string{},
	}
	if only != "" {
		a.board(only)
	} else {
		a.board(battle.Overall)
	}
	a.overall = a.boards[battle.Overall]
	return a
}

func (a *Aggregator) board(slug string) *board {
	b := a.boards[slug]
	if b == nil {
		b = &board{slug: slug}
		a.boards[slug] = b
	}
	return b
}

func (a *Aggregator) intern(slug []byte) int32 {
	if id, ok := a.models[string(slug)]; ok {
		return id
	}
	id := int32(len(a.slugs))
	s := string(slug)
	a.models[s] = id
	a.slugs = append(a.slugs, s)
	if a.Screen != nil {
		a.refused = append(a.refused, !a.Screen(false, s))
	}
	return id
}

// refusedCategory reports whether Screen refuses the category c, which
// has no board yet; it asks Screen once per category.
func (a *Aggregator) refusedCategory(c string) bool {
	if a.Screen == nil {
		return false
	}
	if refused, asked := a.refusedCats[c]; asked {
		return refused
	}
	if a.refusedCats == nil {
		a.refusedCats = map[string]bool{}
	}
	refused := !a.Screen(true, c)
	if refused {
		a.refusedCats[c] = true // an admitted category gets its board
	}
	return refused
}

// Header takes note of a stream header: its leaderboards are reported
// even when no battle counts in them, and its filter says what the
// stream holds. A stream of one leaderboard's battles (filter.leaderboard)
// is not the whole arena: only that leaderboard is ranked, as if it alone
// were chosen, never an overall built from its battles. Header must come
// before the first Add; the caller checks that the filters of several
// inputs agree, and that a chosen leaderboard is the filter's.
func (a *Aggregator) Header(h *battle.Header) {
	if f := h.Filter; f != (battle.Filter{}) {
		a.filter = &f
	}
	if l := h.Filter.Leaderboard; l != "" && l != battle.Overall && a.only == "" {
		a.only = l
		delete(a.boards, battle.Overall)
		a.overall = nil
		a.board(l)
	}
	for _, lb := range h.Leaderboards {
		a.names[lb.Slug] = lb.Name
		if a.only == "" && !styleBoard(lb.Slug, h.Leaderboards) {
			a.board(lb.Slug)
		}
	}
}

// Add counts one battle line in overall and in each of its categories (a
// category listed twice counts once). It reports whether the battle was
// counted: not when Screen refused one of its models.
func (a *Aggregator) Add(b *battle.Battle) bool {
	ia, ib := a.intern(b.ModelA), a.intern(b.ModelB)
	if a.Screen != nil && (a.refused[ia] || a.refused[ib]) {
		return false
	}
	key := cellKey{ia, ib, b.Outcome}
	id, ok := a.cells[key]
	if !ok {
		id = int32(len(a.keys))
		a.cells[key] = id
		a.keys = append(a.keys, key)
	}
	if a.overall != nil {
		a.overall.add(id, b.Count)
	}
	if a.only == battle.Overall || len(b.Categories) == 0 {
		return true
	}
	a.seen = a.seen[:0]
	for _, c := range b.Categories {
		if a.only != "" && string(c) != a.only {
			continue
		}
		bd := a.boards[string(c)]
		if bd == nil {
			if a.refusedCategory(string(c)) {
				continue
			}
			bd = a.board(string(c))
		}
		if slices.Contains(a.seen, bd) {
			continue
		}
		a.seen = append(a.seen, bd)
		bd.add(id, b.Count)
	}
	return true
}

// Leaderboards returns the slugs to report, in output order: overall
// first, then the others sorted.
func (a *Aggregator) Leaderboards() []string {
	var out []string
	for slug := range a.boards {
		if slug != battle.Overall {
			out = append(out, slug)
		}
	}
	slices.Sort(out)
	if _, ok := a.boards[battle.Overall]; ok {
		out = append([]string{battle.Overall}, out...)
	}
	return out
}

// provenanceFilter is the stream's filter as a record carries it, or nil
// when the stream holds the whole arena.
func (a *Aggregator) provenanceFilter() *leaderboard.Filter {
	if a.filter == nil {
		return nil
	}
	return &leaderboard.Filter{Leaderboard: a.filter.Leaderboard, Since: a.filter.Since, Until: a.filter.Until}
}
