package style

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/bt"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// world is simulated battles with known strengths and a known style
// effect: each model has a verbosity and a taste for markdown, its
// answers' features vary around them, and a battle's outcome follows the
// contextual model with coefficients beta on the standardised
// differences.
type world struct {
	ratings []float64 // true, mean 0
	beta    [K]float64
	p       Problem
	mean    [K]float64
	sd      [K]float64
}

// simulate draws battles battles between models models from seed. With
// ties, a tenth of the battles are ties (which the model scores as half a
// win each).
func simulate(seed uint64, models, battles int, beta [K]float64, ties bool) world {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := world{ratings: make([]float64, models), beta: beta}
	verb := make([]Features, models)
	for i := range models {
		w.ratings[i] = rng.NormFloat64() * 0.25
		// Style unrelated to strength, so that a plain fit is biased by
		// it rather than merely scaled.
		verb[i] = Features{800 * math.Exp(rng.NormFloat64()*0.5), 2 * rng.Float64(), 5 * rng.Float64(), 4 * rng.Float64()}
	}
	centre(w.ratings)
	draw := func(v Features) Features {
		var f Features
		f[Length] = math.Round(v[Length] * math.Exp(rng.NormFloat64()*0.3))
		for k := 1; k < K; k++ {
			f[k] = float64(poisson(rng, v[k]))
		}
		return f
	}
	rows := make([]Row, battles)
	for b := range rows {
		i, j := rng.IntN(models), rng.IntN(models-1)
		if j >= i {
			j++
		}
		if i > j {
			i, j = j, i
		}
		rows[b] = Row{I: int32(i), J: int32(j), W: 1, D: Diff(draw(verb[i]), draw(verb[j]))}
	}
	std := slices.Clone(rows)
	sc := Standardise(std)
	w.mean, w.sd, w.p.Active = sc.Mean, sc.SD, sc.Active
	for b := range rows {
		x := eta(&std[b], append(slices.Clone(w.ratings), beta[:]...), models)
		switch {
		case ties && rng.Float64() < 0.1:
			rows[b].Y = 0.5
		case rng.Float64() < bt.Sigmoid(x):
			rows[b].Y = 1
		}
		std[b].Y = rows[b].Y
	}
	slices.SortStableFunc(std, func(x, y Row) int { return cmp.Or(cmp.Compare(x.I, y.I), cmp.Compare(x.J, y.J)) })
	w.p.Models, w.p.Rows = models, std
	return w
}

func poisson(rng *rand.Rand, mu float64) int {
	l, k, p := math.Exp(-mu), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// plain fits the same battles without style (bt.Fit over their pairs).
func plain(p Problem) []float64 {
	return bt.Fit(bt.Problem{Models: p.Models, Pairs: plainPairs(p, nil, nil)}, bt.Options{}).Ratings
}

func TestDiff(t *testing.T) {
	got := Diff(Features{300, 0, 2, 1}, Features{100, 0, 0, 3})
	want := [K]float64{0.5, 0, 1, -0.5}
	if got != want {
		t.Errorf("Diff = %v, want %v", got, want)
	}
}

func TestStandardise(t *testing.T) {
	rows := []Row{
		{W: 1, D: [K]float64{1, 0.5, 0, 0.2}},
		{W: 3, D: [K]float64{-1, 0.5, 0, 0.4}},
		{W: 2, D: [K]float64{0, 0.5, 0, -0.3}},
	}
	sc := Standardise(rows)
	mean, sd, active := sc.Mean, sc.SD, sc.Active
	if want := [K]bool{true, false, false, true}; active != want || sc.Dropped[1] != DroppedConstant {
		t.Fatalf("active = %v, dropped %q, want %v (a constant feature is not estimated)", active, sc.Dropped, want)
	}
	if math.Abs(mean[0]-(-2.0/6)) > 1e-15 || math.Abs(sd[0]-math.Sqrt((1*16.0/9+3*4.0/9+2*1.0/9)/6)) > 1e-15 {
		t.Errorf("mean, sd of feature 0 = %g, %g", mean[0], sd[0])
	}
	for k := range K {
		var m, v, n float64
		for _, r := range rows {
			m += r.W * r.D[k]
			v += r.W * r.D[k] * r.D[k]
			n += r.W
		}
		wantV := 1.0
		if !active[k] {
			wantV = 0
		}
		if math.Abs(m/n) > 1e-15 || math.Abs(v/n-wantV) > 1e-12 {
			t.Errorf("feature %d: mean %g, variance %g after Standardise, want 0 and %g", k, m/n, v/n, wantV)
		}
	}
}

// A feature that is a linear combination of the ones before it is
// dropped, whatever its scale, and the fit stays unique.
func TestCollinear(t *testing.T) {
	w := simulate(21, 6, 2000, [K]float64{0.3, 0.2}, false)
	rows := slices.Clone(w.p.Rows)
	for i := range rows {
		rows[i].D[2] = 3*rows[i].D[0] - rows[i].D[1]     // lists: a combination of length and headers
		rows[i].D[3] = rows[i].D[0] + 1e-13*float64(i%3) // bold: length, up to rounding
	}
	sc := Standardise(rows)
	if sc.Active != [K]bool{true, true, false, false} || sc.Dropped[2] != DroppedCollinear || sc.Dropped[3] != DroppedCollinear {
		t.Fatalf("active %v, dropped %q", sc.Active, sc.Dropped)
	}
	p := Problem{Models: w.p.Models, Rows: rows, Active: sc.Active}
	f := Fit(p, Options{})
	se := Sandwich(p, f)
	if !f.Converged || f.MaxGradient > 1e-8 || f.Beta[2] != 0 || f.Beta[3] != 0 || math.IsNaN(se.Ratings[0]) || se.Beta[2] != 0 {
		t.Errorf("fit %+v, errors %+v", f, se)
	}
}

// TestHandCase: three models, two features, and for each pair and each
// sign of the features battles whose share of wins is exactly the model's
// probability: the maximum likelihood is the generating parameters.
func TestHandCase(t *testing.T) {
	truth := []float64{0.2, 0, -0.2}
	beta := [K]float64{0.5, -0.25}
	th := append(slices.Clone(truth), beta[:]...)
	p := Problem{Models: 3, Active: [K]bool{true, true}}
	for _, pair := range [][2]int32{{0, 1}, {0, 2}, {1, 2}} {
		for _, d := range [][K]float64{{1, 1}, {1, -1}, {-1, 1}, {-1, -1}} {
			row := Row{I: pair[0], J: pair[1], D: d}
			s := bt.Sigmoid(eta(&row, th, 3))
			won, lost := row, row
			won.Y, won.W = 1, 1000*s
			lost.Y, lost.W = 0, 1000*(1-s)
			p.Rows = append(p.Rows, won, lost)
		}
	}
	f := Fit(p, Options{})
	if !f.Converged || !f.WellPosed || f.Prior != 0 {
		t.Fatalf("fit: %+v", f)
	}
	for i, r := range f.Ratings {
		if math.Abs(r-truth[i]) > 1e-12 {
			t.Errorf("rating %d = %.15f, want %g", i, r, truth[i])
		}
	}
	for k := range K {
		if math.Abs(f.Beta[k]-beta[k]) > 1e-12 {
			t.Errorf("beta %d = %.15f, want %g", k, f.Beta[k], beta[k])
		}
	}
	if f.MaxGradient > 1e-8 {
		t.Errorf("max gradient %g at the optimum", f.MaxGradient)
	}
}

// independentFit is another way to the same optimum, sharing no code
// with Fit: Newton's method on the ratings of models 1..n-1 (model 0's
// fixed at 0) and the coefficients, with x·xᵀ summed row by row, then
// centred.
func independentFit(p Problem) ([]float64, [K]float64) {
	n := p.Models
	m := n - 1 + K
	th := make([]float64, m)
	x := make([]float64, m)
	for range 100 {
		g := make([]float64, m)
		h := make([]float64, m*m)
		for _, row := range p.Rows {
			clear(x)
			if row.I > 0 {
				x[row.I-1] = math.Ln10
			}
			if row.J > 0 {
				x[row.J-1] = -math.Ln10
			}
			for k := range K {
				if p.Active[k] {
					x[n-1+k] = row.D[k]
				}
			}
			e := 0.0
			for a := range m {
				e += x[a] * th[a]
			}
			s := 1 / (1 + math.Exp(-e))
			for a := range m {
				g[a] += row.W * (s - row.Y) * x[a]
				for b := range m {
					h[a*m+b] += row.W * s * (1 - s) * x[a] * x[b]
				}
			}
		}
		for k := range K {
			if !p.Active[k] {
				h[(n-1+k)*m+n-1+k] = 1
			}
		}
		step := make([]float64, m)
		for a := range g {
			step[a] = -g[a]
		}
		gaussSolve(h, step, m)
		big := 0.0
		for a, s := range step {
			big = max(big, math.Abs(s))
			th[a] += s
		}
		if big < 1e-13 {
			break
		}
	}
	r := append([]float64{0}, th[:n-1]...)
	mean := 0.0
	for _, v := range r {
		mean += v / float64(n)
	}
	for i := range r {
		r[i] -= mean
	}
	var beta [K]float64
	copy(beta[:], th[n-1:])
	return r, beta
}

// gaussSolve solves h·x = b in place of b by Gaussian elimination with
// partial pivoting (h, m×m, is overwritten): the tests' own solver,
// independent of the fit's Cholesky factorisation.
func gaussSolve(h, b []float64, m int) {
	for c := range m {
		piv := c
		for r := c + 1; r < m; r++ {
			if math.Abs(h[r*m+c]) > math.Abs(h[piv*m+c]) {
				piv = r
			}
		}
		for k := range m {
			h[c*m+k], h[piv*m+k] = h[piv*m+k], h[c*m+k]
		}
		b[c], b[piv] = b[piv], b[c]
		for r := c + 1; r < m; r++ {
			f := h[r*m+c] / h[c*m+c]
			for k := c; k < m; k++ {
				h[r*m+k] -= f * h[c*m+k]
			}
			b[r] -= f * b[c]
		}
	}
	for c := m - 1; c >= 0; c-- {
		for k := c + 1; k < m; k++ {
			b[c] -= h[c*m+k] * b[k]
		}
		b[c] /= h[c*m+c]
	}
}

func TestFitExact(t *testing.T) {
	for _, c := range []struct {
		name    string
		models  int
		battles int
		ties    bool
	}{{"small", 5, 300, false}, {"ties", 12, 3000, true}, {"sparse", 30, 800, true}} {
		t.Run(c.name, func(t *testing.T) {
			w := simulate(11, c.models, c.battles, [K]float64{0.3, 0.1, -0.05, 0}, c.ties)
			if !WellPosed(w.p, nil) {
				t.Skip("simulated data ill posed")
			}
			f := Fit(w.p, Options{})
			if !f.Converged || f.MaxGradient > 1e-8 {
				t.Fatalf("converged %v, max gradient %g (want below 1e-8) after %d iterations", f.Converged, f.MaxGradient, f.Iterations)
			}
			r, beta := independentFit(w.p)
			for i := range r {
				if d := 400 * math.Abs(r[i]-f.Ratings[i]); d > 1e-6 {
					t.Errorf("model %d: score differs by %g points from the independent fit", i, d)
				}
			}
			for k := range K {
				if math.Abs(beta[k]-f.Beta[k]) > 1e-8 {
					t.Errorf("beta %d = %g, independent fit %g", k, f.Beta[k], beta[k])
				}
			}
			// Order of rows does not matter beyond rounding.
			shuffled := w.p
			shuffled.Rows = slices.Clone(w.p.Rows)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled.Rows), func(i, j int) {
				shuffled.Rows[i], shuffled.Rows[j] = shuffled.Rows[j], shuffled.Rows[i]
			})
			g := Fit(shuffled, Options{})
			for i := range g.Ratings {
				if math.Abs(g.Ratings[i]-f.Ratings[i]) > 1e-10 {
					t.Errorf("model %d: rating %g with shuffled rows, %g sorted", i, g.Ratings[i], f.Ratings[i])
				}
			}
		})
	}
}

// TestRecovery simulates boards with a known style effect (β_length =
// 0.3) and checks, over seeded replications, that the sandwich intervals
// cover the true coefficients and ratings about 95% of the time and that
// style-controlled scores are closer to the truth than plain ones.
func TestRecovery(t *testing.T) {
	const reps = 40
	beta := [K]float64{0.3, 0.1, 0, -0.1}
	z := Z(0.95)
	var betaIn, betaN, ratingIn, ratingN int
	var errStyle, errPlain float64
	for rep := range reps {
		w := simulate(uint64(100+rep), 20, 4000, beta, false)
		f := Fit(w.p, Options{})
		se := Sandwich(w.p, f)
		for k := range K {
			betaN++
			if math.Abs(f.Beta[k]-beta[k]) <= z*se.Beta[k] {
				betaIn++
			}
		}
		pl := plain(w.p)
		for i := range f.Ratings {
			ratingN++
			if math.Abs(f.Ratings[i]-w.ratings[i]) <= z*se.Ratings[i] {
				ratingIn++
			}
			errStyle += math.Pow(f.Ratings[i]-w.ratings[i], 2)
			errPlain += math.Pow(pl[i]-w.ratings[i], 2)
		}
	}
	bc, rc := float64(betaIn)/float64(betaN), float64(ratingIn)/float64(ratingN)
	t.Logf("coverage of the 95%% sandwich intervals over %d replications: coefficients %.3f (%d/%d), ratings %.3f (%d/%d)",
		reps, bc, betaIn, betaN, rc, ratingIn, ratingN)
	t.Logf("root mean square error of scores: style-controlled %.1f points, plain %.1f points",
		400*math.Sqrt(errStyle/float64(ratingN)), 400*math.Sqrt(errPlain/float64(ratingN)))
	// 160 coefficient intervals: a binomial standard deviation of 1.7%.
	if bc < 0.89 || bc > 0.995 {
		t.Errorf("coefficient coverage %.3f, want about 0.95", bc)
	}
	if rc < 0.92 || rc > 0.98 {
		t.Errorf("rating coverage %.3f, want about 0.95", rc)
	}
	if errStyle >= errPlain/2 {
		t.Errorf("style-controlled scores are not closer to the truth: squared error %g against plain %g", errStyle, errPlain)
	}
}

// TestNoStyleEffect: with β = 0 the style-controlled and plain scores
// agree within noise and the coefficients' intervals cover 0.
func TestNoStyleEffect(t *testing.T) {
	const reps = 10
	z := Z(0.95)
	var diff, se2 float64
	covered, n := 0, 0
	for rep := range reps {
		w := simulate(uint64(500+rep), 20, 4000, [K]float64{}, false)
		f := Fit(w.p, Options{})
		se := Sandwich(w.p, f)
		pl := plain(w.p)
		for i := range pl {
			diff += math.Pow(pl[i]-f.Ratings[i], 2)
			se2 += se.Ratings[i] * se.Ratings[i]
		}
		for k := range K {
			n++
			if math.Abs(f.Beta[k]) <= z*se.Beta[k] {
				covered++
			}
		}
	}
	ratio := math.Sqrt(diff / se2)
	t.Logf("β = 0: style-controlled minus plain scores, root mean square %.2f standard errors; coefficients' intervals cover 0 in %d of %d", ratio, covered, n)
	if ratio > 0.8 {
		t.Errorf("with no style effect, style-controlled and plain scores differ by %.2f standard errors (root mean square)", ratio)
	}
	if covered < n*8/10 {
		t.Errorf("coefficients' intervals cover 0 in %d of %d", covered, n)
	}
}

func TestSandwichAgainstBootstrap(t *testing.T) {
	w := simulate(3, 10, 6000, [K]float64{0.3, 0.1, 0, -0.1}, true)
	f := Fit(w.p, Options{})
	se := Sandwich(w.p, f)
	b := Bootstrap(w.p, f, BootOptions{Rounds: 400, Seed: 1, Threads: 2})
	z := Z(0.95)
	worst := 0.0
	check := func(what string, lo, hi, sandwich float64) {
		ratio := (hi - lo) / (2 * z * sandwich)
		worst = max(worst, math.Abs(ratio-1))
		if math.Abs(ratio-1) > 0.15 {
			t.Errorf("%s: bootstrap interval width %.4g, sandwich %.4g (ratio %.3f)", what, hi-lo, 2*z*sandwich, ratio)
		}
	}
	for i := range f.Ratings {
		lo, hi := b.RatingInterval(i, 0.025, 0.975)
		check("rating "+string(rune('A'+i)), lo, hi, se.Ratings[i])
	}
	for k := range K {
		lo, hi := b.BetaInterval(k, 0.025, 0.975)
		check(Names[k], lo, hi, se.Beta[k])
	}
	t.Logf("widths of 400 bootstrap rounds against the sandwich: off by at most %.1f%%", 100*worst)
}

func TestBootstrapThreads(t *testing.T) {
	w := simulate(5, 8, 1500, [K]float64{0.3}, true)
	f := Fit(w.p, Options{})
	one := Bootstrap(w.p, f, BootOptions{Rounds: 12, Seed: 9, Stream: 3, Threads: 1})
	three := Bootstrap(w.p, f, BootOptions{Rounds: 12, Seed: 9, Stream: 3, Threads: 3})
	if !slices.Equal(one.Ratings, three.Ratings) || !slices.Equal(one.Beta, three.Beta) {
		t.Error("bootstrap rounds differ between 1 and 3 threads")
	}
	other := Bootstrap(w.p, f, BootOptions{Rounds: 12, Seed: 10, Stream: 3, Threads: 1})
	if slices.Equal(one.Ratings, other.Ratings) {
		t.Error("another seed gave the same rounds")
	}
}

func TestSampler(t *testing.T) {
	rows := []Row{{W: 3}, {W: 0}, {W: 1}, {W: 6}, {W: 0}, {W: 2}}
	s := newSampler(rows)
	rng := rand.NewPCG(1, 2)
	w := make([]float64, len(rows))
	sum := make([]float64, len(rows))
	const rounds = 20000
	for range rounds {
		s.draw(rng, w)
		total := 0.0
		for r, x := range w {
			total += x
			sum[r] += x
		}
		if total != 12 {
			t.Fatalf("a round drew %g battles, want 12", total)
		}
	}
	for r, row := range rows {
		mean := sum[r] / rounds
		// Binomial(12, W/12): standard error of the mean below 0.013.
		if math.Abs(mean-row.W) > 0.06 {
			t.Errorf("row %d: mean count %.3f, want %g", r, mean, row.W)
		}
	}
}

func TestIllPosed(t *testing.T) {
	// Model 0 won every battle: no maximum likelihood.
	p := Problem{Models: 3, Active: [K]bool{true}}
	for _, r := range []Row{
		{I: 0, J: 1, Y: 1, W: 5, D: [K]float64{1}},
		{I: 0, J: 2, Y: 1, W: 5, D: [K]float64{-1}},
		{I: 1, J: 2, Y: 1, W: 3, D: [K]float64{1}},
		{I: 1, J: 2, Y: 0, W: 3, D: [K]float64{-1}},
		{I: 1, J: 2, Y: 0, W: 1, D: [K]float64{1}},
	} {
		p.Rows = append(p.Rows, r)
	}
	f := Fit(p, Options{})
	if f.WellPosed || f.Prior == 0 || !f.Converged {
		t.Fatalf("fit of an undefeated model: %+v", f)
	}
	for i, r := range f.Ratings {
		if math.IsNaN(r) || math.Abs(r) > 3 {
			t.Errorf("rating %d = %g, want finite and moderate", i, r)
		}
	}
	if f.Ratings[0] <= f.Ratings[1] {
		t.Errorf("the undefeated model rates %g, below %g", f.Ratings[0], f.Ratings[1])
	}
	se := Sandwich(p, f)
	for i, s := range se.Ratings {
		if math.IsNaN(s) || s <= 0 {
			t.Errorf("standard error %d = %g", i, s)
		}
	}
}

func TestBootstrapStop(t *testing.T) {
	w := simulate(5, 8, 1500, [K]float64{0.3}, true)
	f := Fit(w.p, Options{})
	stop := make(chan struct{})
	close(stop)
	done := 0
	Bootstrap(w.p, f, BootOptions{Rounds: 50, Seed: 1, Threads: 2, Stop: stop, Progress: func(int) { done++ }})
	if done != 0 {
		t.Errorf("%d rounds ran after Stop was closed", done)
	}
}

// A panic in a style bootstrap round comes back to the caller, with the
// round's stack.
func TestPanicInStyleRoundReachesCaller(t *testing.T) {
	w := simulate(5, 6, 600, [K]float64{0.3}, true)
	f := Fit(w.p, Options{})
	faulttest.Panics(t, "style.Bootstrap", func() {
		Bootstrap(w.p, f, BootOptions{Rounds: 20, Threads: 2, Progress: func(done int) {
			if done == 3 {
				panic("style round 3")
			}
		}})
	})
}
