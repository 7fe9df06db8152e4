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
	r0 := math.Exp(float64(n) * math.Log1p(-p)) // q^n
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

// binomialBTRS needs n·p ≥ 10 and p ≤ ½. Most draws end at the squeeze;
// the exact test, with its log-factorials, is computed only when needed.
func binomialBTRS(rng *rand.Rand, n int64, p float64) int64 {
	nf := float64(n)
	spq := math.Sqrt(nf * p * (1 - p))
	b := 1.15 + 2.53*spq
	a := -0.0873 + 0.0248*b + 0.01*p
	c := nf*p + 0.5
	vr := 0.92 - 4.2/b
	var alpha, r, m, h float64
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
		if alpha == 0 {
			alpha = (2.83 + 5.1/b) * spq
			r = p / (1 - p)
			m = math.Floor((nf + 1) * p)
			h = (m+0.5)*math.Log((m+1)/(r*(nf-m+1))) + stirlingTail(m) + stirlingTail(nf-m)
		}
		// Accept when log(v·α/(a/us² + b)) ≤ log(f(k)/f(m)), f the
		// binomial probabilities, with log-factorials by Stirling's series.
		if math.Log(v*alpha/(a/(us*us)+b)) <= logRatio(nf, r, m, h, k) {
			return int64(k)
		}
	}
}

// logRatio returns log(f(k)/f(m)) for Binomial(n, p), r = p/(1−p), h the
// part that depends on m only (see binomialBTRS).
func logRatio(n, r, m, h, k float64) float64 {
	return h + (n+1)*math.Log((n-m+1)/(n-k+1)) + (k+0.5)*math.Log(r*(n-k+1)/(k+1)) -
		stirlingTail(k) - stirlingTail(n-k)
}

// stirlingTail is log(k!) − [(k+½)·log(k+1) − (k+1) + ½·log(2π)].
func stirlingTail(k float64) float64 {
	if k <= 9 {
		return stirlingTable[int(k)]
	}
	kp1sq := (k + 1) * (k + 1)
	return (1.0/12 - (1.0/360-1.0/1260/kp1sq)/kp1sq) / (k + 1)
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
