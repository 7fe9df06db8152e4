package bootstrap

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/bt"
)

// binomialPMF returns P(X = k) for X ~ Binomial(n, p).
func binomialPMF(n, k int64, p float64) float64 {
	return math.Exp(lfact(float64(n)) - lfact(float64(k)) - lfact(float64(n-k)) +
		float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

// The sampler's frequencies match the exact probabilities (a chi-square
// test per case, both algorithms and both halves of p).
func TestBinomialDistribution(t *testing.T) {
	rng := rand.NewPCG(11, 12)
	for _, tc := range []struct {
		n int64
		p float64
	}{
		{5, 0.3}, {40, 0.1}, {100, 0.5}, {1000, 0.02}, {1000, 0.97}, {1_000_000, 0.001}, {250, 0.3}, {30, 0.4},
	} {
		const draws = 200_000
		counts := map[int64]int{}
		sum := 0.0
		for range draws {
			x := binomial(rng, tc.n, tc.p)
			if x < 0 || x > tc.n {
				t.Fatalf("n=%d p=%v: drew %d", tc.n, tc.p, x)
			}
			counts[x]++
			sum += float64(x)
		}
		if ok, msg := binomialFits(counts, draws, tc.n, tc.p); !ok {
			t.Errorf("n=%d p=%v: %s; mean %.3f want %.3f", tc.n, tc.p, msg, sum/draws, float64(tc.n)*tc.p)
		}
	}
}

// binomialFits is a chi-square test that counts (value → times drawn, of
// draws) come from Binomial(n, p), at the 99.99% level.
func binomialFits(counts map[int64]int, draws int, n int64, p float64) (bool, string) {
	// Pool the values into bins of expected count ≥ 50.
	chi, bins := 0.0, 0
	var exp float64
	var obs int
	for k := int64(0); k <= n; k++ {
		exp += float64(draws) * binomialPMF(n, k, p)
		obs += counts[k]
		if exp >= 50 || k == n {
			if exp > 1e-9 {
				chi += (float64(obs) - exp) * (float64(obs) - exp) / exp
				bins++
			}
			exp, obs = 0, 0
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
// a cell is drawn by a binomial step or battle by battle from the alias
// table.
func TestResampleIsMultinomial(t *testing.T) {
	counts := []int64{1, 2, 3, 5, 7, fewBattles, 40, 1000, 3}
	var cells []Cell
	var total int64
	for i, c := range counts {
		cells = append(cells, Cell{Pair: int32(i), Y: 1, Count: c})
		total += c
	}
	pl := newPlan(cells)
	if len(pl.few) != 6 || len(pl.steps) != 3 {
		t.Fatalf("%d cells of few battles and %d steps, want 6 and 3", len(pl.few), len(pl.steps))
	}
	pairs := make([]bt.Pair, len(cells))
	const rounds = 100_000
	seen := map[string]map[int64]int{}
	watch := map[string][]int{"1": {0}, "7": {4}, "8": {5}, "1000": {7}, "3+3": {2, 8}, "2+40": {1, 6}}
	for k := range watch {
		seen[k] = map[int64]int{}
	}
	rng := rand.NewPCG(7, 8)
	for range rounds {
		resample(rng, pl, total, pairs)
		for k, idx := range watch {
			var x float64
			for _, i := range idx {
				x += pairs[i].N
			}
			seen[k][int64(x)]++
		}
	}
	for k, idx := range watch {
		var c int64
		for _, i := range idx {
			c += counts[i]
		}
		if ok, msg := binomialFits(seen[k], rounds, total, float64(c)/float64(total)); !ok {
			t.Errorf("cells %s: %s", k, msg)
		}
	}
}

// The Stirling-series ratio the sampler uses equals the exact one.
func TestLogRatioExact(t *testing.T) {
	for _, tc := range []struct{ n, p float64 }{{40, 0.3}, {1000, 0.02}, {1e6, 0.4}, {123457, 0.001}} {
		r := tc.p / (1 - tc.p)
		m := math.Floor((tc.n + 1) * tc.p)
		h := (m+0.5)*math.Log((m+1)/(r*(tc.n-m+1))) + stirlingTail(m) + stirlingTail(tc.n-m)
		for _, k := range []float64{0, 1, 5, 9, 10, m - 3, m, m + 7, tc.n - 1, tc.n} {
			if k < 0 || k > tc.n {
				continue
			}
			exact := lfact(m) + lfact(tc.n-m) - lfact(k) - lfact(tc.n-k) + (k-m)*math.Log(r)
			if got := logRatio(tc.n, r, m, h, k); math.Abs(got-exact) > 1e-8*max(1, math.Abs(exact)) {
				t.Errorf("n=%v p=%v k=%v: %v, want %v", tc.n, tc.p, k, got, exact)
			}
		}
	}
}

func TestResampleKeepsTotal(t *testing.T) {
	rng := rand.NewPCG(1, 1)
	cells := []Cell{{0, 1, 500}, {0, 0, 300}, {1, 0.5, 7}, {2, 1, 193_000}}
	pairs := make([]bt.Pair, 3)
	var meanN [3]float64
	for range 2000 {
		resample(rng, newPlan(cells), 193_807, pairs)
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

func BenchmarkBinomial(b *testing.B) {
	rng := rand.NewPCG(1, 1)
	for _, c := range []struct {
		n int64
		p float64
	}{{1_000_000, 0.001}, {1_000_000, 0.00001}, {500, 0.01}} {
		bn := newBinom(c.p) // as a bootstrap plan holds it
		b.Run(fmt.Sprint(c.n, "/", c.p), func(b *testing.B) {
			for range b.N {
				bn.draw(rng, c.n)
			}
		})
	}
}
