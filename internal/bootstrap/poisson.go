package bootstrap

import (
	"math"
	"math/rand/v2"
)

// poisson draws from Poisson(mu): by inversion from a table of its
// distribution function (a lookup and about one comparison), or, for the
// cells that a plan's table budget leaves out, by Hörmann's transformed
// rejection with squeeze (PTRS, "The transformed rejection method for
// generating Poisson random variables", 1993), which costs O(1) uniforms
// whatever mu is but takes logarithms for a quarter of its draws. A
// bootstrap plan holds one per distinct count of its cells, with what its
// draws share computed once.
type poisson struct {
	mu, logMu float64
	// PTRS's constants.
	a2, a, b, vr, logInvAlpha float64
	// The table, when size > 0: cdf[off:off+size] and guide[off:off+size]
	// of a poissonTables, for k from lo.
	off, size int32
	lo        int64
}

// poissonTables holds the tables of a plan's cells, one after another:
// cdf[i] = P(X ≤ lo+i), the last entry of a cell's table 1; guide[g] of a
// table of size entries is the least i with cdf[i] > g/size, where the
// search for u in [g/size, (g+1)/size) starts (Chen and Asau's guide
// table: about one step). A table spans the k whose probability is at
// least 2⁻⁶⁴, about mu ± 9√mu; the tails beyond, under 10⁻¹⁷, go to its
// ends.
type poissonTables struct {
	cdf   []float64
	guide []int32
}

// span returns the least k of probability at least 2⁻⁶⁴ under
// Poisson(mu), mu > 0, its probability, and how many k from there on have
// such a probability.
func span(mu float64) (lo, f float64, size int) {
	m := math.Floor(mu)
	lg, _ := math.Lgamma(m + 1)
	fm := math.Exp(-mu + m*math.Log(mu) - lg)
	lo, f = m, fm
	for lo > 0 && f*lo/mu >= 0x1p-64 {
		f *= lo / mu
		lo--
	}
	for k, g := m, fm; g >= 0x1p-64; k++ {
		g *= mu / (k + 1)
		size++
	}
	return lo, f, int(m-lo) + size
}

// table appends the table of Poisson(mu), mu > 0, and sets p's.
func (t *poissonTables) table(p *poisson) {
	lo, f, size := span(p.mu)
	p.off, p.size, p.lo = int32(len(t.cdf)), int32(size), int64(lo)
	sum := 0.0
	for k := range size {
		sum += f
		t.cdf = append(t.cdf, sum)
		f *= p.mu / (lo + float64(k) + 1)
	}
	cdf := t.cdf[p.off:]
	for i := range cdf {
		cdf[i] /= sum
	}
	cdf[size-1] = 1
	i := int32(0)
	for g := range p.size {
		for cdf[i] <= float64(g)/float64(p.size) {
			i++
		}
		t.guide = append(t.guide, i)
	}
}

// ptrsFrom is the least mean PTRS draws from (its hat needs mu ≥ 10).
const ptrsFrom = 10

// newPTRS returns the PTRS draws of Poisson(mu): none when mu ≤ 0, and
// only for mu ≥ ptrsFrom, unless a table is added.
func newPTRS(mu float64) poisson {
	if mu <= 0 {
		return poisson{}
	}
	p := poisson{mu: mu, logMu: math.Log(mu)}
	p.b = 0.931 + 2.53*math.Sqrt(mu)
	p.a = -0.059 + 0.02483*p.b
	p.a2 = 2 * p.a
	p.vr = 0.9277 - 3.6224/(p.b-2)
	p.logInvAlpha = math.Log(1.1239 + 1.1328/(p.b-3.4))
	return p
}

func (t *poissonTables) draw(p *poisson, rng *rand.PCG) int64 {
	switch {
	case p.size > 0:
		u := uniform(rng)
		i := t.guide[p.off+int32(u*float64(p.size))]
		for u >= t.cdf[p.off+i] {
			i++
		}
		return p.lo + int64(i)
	case p.mu <= 0:
		return 0
	}
	return p.ptrs(rng)
}

// ptrs needs mu ≥ ptrsFrom. Most draws end at the squeeze; the others
// compare the hat with log f(k) = −mu + k·log mu − log k!, log k! from
// Stirling's series.
func (p *poisson) ptrs(rng *rand.PCG) int64 {
	for {
		u := uniform(rng) - 0.5
		v := uniform(rng)
		us := 0.5 - math.Abs(u)
		k := math.Floor((p.a2/us+p.b)*u + p.mu + 0.43)
		if us >= 0.07 && v <= p.vr {
			return int64(k)
		}
		if k < 0 || us < 0.013 && v > us {
			continue
		}
		logFact := (k+0.5)*math.Log(k+1) - (k + 1) + 0.5*math.Log(2*math.Pi) + stirlingTail(k)
		if math.Log(v/(p.a/(us*us)+p.b))+p.logInvAlpha <= -p.mu+k*p.logMu-logFact {
			return int64(k)
		}
	}
}

// uniform returns a uniform float64 in [0, 1), as rand.Rand.Float64 does
// from the same generator, without the indirection through rand.Source,
// which costs as much as the generator itself.
func uniform(rng *rand.PCG) float64 {
	return float64(rng.Uint64()<<11>>11) / (1 << 53)
}

// stirlingTail is log(k!) − [(k+½)·log(k+1) − (k+1) + ½·log(2π)].
func stirlingTail(k float64) float64 {
	if k <= 9 {
		return stirlingTable[int(k)]
	}
	// 1/(12·k1) − 1/(360·k1³) + 1/(1260·k1⁵) − 1/(1680·k1⁷), k1 = k+1,
	// with one division: within 10⁻¹² of the exact value.
	inv := 1 / (k + 1)
	inv2 := inv * inv
	return (1.0/12 - (1.0/360-(1.0/1260-inv2/1680)*inv2)*inv2) * inv
}

var stirlingTable = [10]float64{
	0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
	0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
	0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
	0.00833056343336287,
}
