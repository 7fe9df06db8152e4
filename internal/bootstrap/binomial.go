package bootstrap

import (
	"math"
	"math/rand/v2"
)

// binomial draws from Binomial(n, p) exactly: by inversion when n·p is
// small, else by Hörmann's transformed rejection with squeeze (BTRS, "The
// generation of binomial random variates", 1993), which costs O(1) draws
// whatever n is.
func binomial(rng *rand.PCG, n int64, p float64) int64 {
	b := newBinom(p)
	return b.draw(rng, n)
}

// uniform returns a uniform float64 in [0, 1), as rand.Rand.Float64 does
// from the same generator, without the indirection through rand.Source,
// which costs as much as the generator itself.
func uniform(rng *rand.PCG) float64 {
	return float64(rng.Uint64()<<11>>11) / (1 << 53)
}

// binom holds what draws from Binomial(·, p) share whatever n is: a
// bootstrap draws every cell's count with the same p in every round.
type binom struct {
	p    float64 // min(p, 1−p)
	s    float64 // p/(1−p)
	lq   float64 // log(1−p)
	flip bool    // the draw counts the failures of the original p
	none bool    // p ≤ 0, or (flipped) p ≥ 1
}

func newBinom(p float64) binom {
	b := binom{p: p}
	if p > 0.5 {
		b.p, b.flip = 1-p, true
	}
	b.none = b.p <= 0
	b.s = b.p / (1 - b.p)
	b.lq = math.Log1p(-b.p)
	return b
}

func (b *binom) draw(rng *rand.PCG, n int64) int64 {
	var x int64
	switch {
	case n <= 0 || b.none:
	case float64(n)*b.p < 10:
		x = b.inversion(rng, n)
	default:
		x = b.btrs(rng, n)
	}
	if b.flip {
		return n - x
	}
	return x
}

func (b *binom) inversion(rng *rand.PCG, n int64) int64 {
	a := float64(n+1) * b.s
	r0 := math.Exp(float64(n) * b.lq) // q^n
	for {
		r := r0
		u := uniform(rng)
		var x int64
		for u > r {
			u -= r
			x++
			if x > n {
				break
			}
			r *= a/float64(x) - b.s
		}
		if x <= n {
			return x
		}
	}
}

// btrs needs n·p ≥ 10 and p ≤ ½. Most draws end at the squeeze. The
// others are decided, from the cheapest test to the dearest (Hörmann's
// BTRD steps): by the product of the ratios f(i)/f(i−1) when k is within
// 15 of the mode m; else by bounds on log(f(k)/f(m)) around the normal's
// −(k−m)²/(2npq), which settle most of them with one logarithm; the exact
// test with its log-factorials is left for the rest.
func (bn *binom) btrs(rng *rand.PCG, n int64) int64 {
	p, r := bn.p, bn.s
	nf := float64(n)
	npq := nf * p * (1 - p)
	spq := math.Sqrt(npq)
	b := 1.15 + 2.53*spq
	a := -0.0873 + 0.0248*b + 0.01*p
	c := nf*p + 0.5
	vr := 0.92 - 4.2/b
	var alpha, m, h float64
	for {
		u := uniform(rng) - 0.5
		v := uniform(rng)
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + c)
		if k < 0 || k > nf {
			continue
		}
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		if alpha == 0 {
			alpha = (2.83 + 5.1/b) * spq
			m = math.Floor((nf + 1) * p)
		}
		// Accept when v·α/(a/us² + b) ≤ f(k)/f(m), f the binomial
		// probabilities.
		v *= alpha / (a/(us*us) + b)
		km := math.Abs(k - m)
		if km <= 15 {
			// f(k)/f(m) as a product of f(i)/f(i−1) = r·(n+1−i)/i,
			// numerators and denominators apart (no division in the loop).
			lo, hi := min(k, m), max(k, m)
			num, den := 1.0, 1.0
			for i := lo + 1; i <= hi; i++ {
				num *= r * (nf + 1 - i)
				den *= i
			}
			if k > m && v*den <= num || k <= m && v*num <= den {
				return int64(k)
			}
			continue
		}
		v = math.Log(v)
		rho := km / npq * (((km/3+0.625)*km+1.0/6)/npq + 0.5)
		t := -km * km / (2 * npq)
		if v < t-rho {
			return int64(k)
		}
		if v > t+rho {
			continue
		}
		if h == 0 {
			h = (m+0.5)*math.Log((m+1)/(r*(nf-m+1))) + stirlingTail(m) + stirlingTail(nf-m)
		}
		if v <= logRatio(nf, r, m, h, k) {
			return int64(k)
		}
	}
}

// logRatio returns log(f(k)/f(m)) for Binomial(n, p), r = p/(1−p), h the
// part that depends on m only (see binom.btrs).
func logRatio(n, r, m, h, k float64) float64 {
	return h + (n+1)*math.Log((n-m+1)/(n-k+1)) + (k+0.5)*math.Log(r*(n-k+1)/(k+1)) -
		stirlingTail(k) - stirlingTail(n-k)
}

// stirlingTail is log(k!) − [(k+½)·log(k+1) − (k+1) + ½·log(2π)].
func stirlingTail(k float64) float64 {
	if k <= 9 {
		return stirlingTable[int(k)]
	}
	// 1/(12·k1) − 1/(360·k1³) + 1/(1260·k1⁵), k1 = k+1, with one division.
	inv := 1 / (k + 1)
	inv2 := inv * inv
	return (1.0/12 - (1.0/360-inv2/1260)*inv2) * inv
}

var stirlingTable = [10]float64{
	0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
	0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
	0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
	0.00833056343336287,
}

// lfact is log(x!).
func lfact(x float64) float64 {
	v, _ := math.Lgamma(x + 1)
	return v
}
