package bt

import (
	"cmp"
	"slices"
)

// The maximum likelihood exists exactly when the "beat" graph is strongly
// connected: an edge i→j when i won (or tied) against j at least once
// (Ford, 1957). These functions decide that and say why it fails.

// WellPosed reports whether the maximum likelihood of p exists.
func WellPosed(p Problem) bool { return wellPosed(p, nil) }

// wellPosed is WellPosed, with the pairs that may have results both ways
// taken in order (nil: all of p's pairs, in their order). order must list
// every pair of p with results both ways: for the resamples of a problem,
// its own such pairs (see twoWay).
func wellPosed(p Problem, order []int32) bool {
	if p.Models <= 1 {
		return true
	}
	// Pairs with results both ways are edges both ways of the beat graph:
	// the groups of models they join are strongly connected within, and
	// when they join all models the graph is (this settles nearly every
	// bootstrap round of a dense board). Else the graph is strongly
	// connected when the graph of the groups is, with an edge for each pair
	// of results one way between two groups: a graph of a few groups on a
	// sparse board, where many resamples get this far.
	n := p.Models
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	pieces := n
	join := func(q Pair) bool {
		if q.N <= 0 || q.W <= 0 || q.W >= q.N {
			return false
		}
		if a, b := find(q.I), find(q.J); a != b {
			parent[a] = b
			if pieces--; pieces == 1 {
				return true // the remaining pairs cannot disconnect anything
			}
		}
		return false
	}
	if order == nil {
		for _, q := range p.Pairs {
			if join(q) {
				return true
			}
		}
	} else {
		for _, k := range order {
			if join(p.Pairs[k]) {
				return true
			}
		}
	}
	group := make([]int32, n) // each model's group, numbered from 0
	for i := range group {
		group[i] = -1
	}
	groups := int32(0)
	for i := range int32(n) {
		if r := find(i); group[r] < 0 {
			group[r] = groups
			groups++
		}
	}
	var from, to []int32
	for _, q := range p.Pairs {
		if q.N <= 0 || q.W > 0 && q.W < q.N {
			continue
		}
		a, b := group[find(q.I)], group[find(q.J)]
		if a == b {
			continue
		}
		if q.W == 0 { // J won every battle
			a, b = b, a
		}
		from, to = append(from, a), append(to, b)
	}
	return reachesAll(int(groups), from, to) && reachesAll(int(groups), to, from)
}

// twoWay returns the pairs of p with results both ways, in the order in
// which they most likely join all models in p's resamples: each model's
// strongest pair first, then each one's second, and so on, a pair's
// strength being its fewer wins of one side (ties half), by which it
// keeps results both ways when resampled. On a sparse board a quarter of
// the pairs have results both ways, and a well-posed resample is seen to
// be so after 400 to 1,100 of them, where p's order needs about all.
func twoWay(p Problem) []int32 {
	strength := func(k int32) float64 { q := p.Pairs[k]; return min(q.W, q.N-q.W) }
	var out []int32
	for k := range p.Pairs {
		if strength(int32(k)) > 0 {
			out = append(out, int32(k))
		}
	}
	slices.SortStableFunc(out, func(a, b int32) int { return cmp.Compare(strength(b), strength(a)) })
	// Each pair's place: how many stronger pairs the one of its models
	// with fewer has.
	place := make([]int32, len(p.Pairs))
	seen := make([]int32, p.Models)
	for _, k := range out {
		q := p.Pairs[k]
		place[k] = min(seen[q.I], seen[q.J])
		seen[q.I]++
		seen[q.J]++
	}
	slices.SortStableFunc(out, func(a, b int32) int { return cmp.Compare(place[a], place[b]) })
	return out
}

// Diagnosis says why the maximum likelihood does not exist.
type Diagnosis struct {
	Undefeated []int   // models that never lost (ties count half a loss)
	Winless    []int   // models that never won (ties count half a win)
	Components [][]int // the pieces of the comparison graph, largest first, when more than one
}

// Diagnose explains an ill-posed problem. Models without battles are
// ignored.
func Diagnose(p Problem) Diagnosis {
	n := p.Models
	won := make([]bool, n)
	lost := make([]bool, n)
	played := make([]bool, n)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, q := range p.Pairs {
		if q.N <= 0 {
			continue
		}
		i, j := int(q.I), int(q.J)
		played[i], played[j] = true, true
		if q.W > 0 {
			won[i], lost[j] = true, true
		}
		if q.N-q.W > 0 {
			won[j], lost[i] = true, true
		}
		if a, b := find(i), find(j); a != b {
			parent[max(a, b)] = min(a, b)
		}
	}
	var d Diagnosis
	groups := map[int][]int{}
	for i := range n {
		if !played[i] {
			continue
		}
		if !lost[i] {
			d.Undefeated = append(d.Undefeated, i)
		}
		if !won[i] {
			d.Winless = append(d.Winless, i)
		}
		groups[find(i)] = append(groups[find(i)], i)
	}
	if len(groups) > 1 {
		for _, g := range groups {
			d.Components = append(d.Components, g)
		}
		slices.SortFunc(d.Components, func(a, b []int) int {
			if len(a) != len(b) {
				return len(b) - len(a)
			}
			return a[0] - b[0]
		})
	}
	return d
}

// reachesAll reports whether every node of a graph of n nodes, with an
// edge from from[k] to to[k] for each k, can be reached from node 0. The
// edges are laid out by source in two arrays, not a list per node.
func reachesAll(n int, from, to []int32) bool {
	start := make([]int32, n+1)
	for _, a := range from {
		start[a+1]++
	}
	for i := range n {
		start[i+1] += start[i]
	}
	next := slices.Clone(start[:n])
	out := make([]int32, len(from))
	for k, a := range from {
		out[next[a]] = to[k]
		next[a]++
	}
	seen := make([]bool, n)
	stack := next[:0] // next is spent: its memory holds the stack
	stack = append(stack, 0)
	seen[0] = true
	count := 1
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range out[start[v]:start[v+1]] {
			if !seen[w] {
				seen[w] = true
				count++
				stack = append(stack, w)
			}
		}
	}
	return count == n
}
