package bt

import "slices"

// The maximum likelihood exists exactly when the "beat" graph is strongly
// connected: an edge i→j when i won (or tied) against j at least once
// (Ford, 1957). These functions decide that and say why it fails.

// WellPosed reports whether the maximum likelihood of p exists.
func WellPosed(p Problem) bool {
	if p.Models <= 1 {
		return true
	}
	// Pairs with results both ways are edges both ways of the beat graph:
	// when they alone connect all models, it is strongly connected. This
	// cheap test settles nearly every bootstrap round.
	if connected(p, true) {
		return true
	}
	return reachesAll(p, false) && reachesAll(p, true)
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

// reachesAll reports whether every model can be reached from model 0
// along the beat graph's edges (backwards, when back is set): an edge
// from I to J when I won (or tied) against J at least once. The edges are
// laid out by source in two arrays, not a list per model: a bootstrap
// round of a sparse board asks this of tens of thousands of pairs.
func reachesAll(p Problem, back bool) bool {
	n := p.Models
	start := make([]int32, n+1)
	each := func(f func(from, to int32)) {
		for _, q := range p.Pairs {
			if q.N <= 0 {
				continue
			}
			a, b := q.I, q.J
			if back {
				a, b = b, a
			}
			if q.W > 0 { // I beat J at least partly
				f(a, b)
			}
			if q.N-q.W > 0 {
				f(b, a)
			}
		}
	}
	each(func(from, _ int32) { start[from+1]++ })
	for i := range n {
		start[i+1] += start[i]
	}
	next := slices.Clone(start[:n])
	to := make([]int32, start[n])
	each(func(from, t int32) {
		to[next[from]] = t
		next[from]++
	})
	seen := make([]bool, n)
	stack := next[:0] // next is spent: its memory holds the stack
	stack = append(stack, 0)
	seen[0] = true
	count := 1
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range to[start[v]:start[v+1]] {
			if !seen[w] {
				seen[w] = true
				count++
				stack = append(stack, w)
			}
		}
	}
	return count == n
}

// connected reports whether the pairs that met (with results both ways,
// when both is set) connect all models.
func connected(p Problem, both bool) bool {
	parent := make([]int32, p.Models)
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
	pieces := p.Models
	for _, q := range p.Pairs {
		if q.N <= 0 || both && (q.W <= 0 || q.W >= q.N) {
			continue
		}
		if a, b := find(q.I), find(q.J); a != b {
			parent[a] = b
			pieces--
			if pieces == 1 {
				return true // the remaining pairs cannot disconnect anything
			}
		}
	}
	return pieces == 1
}
