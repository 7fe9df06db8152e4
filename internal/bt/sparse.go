package bt

import (
	"cmp"
	"math"
	"slices"
)

// The Hessian of −log L is a weighted graph Laplacian: pair k adds its
// weight wt[k] to the diagonal entries of its two models and takes it from
// the two entries between them (plus, with virtual ties, a diagonal dg).
// On a sparse board, where most pairs never met, these functions solve
// with it in time and memory that follow the pairs, never n²: conjugate
// gradients (hessVec) preconditioned with an incomplete Cholesky factor
// that keeps the Laplacian's own pattern (IC(0)). For a Laplacian, an
// M-matrix, that factor exists and its pivots stay positive (Meijerink and
// van der Vorst, Math. Comp. 31, 1977); on the boards measured it brings
// conjugate gradients to a residual of 1e-8 in 5 to 16 iterations.

// denseModels is the size up to which a problem is solved with dense
// matrices whatever its pairs: there the n×n work is small, and Fit and
// the chord keep the exact arithmetic of the dense factorisation.
const denseModels = 64

// Dense reports whether p is solved with dense n×n matrices: small
// problems, and those where at least half the pairs met (a sparse factor
// would fill in anyway). Others are sparse: no n×n matrix is ever made.
func Dense(p Problem) bool {
	n := p.Models
	return n <= denseModels || 4*len(p.Pairs) >= n*(n-1)
}

// pattern is the lower triangle of a problem's Laplacian, row by row, in
// the order of the factor: row i holds the columns k < i of the pairs
// between the models at positions i and k.
type pattern struct {
	n     int     // models
	model []int32 // model at each position
	pos   []int32 // position of each model
	ptr   []int32 // row i is col[ptr[i]:ptr[i+1]]
	col   []int32 // positions, increasing within a row
	entry []int32 // entry of each pair
}

// newPattern lays out p's Laplacian, its models in the order of their
// battles, fewest first. Eliminating a model with few battles makes
// little fill, so the incomplete factor drops less (measured on sparse
// boards of 300 models: 5 to 25% fewer chord steps than in the models'
// own order, as a minimum degree ordering does for complete factors).
func newPattern(p Problem) *pattern {
	n := p.Models
	pt := &pattern{n: n, model: make([]int32, n), pos: make([]int32, n), entry: make([]int32, len(p.Pairs))}
	battles := make([]float64, n)
	for _, q := range p.Pairs {
		battles[q.I] += q.N
		battles[q.J] += q.N
	}
	for i := range n {
		pt.model[i] = int32(i)
	}
	slices.SortStableFunc(pt.model, func(a, b int32) int { return cmp.Compare(battles[a], battles[b]) })
	for i, m := range pt.model {
		pt.pos[m] = int32(i)
	}
	type link struct{ row, col, pair int32 }
	links := make([]link, 0, len(p.Pairs))
	for k, q := range p.Pairs {
		a, b := pt.pos[q.I], pt.pos[q.J]
		if a == b {
			pt.entry[k] = -1
			continue
		}
		links = append(links, link{max(a, b), min(a, b), int32(k)})
	}
	slices.SortFunc(links, func(x, y link) int {
		return cmp.Or(cmp.Compare(x.row, y.row), cmp.Compare(x.col, y.col))
	})
	pt.ptr = make([]int32, n+1)
	for t, l := range links {
		if t == 0 || l.row != links[t-1].row || l.col != links[t-1].col {
			// A new entry (two pairs between the same models share one).
			pt.col = append(pt.col, l.col)
			pt.ptr[l.row+1]++
		}
		pt.entry[l.pair] = int32(len(pt.col) - 1)
	}
	for i := range n {
		pt.ptr[i+1] += pt.ptr[i]
	}
	return pt
}

// laplacianShift is the share of its diagonal added to a Laplacian
// without prior before its incomplete factorisation.
//
// Such a Laplacian is singular (its null space is 1). Grounding one model
// (leaving out its row and column) makes the rest positive definite, and
// a complete factor of the rest is then exact; but an incomplete one
// drops fill that, summed over the whole board, dwarfs the grounded
// model's own weight on the mode that moves it against all the others,
// and preconditioned iterations crawl along that mode (measured on 300
// models: 0.97 of the error kept per step for ten steps). A diagonal
// shift makes the whole Laplacian strictly diagonally dominant instead,
// so that its factor exists and no model is singled out; the shift
// changes the preconditioner on the modes near 1 by about itself, a
// thousandth, and apply projects 1 away. On sparse arena boards of 300
// models it takes a fifth of the chord steps off refits, with a tenth of
// their error.
const laplacianShift = 1e-3

// incomplete is an IC(0) factor L·Lᵀ of a Laplacian: L has the pattern's
// entries below the diagonal and d on it. Without prior (project), the
// Laplacian's diagonal is raised by laplacianShift first (see there) and
// apply's results are projected orthogonally to 1.
type incomplete struct {
	pt      *pattern
	project bool
	val     []float64 // per entry of pt
	d       []float64 // per position
	// For apply, set by solveForm: 1/d, and L's columns (Lᵀ's rows) as
	// the rows of the entries below the diagonal, with their values.
	inv        []float64
	tptr, trow []int32   // column i is trow[tptr[i]:tptr[i+1]]
	tval       []float64 // per entry of the columns
	tentry     []int32   // the entry of pt behind each
	// scratch for the factorisation
	row  []float64
	mark []int32
}

// newIncomplete prepares factors on pt; project says the Laplacians have
// no prior.
func newIncomplete(pt *pattern, project bool) *incomplete {
	m := len(pt.model)
	f := &incomplete{pt: pt, project: project, val: make([]float64, len(pt.col)), d: make([]float64, m),
		inv: make([]float64, m), tptr: make([]int32, m+1), trow: make([]int32, len(pt.col)),
		tval: make([]float64, len(pt.col)), tentry: make([]int32, len(pt.col)),
		row: make([]float64, m), mark: make([]int32, m)}
	// Lay out the columns: entry u of row i in column pt.col[u], rows
	// increasing within a column as the rows are walked in order.
	for _, k := range pt.col {
		f.tptr[k+1]++
	}
	for k := range m {
		f.tptr[k+1] += f.tptr[k]
	}
	next := slices.Clone(f.tptr[:m])
	for i := range int32(m) {
		for u := pt.ptr[i]; u < pt.ptr[i+1]; u++ {
			k := pt.col[u]
			f.trow[next[k]], f.tentry[next[k]] = i, u
			next[k]++
		}
	}
	return f
}

// solveForm sets what apply reads from val and d.
func (f *incomplete) solveForm() {
	for i, d := range f.d {
		f.inv[i] = 1 / d
	}
	for t, u := range f.tentry {
		f.tval[t] = f.val[u]
	}
}

// factor computes the factor of the Laplacian of pair weights wt with
// diagonal dg added. Its pivots stay positive (Meijerink and van der
// Vorst: the matrix is an M-matrix, strictly diagonally dominant with the
// shift or the prior); it reports false when one is not, which only a
// model without weight can cause.
func (f *incomplete) factor(p Problem, wt, dg []float64) bool {
	pt := f.pt
	clear(f.val)
	diag := f.d // the matrix's diagonal first
	clear(diag)
	for i, v := range dg {
		diag[pt.pos[i]] += v
	}
	for k, q := range p.Pairs {
		c := wt[k]
		diag[pt.pos[q.I]] += c
		diag[pt.pos[q.J]] += c
		if e := pt.entry[k]; e >= 0 {
			f.val[e] -= c
		}
	}
	if f.project {
		for i := range diag {
			diag[i] *= 1 + laplacianShift
		}
	}
	for i := range f.mark {
		f.mark[i] = -1
	}
	for i := range int32(len(pt.model)) {
		lo, hi := pt.ptr[i], pt.ptr[i+1]
		cols := pt.col[lo:hi]
		for t, k := range cols {
			f.row[k] = f.val[lo+int32(t)]
			f.mark[k] = i
		}
		s := diag[i]
		for t, k := range cols {
			v := f.row[k]
			// Subtract L_ij·L_kj over the columns j < k both rows hold.
			for u := pt.ptr[k]; u < pt.ptr[k+1]; u++ {
				if j := pt.col[u]; f.mark[j] == i {
					v -= f.val[u] * f.row[j]
				}
			}
			v /= f.d[k]
			f.row[k] = v
			f.val[lo+int32(t)] = v
			s -= v * v
		}
		if !(s > 0) {
			return false
		}
		f.d[i] = math.Sqrt(s)
	}
	f.solveForm()
	return true
}

// apply sets z to the preconditioned r: (L·Lᵀ)⁻¹ r, projected
// orthogonally to 1 when the Laplacian has no prior. y (len n) is
// scratch: a factor serves several goroutines.
//
// Both triangular solves gather, L's by its rows and Lᵀ's by L's
// columns, each row's sum in two registers: scattered into memory, the
// updates of one entry by successive rows would each wait for the store
// of the one before.
func (f *incomplete) apply(r, z, y []float64) {
	pt := f.pt
	y = y[:len(pt.model)]
	for i, m := range pt.model {
		y[i] = (r[m] - gather(f.val, pt.col, y, pt.ptr[i], pt.ptr[i+1])) * f.inv[i]
	}
	for i := len(y) - 1; i >= 0; i-- {
		y[i] = (y[i] - gather(f.tval, f.trow, y, f.tptr[i], f.tptr[i+1])) * f.inv[i]
	}
	for i, m := range pt.model {
		z[m] = y[i]
	}
	if f.project {
		centre(z)
	}
}

// gather returns the sum of val[u]·y[at[u]] over u in [lo, hi), in two
// running sums: one waits for each of its additions.
func gather(val []float64, at []int32, y []float64, lo, hi int32) float64 {
	var s0, s1 float64
	u := lo
	for ; u+2 <= hi; u += 2 {
		s0 += val[u] * y[at[u]]
		s1 += val[u+1] * y[at[u+1]]
	}
	if u < hi {
		s0 += val[u] * y[at[u]]
	}
	return s0 + s1
}

// cgSolve sets x to an approximate solution of H·x = b by preconditioned
// conjugate gradients, H the Hessian of weights wt over edges and diagonal
// dg, to a
// residual below forcing·|b| in at most maxIt iterations. With project,
// H is a Laplacian without prior, b is orthogonal to 1, and so are the
// iterates (apply must keep them so). It reports false when the
// iterations stalled or ran out; x is then the last iterate, which still
// descends: every conjugate-gradient iterate from 0 has bᵀx > 0.
func cgSolve(edges []edge, wt, dg []float64, apply func(r, z []float64), b, x []float64, forcing float64, maxIt int, cg *[4][]float64) bool {
	res, z, d, hd := cg[0], cg[1], cg[2], cg[3]
	clear(x)
	copy(res, b)
	stop := forcing * forcing * dot(res, res)
	if stop == 0 {
		return true
	}
	apply(res, z)
	copy(d, z)
	rz := dot(res, z)
	for range maxIt {
		hessVec(edges, wt, dg, d, hd)
		dhd := dot(d, hd)
		if !(dhd > 0) || !(rz > 0) {
			return false
		}
		a := rz / dhd
		rr := 0.0
		for i := range x {
			x[i] += a * d[i]
			res[i] -= a * hd[i]
			rr += res[i] * res[i]
		}
		if rr <= stop {
			return true
		}
		apply(res, z)
		next := dot(res, z)
		beta := next / rz
		rz = next
		for i := range d {
			d[i] = z[i] + beta*d[i]
		}
	}
	return false
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}
