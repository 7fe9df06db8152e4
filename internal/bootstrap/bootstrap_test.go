package bootstrap

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/bt"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// lfact is log(x!).
func lfact(x float64) float64 {
	v, _ := math.Lgamma(x + 1)
	return v
}

// binomialPMF returns P(X = k) for X ~ Binomial(n, p).
func binomialPMF(n, k int64, p float64) float64 {
	return math.Exp(lfact(float64(n)) - lfact(float64(k)) - lfact(float64(n-k)) +
		float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

// poissonPMF returns P(X = k) for X ~ Poisson(mu).
func poissonPMF(mu float64, k int64) float64 {
	return math.Exp(-mu + float64(k)*math.Log(mu) - lfact(float64(k)))
}

// The sampler's frequencies match the exact probabilities (a chi-square
// test per case), from tables and by PTRS, small means to large.
func TestPoissonDistribution(t *testing.T) {
	rng := rand.NewPCG(11, 12)
	for _, tc := range []struct {
		mu    float64
		table bool
	}{
		{0.02, true}, {0.7, true}, {3, true}, {9.99, true}, {64, true}, {1000, true}, {250_000, true},
		{10, false}, {17.5, false}, {64, false}, {1000, false}, {250_000, false},
	} {
		var tables poissonTables
		p := newPTRS(tc.mu)
		if tc.table {
			tables.table(&p)
		}
		const draws = 200_000
		counts := map[int64]int{}
		sum := 0.0
		for range draws {
			x := tables.draw(&p, rng)
			if x < 0 {
				t.Fatalf("mu=%v: drew %d", tc.mu, x)
			}
			counts[x]++
			sum += float64(x)
		}
		hi := int64(tc.mu + 12*math.Sqrt(tc.mu) + 20)
		if ok, msg := fits(counts, draws, hi, func(k int64) float64 { return poissonPMF(tc.mu, k) }); !ok {
			t.Errorf("mu=%v table=%v: %s; mean %.3f", tc.mu, tc.table, msg, sum/draws)
		}
	}
}

// A table holds the distribution function: it ends at 1, and each entry
// is within rounding of the exact P(X ≤ k) (relative 10⁻⁹: at mu = 10⁶
// the reference's exponent, some 10⁷ before it cancels, keeps no more).
func TestPoissonTable(t *testing.T) {
	for _, mu := range []float64{0.5, 12, 777.7, 1e6} {
		var tables poissonTables
		p := newPTRS(mu)
		tables.table(&p)
		cdf := tables.cdf[p.off : p.off+p.size]
		if cdf[len(cdf)-1] != 1 || (p.lo > 0) != (mu > 100) {
			t.Fatalf("mu=%v: table from %d, last %v", mu, p.lo, cdf[len(cdf)-1])
		}
		exact := 0.0
		for k := int64(0); k < p.lo; k++ {
			exact += poissonPMF(mu, k)
		}
		for i, c := range cdf[:len(cdf)-1] {
			exact += poissonPMF(mu, p.lo+int64(i))
			if math.Abs(c-exact) > 1e-12+1e-9*exact {
				t.Fatalf("mu=%v: P(X ≤ %d) %v, want %v", mu, p.lo+int64(i), c, exact)
			}
		}
		// The table ends where the probabilities fall under 2⁻⁶⁴.
		below, beyond := 0.0, poissonPMF(mu, p.lo+int64(p.size))
		if p.lo > 0 {
			below = poissonPMF(mu, p.lo-1)
		}
		if below > 0x1p-63 || beyond > 0x1p-63 || poissonPMF(mu, p.lo+int64(p.size)-1) < 0x1p-65 {
			t.Errorf("mu=%v: P(X = %d) = %v and P(X = %d) = %v around the table", mu, p.lo-1, below, p.lo+int64(p.size), beyond)
		}
	}
}

// fits is a chi-square test that counts (value → times drawn, of draws)
// come from the distribution pmf on 0..hi, at the 99.99% level.
func fits(counts map[int64]int, draws int, hi int64, pmf func(int64) float64) (bool, string) {
	// Pool the values into bins of expected count ≥ 50.
	chi, bins := 0.0, 0
	var exp float64
	var obs int
	for k := int64(0); k <= hi; k++ {
		exp += float64(draws) * pmf(k)
		obs += counts[k]
		if exp >= 50 || k == hi {
			if exp > 1e-9 {
				chi += (float64(obs) - exp) * (float64(obs) - exp) / exp
				bins++
			}
			exp, obs = 0, 0
		}
	}
	for k, n := range counts {
		if k > hi {
			return false, fmt.Sprintf("drew %d %d times, beyond %d", k, n, hi)
		}
	}
	// The 99.99% point of chi-square with d degrees of freedom is below
	// d + 4.5·sqrt(2d) + 15 for the sizes here.
	d := float64(bins - 1)
	limit := d + 4.5*math.Sqrt(2*d) + 15
	return chi <= limit, fmt.Sprintf("chi-square %.1f over %d bins (limit %.1f)", chi, bins, limit)
}

// A round's counts are Multinomial(total, Count/total): each cell's count
// is Binomial(total, Count/total), and so is the sum of any cells, whether
// cells draw from tables or by PTRS, and when the Poisson stage has
// nothing to draw (a total under slack²).
func TestResampleIsMultinomial(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int64
		budget int
		watch  map[string][]int
	}{
		{"tables", []int64{1, 2, 3, 5, 7, 8, 40, 1000, 3}, tableBudget,
			map[string][]int{"1": {0}, "7": {4}, "8": {5}, "1000": {7}, "3+3": {2, 8}, "2+40": {1, 6}}},
		{"ptrs", []int64{1, 2, 3, 5, 7, 8, 40, 1000, 3}, 0,
			map[string][]int{"1": {0}, "40": {6}, "1000": {7}, "3+40": {2, 6}}},
		{"tiny", []int64{1, 1}, tableBudget, map[string][]int{"1": {0}}},
	} {
		var cells []Cell
		var total int64
		for i, c := range tc.counts {
			cells = append(cells, Cell{Pair: int32(i), Y: 1, Count: c})
			total += c
		}
		pl := newPlan(cells, tc.budget)
		pairs := make([]bt.Pair, len(cells))
		const rounds = 100_000
		seen := map[string]map[int64]int{}
		for k := range tc.watch {
			seen[k] = map[int64]int{}
		}
		rng := rand.NewPCG(7, 8)
		for range rounds {
			resample(rng, pl, pairs)
			for k, idx := range tc.watch {
				var x float64
				for _, i := range idx {
					x += pairs[i].N
				}
				seen[k][int64(x)]++
			}
		}
		for k, idx := range tc.watch {
			var c int64
			for _, i := range idx {
				c += tc.counts[i]
			}
			p := float64(c) / float64(total)
			if ok, msg := fits(seen[k], rounds, total, func(x int64) float64 { return binomialPMF(total, x, p) }); !ok {
				t.Errorf("%s: cells %s: %s", tc.name, k, msg)
			}
		}
	}
}

// PTRS's log k! from Stirling's series equals the exact one.
func TestLogFactorial(t *testing.T) {
	for _, k := range []float64{0, 1, 5, 9, 10, 11, 57, 1000, 123457, 1e9} {
		got := (k+0.5)*math.Log(k+1) - (k + 1) + 0.5*math.Log(2*math.Pi) + stirlingTail(k)
		if exact := lfact(k); math.Abs(got-exact) > 1e-12*max(1, exact) {
			t.Errorf("log %v! = %v, want %v", k, got, exact)
		}
	}
}

func TestResampleKeepsTotal(t *testing.T) {
	rng := rand.NewPCG(1, 1)
	cells := []Cell{{0, 1, 500}, {0, 0, 300}, {1, 0.5, 7}, {2, 1, 193_000}}
	pairs := make([]bt.Pair, 3)
	var meanN [3]float64
	for range 2000 {
		resample(rng, newPlan(cells, tableBudget), pairs)
		if s := pairs[0].N + pairs[1].N + pairs[2].N; s != 193_807 {
			t.Fatalf("resampled %v battles, want 193807", s)
		}
		for i := range pairs {
			meanN[i] += pairs[i].N / 2000
		}
	}
	for i, want := range []float64{800, 7, 193_000} {
		if math.Abs(meanN[i]-want) > 4*math.Sqrt(want)/math.Sqrt(2000)+0.01*want {
			t.Errorf("pair %d: mean N %.2f, want %.0f", i, meanN[i], want)
		}
	}
}

// simulated returns the cells and pairs of battles among models of the
// given strengths (ratings, log10 units), with ties.
func simulated(rng *rand.Rand, strength []float64, battles int) (bt.Problem, []Cell) {
	n := len(strength)
	idx := map[[2]int]int32{}
	p := bt.Problem{Models: n}
	counts := map[[2]int32]int64{} // (pair, outcome 0 lose 1 tie 2 win)
	for range battles {
		i, j := rng.IntN(n), rng.IntN(n-1)
		if j >= i {
			j++
		}
		if i > j {
			i, j = j, i
		}
		k, ok := idx[[2]int{i, j}]
		if !ok {
			k = int32(len(p.Pairs))
			idx[[2]int{i, j}] = k
			p.Pairs = append(p.Pairs, bt.Pair{I: int32(i), J: int32(j)})
		}
		pr := 1 / (1 + math.Pow(10, strength[j]-strength[i]))
		// Ties take 10% (less near certainty) and leave the expected
		// outcome at pr, so that the model holds exactly.
		tie := min(0.1, 2*pr, 2*(1-pr))
		o := int32(0)
		switch u := rng.Float64(); {
		case u < tie:
			o = 1
		case u < tie+pr-tie/2:
			o = 2
		}
		counts[[2]int32{k, o}]++
		p.Pairs[k].N++
		p.Pairs[k].W += float64(o) / 2
	}
	var cells []Cell
	for k := range p.Pairs {
		for o := int32(0); o < 3; o++ {
			if c := counts[[2]int32{int32(k), o}]; c > 0 {
				cells = append(cells, Cell{Pair: int32(k), Y: float64(o) / 2, Count: c})
			}
		}
	}
	return p, cells
}

func TestRunThreadInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p, cells := simulated(rng, []float64{0, 0.2, -0.3, 0.5, 0.1, -0.1}, 3000)
	full := bt.Fit(p, bt.Options{}).Ratings
	a := Run(p, cells, full, Options{Rounds: 64, Seed: 9, Stream: 3, Threads: 1})
	b := Run(p, cells, full, Options{Rounds: 64, Seed: 9, Stream: 3, Threads: 5})
	c := Run(p, cells, full, Options{Rounds: 64, Seed: 10, Stream: 3, Threads: 2})
	same := true
	for i := range a.Ratings {
		if a.Ratings[i] != b.Ratings[i] {
			t.Fatalf("rating %d differs between 1 and 5 threads: %v vs %v", i, a.Ratings[i], b.Ratings[i])
		}
		same = same && a.Ratings[i] == c.Ratings[i]
	}
	if same {
		t.Fatal("another seed gives the same rounds")
	}
}

// Over many simulated data sets with known strengths, the 95% intervals
// contain the true centred score for about 95% of the models. With 600
// intervals the standard error of the rate is 0.9%; the bounds allow
// about four of them on the low side (percentile intervals are known to
// under-cover a little) and three on the high side.
func TestIntervalsCoverTrueStrengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 11))
	const replications, models = 60, 10
	covered, total := 0, 0
	for rep := range replications {
		strength := make([]float64, models)
		mean := 0.0
		for i := range strength {
			strength[i] = rng.NormFloat64() * 0.25
			mean += strength[i] / models
		}
		p, cells := simulated(rng, strength, 4000)
		full := bt.Fit(p, bt.Options{}).Ratings
		res := Run(p, cells, full, Options{Rounds: 400, Seed: uint64(rep), Threads: 2})
		for i := range models {
			lo, hi := res.Interval(i, 0.025, 0.975)
			truth := strength[i] - mean
			if lo <= truth && truth <= hi {
				covered++
			}
			total++
		}
	}
	rate := float64(covered) / float64(total)
	t.Logf("coverage %.3f over %d intervals", rate, total)
	if rate < 0.91 || rate > 0.98 {
		t.Errorf("coverage %.3f, want 0.95 (0.91 to 0.98)", rate)
	}
}

func TestQuantileLinear(t *testing.T) {
	v := []float64{1, 2, 4, 8}
	for _, tc := range []struct{ q, want float64 }{{0, 1}, {1, 8}, {0.5, 3}, {0.025, 1.075}, {0.975, 7.7}} {
		if got := Quantile(v, tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func BenchmarkRun30Models1000Rounds(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := make([]float64, 30)
	for i := range s {
		s[i] = rng.NormFloat64() * 0.3
	}
	p, cells := simulated(rng, s, 1_000_000)
	full := bt.Fit(p, bt.Options{}).Ratings
	b.ResetTimer()
	for range b.N {
		Run(p, cells, full, Options{Rounds: 1000, Seed: 1})
	}
}

// A draw from a table and by PTRS, as a bootstrap plan holds them.
func BenchmarkPoisson(b *testing.B) {
	rng := rand.NewPCG(1, 1)
	for _, mu := range []float64{3, 50, 1000, 100_000} {
		for _, table := range []bool{true, false} {
			if mu < ptrsFrom && !table {
				continue
			}
			var tables poissonTables
			p := newPTRS(mu)
			if table {
				tables.table(&p)
			}
			b.Run(fmt.Sprintf("mu=%v/table=%v", mu, table), func(b *testing.B) {
				for range b.N {
					tables.draw(&p, rng)
				}
			})
		}
	}
}

// Huge counts (a hostile or aggregated stream: 2⁴⁰ battles in a line)
// cost a round no more than small ones, and the round is still
// Multinomial(total, Count/total): the total is kept, and each cell's
// count has the binomial's mean and variance.
func TestResampleHugeCounts(t *testing.T) {
	for _, counts := range [][]int64{
		{1 << 40, 1 << 39, 3, 1 << 40},
		{4_000_000, 2_000_000, 17, 5}, // left ≈ 3,700 > directTopUp(4)
	} {
		var cells []Cell
		var total int64
		for i, c := range counts {
			cells = append(cells, Cell{Pair: int32(i), Y: 1, Count: c})
			total += c
		}
		pl := newPlan(cells, tableBudget)
		pairs := make([]bt.Pair, len(cells))
		const rounds = 4000
		sum := make([]float64, len(cells))
		sq := make([]float64, len(cells))
		rng := rand.NewPCG(3, 4)
		for range rounds {
			resample(rng, pl, pairs)
			var n float64
			for i, p := range pairs {
				n += p.N
				d := p.N - float64(counts[i])
				sum[i] += d
				sq[i] += d * d
			}
			if int64(n) != total {
				t.Fatalf("%v: resampled %v battles, want %d", counts, n, total)
			}
		}
		for i, c := range counts {
			p := float64(c) / float64(total)
			v := float64(total) * p * (1 - p)
			mean, variance := sum[i]/rounds, sq[i]/rounds-(sum[i]/rounds)*(sum[i]/rounds)
			if math.Abs(mean) > 5*math.Sqrt(v/rounds)+1e-9 {
				t.Errorf("%v: cell %d: mean off by %g, want within %g", counts, i, mean, 5*math.Sqrt(v/rounds))
			}
			if math.Abs(variance-v) > 0.15*v+1e-9 {
				t.Errorf("%v: cell %d: variance %g, want %g", counts, i, variance, v)
			}
		}
	}
}

// The bootstrap of a leaderboard of huge counts costs what a small one
// does (compare with BenchmarkRunSmallCounts).
func BenchmarkRunHugeCounts(b *testing.B) { benchCounts(b, 1<<40) }

func BenchmarkRunSmallCounts(b *testing.B) { benchCounts(b, 100) }

func benchCounts(b *testing.B, count int64) {
	p := bt.Problem{Models: 3, Pairs: []bt.Pair{{I: 0, J: 1}, {I: 1, J: 2}, {I: 0, J: 2}}}
	cells := []Cell{{0, 1, count}, {0, 0, count / 2}, {1, 1, count}, {1, 0, count}, {2, 0.5, count}, {2, 1, count / 3}}
	for _, c := range cells {
		p.Pairs[c.Pair].N += float64(c.Count)
		p.Pairs[c.Pair].W += float64(c.Count) * c.Y
	}
	start := bt.Fit(p, bt.Options{}).Ratings
	for b.Loop() {
		Run(p, cells, start, Options{Rounds: 100, Seed: 1, Threads: 1})
	}
}

// A panic in a round's goroutine comes back to Run's caller, with the
// round's stack, after the other goroutines have stopped.
func TestPanicInRoundReachesCaller(t *testing.T) {
	p := bt.Problem{Models: 3, Pairs: []bt.Pair{{I: 0, J: 1, N: 10, W: 6}, {I: 1, J: 2, N: 10, W: 4}, {I: 0, J: 2, N: 10, W: 5}}}
	cells := []Cell{{Pair: 0, Y: 1, Count: 6}, {Pair: 0, Y: 0, Count: 4}, {Pair: 1, Y: 1, Count: 4}, {Pair: 1, Y: 0, Count: 6}, {Pair: 2, Y: 1, Count: 5}, {Pair: 2, Y: 0, Count: 5}}
	fit := bt.Fit(p, bt.Options{})
	faulttest.Panics(t, "bootstrap.run", func() {
		Run(p, cells, fit.Ratings, Options{Rounds: 50, Threads: 2, Progress: func(done int) {
			if done == 7 {
				panic("round 7")
			}
		}})
	})
}
