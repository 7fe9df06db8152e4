package bootstrap

import (
	"math"
	"math/rand/v2"
)

// binomial draws from Binomial(n, p) exactly: by inversion when n·p is
// small, else by Hörmann's transformed rejection with squeeze (BTRS, "The
// generation of binomial random variates", 1993), which costs O(1) draws
// whatever n is.
func binomial(rng *rand.Rand, n int64, p float64) int64 {
	if n <= 0 || p <= 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	if p > 0.5 {
		return n - binomial(rng, n, 1-p)
	}
	if float64(n)*p < 10 {
		return binomialInversion(rng, n, p)
	}
	return binomialBTRS(rng, n, p)
}

func binomialInversion(rng *rand.Rand, n int64, p float64) int64 {
	q := 1 - p
	s := p / q
	a := float64(n+1) * s
	r0 := math.Pow(q, float64(n))
	for {
		r := r0
		u := rng.Float64()
		var x int64
		for u > r {
			u -= r
			x++
			if x > n {
				break
			}
			r *= a/float64(x) - s
		}
		if x <= n {
			return x
		}
	}
}

// binomialBTRS needs n·p ≥ 10 and p ≤ ½.
func binomialBTRS(rng *rand.Rand, n int64, p float64) int64 {
	nf := float64(n)
	r := p / (1 - p)
	spq := math.Sqrt(nf * p * (1 - p))
	b := 1.15 + 2.53*spq
	a := -0.0873 + 0.0248*b + 0.01*p
	c := nf*p + 0.5
	vr := 0.92 - 4.2/b
	alpha := (2.83 + 5.1/b) * spq
	lpq := math.Log(r)
	m := math.Floor((nf + 1) * p)
	h := lfact(m) + lfact(nf-m)
	for {
		u := rng.Float64() - 0.5
		v := rng.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + c)
		if k < 0 || k > nf {
			continue
		}
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		v = math.Log(v * alpha / (a/(us*us) + b))
		// Accept when v ≤ log(f(k)/f(m)), f the binomial probabilities.
		bound := h - lfact(k) - lfact(nf-k) + (k-m)*lpq
		if v <= bound {
			return int64(k)
		}
	}
}

// lfact is log(x!).
func lfact(x float64) float64 {
	v, _ := math.Lgamma(x + 1)
	return v
}
