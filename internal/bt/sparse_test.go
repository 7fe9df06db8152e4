package bt

import (
	"bufio"
	"compress/gzip"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/synth"
)

// board returns the problem of a synthetic board and its cells as pair
// indices, outcomes (1, 0 or ½ for the pair's model I) and counts.
type cell struct {
	pair  int
	y     float64
	count float64
}

func board(o synth.Options) (Problem, []cell) {
	p := Problem{Models: o.Models}
	var cells []cell
	for _, c := range synth.Cells(o) {
		if n := len(p.Pairs); n == 0 || p.Pairs[n-1].I != int32(c.A) || p.Pairs[n-1].J != int32(c.B) {
			p.Pairs = append(p.Pairs, Pair{I: int32(c.A), J: int32(c.B)})
		}
		q := &p.Pairs[len(p.Pairs)-1]
		y := [...]float64{synth.AWins: 1, synth.BWins: 0, synth.Tie: 0.5}[c.Winner]
		q.N += float64(c.Count)
		q.W += float64(c.Count) * y
		cells = append(cells, cell{len(p.Pairs) - 1, y, float64(c.Count)})
	}
	return p, cells
}

// resampled redraws every cell's count from Poisson(count): given their
// total, such counts are the bootstrap's multinomial ones. Counts over 500
// draw from the normal approximation, rounded.
func resampled(rng *rand.Rand, p Problem, cells []cell) Problem {
	q := Problem{Models: p.Models, Pairs: slices.Clone(p.Pairs)}
	for i := range q.Pairs {
		q.Pairs[i].N, q.Pairs[i].W = 0, 0
	}
	for _, c := range cells {
		x, f := 0.0, math.Exp(-c.count)
		if c.count > 500 {
			x = max(0, math.Round(c.count+math.Sqrt(c.count)*rng.NormFloat64()))
		}
		for u := rng.Float64(); c.count <= 500 && u > f; x++ {
			u -= f
			f *= c.count / (x + 1)
		}
		q.Pairs[c.pair].N += x
		q.Pairs[c.pair].W += x * c.y
	}
	return q
}

// denseFit is the reference for sparse fits: Newton's method with the
// n×n Hessian, from 0, under p's own rule.
func denseFit(t *testing.T, p Problem) []float64 {
	t.Helper()
	w := new(Work)
	w.resize(p.Models)
	prior := 0.0
	if !WellPosed(p) {
		prior = VirtualTies
	}
	if _, ok := w.newtonDense(p, prior, 1e-12); !ok {
		t.Fatal("the dense reference fit did not converge")
	}
	centre(w.r)
	return slices.Clone(w.r)
}

func maxPoints(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(400*(a[i]-b[i])))
	}
	return d
}

// Sparse boards, as arenas and leagues have them: many models, most pairs
// never met, some models with few votes, groups that mostly meet each
// other.
var sparseBoards = map[string]synth.Options{
	"arena":    {Battles: 20_000, Models: 300, Ties: 0.1, Seed: 4, PairExponent: 0.7, ModelSpread: 0.8},
	"league":   {Battles: 25_000, Models: 200, Ties: 0.2, Seed: 2, PairExponent: 0.3, Groups: 5, CrossGroup: 0.005, Spread: 0.8, ModelSpread: 1.0},
	"illposed": {Battles: 8_000, Models: 150, Ties: 0.1, Seed: 3, PairExponent: 0.7, ModelSpread: 1.5},
}

// On sparse boards Fit takes the sparse path (no n×n matrix) and reaches
// the optimum the dense Newton's method reaches, under the same rule.
func TestSparseFitMatchesDense(t *testing.T) {
	for name, o := range sparseBoards {
		p, _ := board(o)
		if Dense(p) {
			t.Fatalf("%s: %d pairs among %d models is not sparse", name, len(p.Pairs), p.Models)
		}
		got := Fit(p, Options{})
		if got.WellPosed != (name != "illposed") || got.MaxGradient > 1e-8 {
			t.Errorf("%s: well posed %v, gradient %g", name, got.WellPosed, got.MaxGradient)
		}
		if d := maxPoints(got.Ratings, denseFit(t, p)); d > 1e-6 {
			t.Errorf("%s: %g points from the dense fit", name, d)
		}
	}
}

// A refit converges to the optimum of its own resample, under that
// resample's rule (the maximum likelihood, or the fit with virtual ties
// when it has none), whatever the reference: resamples of sparse boards,
// most of them without maximum likelihood, against a dense fit of the
// same resample. Refits of such resamples were once preconditioned with
// the reference's Hessian without virtual ties, and on sparse data some
// ran thousands of points away; they now use their own Hessian.
func TestRefitMatchesDenseFitOfResample(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for name, o := range sparseBoards {
		p, cells := board(o)
		full := Fit(p, Options{})
		c, ok := NewChord(p, full.Ratings)
		if !ok {
			t.Fatalf("%s: no chord", name)
		}
		w := new(Work)
		seen := map[bool]int{}
		for range 12 {
			q := resampled(rng, p, cells)
			posed := WellPosed(q)
			seen[posed]++
			got := c.Refit(q, 1e-10, w)
			if got.WellPosed != posed || got.Prior != map[bool]float64{true: 0, false: VirtualTies}[posed] {
				t.Fatalf("%s: well posed %v (want %v), prior %v", name, got.WellPosed, posed, got.Prior)
			}
			if d := maxPoints(got.Ratings, denseFit(t, q)); d > 1e-6 {
				t.Fatalf("%s: well posed %v: %g points from the dense fit after %d iterations", name, posed, d, got.Iterations)
			}
		}
		t.Logf("%s: %d resamples well posed, %d not", name, seen[true], seen[false])
		if name == "league" && (seen[true] == 0 || seen[false] == 0) {
			t.Errorf("%s: the test needs both kinds of resample", name)
		}
	}
}

// runawayResamples reads testdata/runaway-resamples.txt.gz: a board (its
// pairs' counts) and resamples of it (other counts of the same pairs).
func runawayResamples(t *testing.T) (Problem, []Problem) {
	t.Helper()
	f, err := os.Open("testdata/runaway-resamples.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var p Problem
	var qs []Problem
	sc := bufio.NewScanner(z)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		v := make([]float64, len(fields))
		for k, s := range fields {
			if v[k], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
		}
		if len(v) < 6 || len(v)%2 != 0 || qs != nil && len(qs) != len(v)/2-2 {
			t.Fatalf("line %d: %d fields", line, len(v))
		}
		if qs == nil {
			qs = make([]Problem, len(v)/2-2)
		}
		i, j := int32(v[0]), int32(v[1])
		p.Models = max(p.Models, int(j)+1)
		p.Pairs = append(p.Pairs, Pair{I: i, J: j, N: v[2], W: v[3]})
		for r := range qs {
			qs[r].Pairs = append(qs[r].Pairs, Pair{I: i, J: j, N: v[4+2*r], W: v[5+2*r]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for r := range qs {
		qs[r].Models = p.Models
	}
	return p, qs
}

// Resamples on which the refit once ran away reach the dense fit of the
// same resample. The board (testdata, with how it and the resamples were
// drawn) is shaped like international football results: 300 models,
// 50,000 battles, 6,354 of 44,850 pairs met, ratings from −5 to 4.5; it
// is well posed, and nearly all of its resamples are not. At 8a6660d a
// refit of such a resample ran Newton's method with virtual ties from the
// reference's ratings, where a step could throw a model far into the
// virtual ties' flat tail; the next step was then of order 10³², its line
// search failed, and it was taken anyway at 2⁻⁵⁹ of its length, by the
// refit and by Fit, to which the refit fell back: 13 of 2,000 rounds
// ended 7·10⁶ to 10⁶⁸ points from the dense fit (the others within 10⁻⁷ points),
// these five among them. They are refitted as a bootstrap round refits
// them: the chord of the board's Fit, tol 1e-7. (Run gives such a board
// one-step rounds; the refit must be right anyway.)
func TestRefitOfRunawayResamplesMatchesDenseFit(t *testing.T) {
	p, qs := runawayResamples(t)
	full := Fit(p, Options{})
	if !full.WellPosed || len(qs) == 0 {
		t.Fatalf("board well posed %v, %d resamples: the test needs a well-posed board and resamples", full.WellPosed, len(qs))
	}
	c, ok := NewChord(p, full.Ratings)
	if !ok {
		t.Fatal("no chord")
	}
	w := new(Work)
	for k, q := range qs {
		if WellPosed(q) {
			t.Fatalf("resample %d is well posed: it is not one that ran away", k)
		}
		got := c.Refit(q, 1e-7, w)
		if got.WellPosed || got.Prior != VirtualTies {
			t.Fatalf("resample %d: well posed %v, prior %v", k, got.WellPosed, got.Prior)
		}
		want := denseFit(t, q)
		d := 0.0
		for i, r := range got.Ratings {
			if math.IsNaN(r) || math.IsInf(r, 0) {
				t.Fatalf("resample %d: model %d rated %v", k, i, r)
			}
			d = max(d, math.Abs(r-want[i]))
		}
		t.Logf("resample %d: %.2g rating units from the dense fit after %d iterations", k, d, got.Iterations)
		if d > 1e-6 {
			t.Errorf("resample %d: %g rating units (%g points) from the dense fit", k, d, 400*d)
		}
	}
}

// On a complete graph the incomplete factor drops nothing: it is the
// Cholesky factor, and apply is the inverse of the Hessian with virtual
// ties, or without them, of the Laplacian with its diagonal shifted,
// projected orthogonally to 1.
func TestIncompleteExactOnCompleteGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	p := simulate(rng, 12, 20_000)
	if len(p.Pairs) != 66 {
		t.Fatalf("%d pairs, want all 66", len(p.Pairs))
	}
	n := p.Models
	r := Fit(p, Options{}).Ratings
	for _, prior := range []float64{0, VirtualTies} {
		g, e, dg := make([]float64, n), make([]float64, n), make([]float64, n)
		wt := make([]float64, len(p.Pairs))
		gradHess(p, prior, r, e, g, wt, dg)
		f := newIncomplete(newPattern(p), prior == 0)
		if !f.factor(p, wt, dg) {
			t.Fatal("factor failed")
		}
		h := make([]float64, n*n)
		hessian(p, wt, dg, h)
		if prior == 0 {
			for i := range n {
				h[i*n+i] *= 1 + laplacianShift
			}
		}
		inv, _ := inverse(h, n)
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		if prior == 0 {
			centre(v)
		}
		got, want := make([]float64, n), make([]float64, n)
		f.apply(v, got, make([]float64, n))
		mulDense(inv, n, v, want)
		if prior == 0 {
			centre(want)
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-10*max(1, math.Abs(want[i])) {
				t.Fatalf("prior %v: entry %d: %v, want %v", prior, i, got[i], want[i])
			}
		}
	}
}

// Two pairs between the same models share one entry of the factor, as
// they share one entry of the Hessian.
func TestPatternMergesRepeatedPairs(t *testing.T) {
	one := Problem{Models: 4, Pairs: []Pair{{0, 1, 10, 6}, {1, 2, 8, 3}, {2, 3, 5, 2}, {0, 3, 7, 4}}}
	two := Problem{Models: 4, Pairs: []Pair{{2, 3, 5, 2}, {0, 1, 4, 2}, {1, 2, 8, 3}, {0, 3, 7, 4}, {0, 1, 6, 4}}}
	r := []float64{0.1, -0.2, 0.3, -0.2}
	apply := func(p Problem) []float64 {
		g, e, dg := make([]float64, 4), make([]float64, 4), make([]float64, 4)
		wt := make([]float64, len(p.Pairs))
		gradHess(p, 0, r, e, g, wt, dg)
		f := newIncomplete(newPattern(p), true)
		if !f.factor(p, wt, dg) {
			t.Fatal("factor failed")
		}
		z := make([]float64, 4)
		f.apply([]float64{1, -2, 0.5, 0.5}, z, make([]float64, 4))
		return z
	}
	a, b := apply(one), apply(two)
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			t.Fatalf("entry %d: %v with merged pairs, %v with repeated ones", i, a[i], b[i])
		}
	}
}

// A step that does not descend, is not finite, or raises the objective
// at every length is refused, and the ratings stay where they were: a fit
// never takes a step its line search cannot justify (a step accepted
// after its line search failed is how a refit runs away), nor counts one
// cut short as convergence.
func TestAdvanceRefusesBadSteps(t *testing.T) {
	p := Problem{Models: 3, Pairs: []Pair{{0, 1, 20, 13}, {0, 2, 15, 6.5}, {1, 2, 30, 11}}}
	w := new(Work)
	w.resize(3)
	at := []float64{0.3, -0.4, 0.1}
	gradHess(p, 0, at, w.e, w.g, nil, nil)
	g := slices.Clone(w.g)
	for name, step := range map[string][]float64{
		"uphill":   g,
		"infinite": {math.Inf(-1), 0, 0},
		"nan":      {math.NaN(), 0, 0},
		"too long": {-1e30 * g[0], -1e30 * g[1], -1e30 * g[2]},
	} {
		copy(w.r, at)
		copy(w.g, g)
		copy(w.step, step)
		loss := math.NaN()
		if _, _, ok := w.advance(p, 0, &loss); ok {
			t.Errorf("%s: the step was taken", name)
		}
		if maxPoints(w.r, at) != 0 {
			t.Errorf("%s: the ratings moved", name)
		}
	}
	// A good step that needs damping is taken, but not whole.
	copy(w.r, at)
	copy(w.g, g)
	for i := range w.step {
		w.step[i] = -40 * g[i]
	}
	loss := math.NaN()
	if _, full, ok := w.advance(p, 0, &loss); !ok || full {
		t.Errorf("a long descending step: taken %v, whole %v", ok, full)
	}
}

// From a start where Newton's method cannot even begin (infinite or NaN
// ratings), Fit starts again from 0 and reaches the same optimum.
func TestFitRecoversFromBadStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for name, o := range map[string]synth.Options{"dense": {Battles: 3000, Models: 10, Seed: 1, Ties: 0.1}, "sparse": sparseBoards["arena"]} {
		p, _ := board(o)
		want := Fit(p, Options{}).Ratings
		for _, bad := range []float64{math.NaN(), math.Inf(1), 1e300} {
			start := make([]float64, p.Models)
			for i := range start {
				start[i] = rng.NormFloat64()
			}
			start[3] = bad
			got := Fit(p, Options{Start: start})
			if d := maxPoints(got.Ratings, want); d > 1e-6 || got.MaxGradient > 1e-8 {
				t.Errorf("%s, start %v: %g points off, gradient %g", name, bad, d, got.MaxGradient)
			}
		}
	}
}

// The MM algorithm, Fit's last resort, reaches Fit's optimum with and
// without virtual ties.
func TestMMReachesOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, p := range []Problem{simulate(rng, 12, 3000), simulate(rng, 30, 60)} {
		want := Fit(p, Options{})
		w := new(Work)
		w.resize(p.Models)
		clear(w.r)
		if it := mm(p, want.Prior, 1e-11, w); it >= mmSteps {
			t.Fatalf("prior %v: mm did not converge", want.Prior)
		}
		centre(w.r)
		if d := maxPoints(w.r, want.Ratings); d > 1e-6 {
			t.Errorf("prior %v: mm %g points from Newton's optimum", want.Prior, d)
		}
	}
}

// WellPosed is strong connectivity of the beat graph: against reachability
// by brute force on small random problems, some with pairs of no battles.
func TestWellPosedIsStrongConnectivity(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	seen, resamples := map[bool]int{}, map[bool]int{}
	// brute decides by the transitive closure of the beat graph.
	brute := func(p Problem) bool {
		n := p.Models
		reach := make([][]bool, n)
		for i := range reach {
			reach[i] = make([]bool, n)
			reach[i][i] = true
		}
		for _, q := range p.Pairs {
			if q.N > 0 && q.W > 0 {
				reach[q.I][q.J] = true
			}
			if q.N > 0 && q.N-q.W > 0 {
				reach[q.J][q.I] = true
			}
		}
		for k := range n {
			for i := range n {
				for j := range n {
					reach[i][j] = reach[i][j] || reach[i][k] && reach[k][j]
				}
			}
		}
		for i := range n {
			for j := range n {
				if !reach[i][j] {
					return false
				}
			}
		}
		return true
	}
	for range 3000 {
		n := 2 + rng.IntN(6)
		// A problem of wins, losses and ties per pair, and one whose
		// counts are at most those (a resample's).
		p, q := Problem{Models: n}, Problem{Models: n}
		for i := range n {
			for j := i + 1; j < n; j++ {
				if rng.IntN(4) == 0 {
					continue
				}
				var c, d [3]float64 // wins, losses, ties
				for o := range c {
					if rng.IntN(2) == 0 {
						c[o] = float64(1 + rng.IntN(3))
						d[o] = float64(rng.IntN(int(c[o]) + 1))
					}
				}
				p.Pairs = append(p.Pairs, Pair{I: int32(i), J: int32(j), N: c[0] + c[1] + c[2], W: c[0] + c[2]/2})
				q.Pairs = append(q.Pairs, Pair{I: int32(i), J: int32(j), N: d[0] + d[1] + d[2], W: d[0] + d[2]/2})
			}
		}
		for _, x := range []Problem{p, q} {
			want := brute(x)
			if got := WellPosed(x); got != want {
				t.Fatalf("WellPosed %v, want %v: %+v", got, want, x)
			}
			seen[want]++
		}
		want := brute(q)
		if got := wellPosed(q, twoWay(p)); got != want {
			t.Fatalf("a resample: %v, want %v: %+v of %+v", got, want, q, p)
		}
		resamples[want]++
	}
	if seen[true] < 600 || seen[false] < 600 || resamples[true] < 300 || resamples[false] < 300 {
		t.Fatalf("cases: %v, resamples: %v", seen, resamples)
	}
}

// When Anderson's mixing goes astray (here with a factor a thousand times
// too small, whose steps overshoot), it does not end within its steps,
// Newton's method and Fit take over, and the refit still reaches the dense
// fit of the resample.
func TestAndersonFallsBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	p, cells := board(sparseBoards["arena"])
	c, _ := NewChord(p, Fit(p, Options{}).Ratings)
	if c.ic == nil {
		t.Fatal("the test needs a sparse chord")
	}
	for i := range c.ic.d {
		c.ic.d[i] *= 0.03
	}
	for i := range c.ic.val {
		c.ic.val[i] *= 0.03
	}
	c.ic.solveForm()
	w := new(Work)
	for range 3 {
		q := resampled(rng, p, cells)
		if !WellPosed(q) {
			continue
		}
		got := c.Refit(q, 1e-10, w)
		if got.Iterations <= andersonSteps {
			t.Errorf("%d iterations: the mixing ended by itself", got.Iterations)
		}
		if d := maxPoints(got.Ratings, denseFit(t, q)); d > 1e-6 {
			t.Fatalf("%g points from the dense fit after %d iterations", d, got.Iterations)
		}
	}
}

// BenchmarkFit1000 fits 1000 models and 150,000 battles from scratch, by
// Fit and by the plain Newton's method it replaced on such boards (the
// n×n Hessian factored at every step), in one run so that the two meet
// the same machine: the default synthetic shape (30,000 pairs met) and a
// sparser one (80,000 pairs, some models with few votes). cpu-ms/op is the
// process's CPU time per fit, steadier than wall time on a shared machine.
func BenchmarkFit1000(b *testing.B) {
	for name, o := range map[string]synth.Options{
		"default": {Battles: 150_000, Models: 1000, Ties: 0.1, Seed: 1},
		"sparse":  {Battles: 150_000, Models: 1000, Ties: 0.1, Seed: 1, PairExponent: 0.7, ModelSpread: 0.8},
	} {
		p, _ := board(o)
		b.Run(name+"/fit", func(b *testing.B) {
			cpu := cpuTime()
			for range b.N {
				Fit(p, Options{})
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()*1e3/float64(b.N), "cpu-ms/op")
		})
		b.Run(name+"/plain-newton", func(b *testing.B) {
			cpu := cpuTime()
			for range b.N {
				w := new(Work)
				w.resize(p.Models)
				w.newtonDense(p, 0, 1e-10)
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// On a sparse board nothing n×n is made: fitting, preparing the chord and
// the one-step rounds, and each round allocate memory that follows the
// pairs met and the models, under 100 bytes each (45,000 pairs: 4.5 MB
// where one 1000×1000 matrix takes 8).
func TestSparseMemoryFollowsPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	p, cells := board(synth.Options{Battles: 60_000, Models: 1000, Ties: 0.1, Seed: 9, PairExponent: 0.7, ModelSpread: 0.8})
	limit := uint64(100 * (len(p.Pairs) + p.Models))
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	var fit Result
	var c *Chord
	var s *OneStep
	for _, step := range []struct {
		name string
		f    func()
	}{
		{"fit", func() { fit = Fit(p, Options{}) }},
		{"chord", func() { c, _ = NewChord(p, fit.Ratings) }},
		{"one step", func() { s, _ = NewOneStep(p, fit) }},
		{"a round", func() {
			q := resampled(rng, p, cells)
			w := new(Work)
			c.Refit(q, 1e-7, w)
			s.Round(q, w)
		}},
	} {
		b := allocated(step.f)
		t.Logf("%s: %d bytes for %d pairs and %d models", step.name, b, len(p.Pairs), p.Models)
		if b > limit {
			t.Errorf("%s: %d bytes, more than %d", step.name, b, limit)
		}
	}
}

// A chain of models, each met only by its neighbours, is the worst case of
// the diagonal preconditioner (conjugate gradients need about as many
// iterations as models): the steps go over to the incomplete factor,
// exact on a chain, and the fit is the dense one.
func TestSparseFitOfChain(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 15))
	p := Problem{Models: 400}
	for i := range int32(399) {
		n := float64(5 + rng.IntN(20))
		p.Pairs = append(p.Pairs, Pair{I: i, J: i + 1, N: n, W: math.Round(n * (0.2 + 0.6*rng.Float64()))})
	}
	if Dense(p) || !WellPosed(p) {
		t.Fatal("the chain should be sparse and well posed")
	}
	got := Fit(p, Options{})
	if got.MaxGradient > 1e-8 {
		t.Errorf("gradient %g", got.MaxGradient)
	}
	if d := maxPoints(got.Ratings, denseFit(t, p)); d > 1e-6 {
		t.Errorf("%g points from the dense fit", d)
	}
}
