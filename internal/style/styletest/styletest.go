// Package styletest writes synthetic battles with style features and a
// known style effect, for tests and benchmarks of style control.
package styletest

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/bixarena/arena-snapshots/internal/style"
)

// Options of a synthetic stream.
type Options struct {
	Battles    int
	Models     int
	Categories int // 0 to 20; a battle gets up to two
	// Beta is the style effect on the raw feature differences d_k (before
	// standardising): logit P(a wins) = ln10·(r_a − r_b) + Σ Beta_k·d_k.
	Beta [style.K]float64
	Ties float64 // share of ties
	Seed uint64
	// ConvMetadata writes the features in the public conv_metadata form
	// (length in tokens) instead of battles-export's "style".
	ConvMetadata bool
}

// Model returns the slug of model i.
func Model(i int) string { return fmt.Sprintf("model-%03d", i) }

// Ratings returns the models' true ratings (mean 0) for o.
func Ratings(o Options) []float64 {
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	r := make([]float64, o.Models)
	m := 0.0
	for i := range r {
		r[i] = rng.NormFloat64() * 0.3
		m += r[i]
	}
	for i := range r {
		r[i] -= m / float64(len(r))
	}
	return r
}

// Write writes o.Battles battle lines to w. Each model has its own
// verbosity and taste for markdown, unrelated to its strength, so that a
// plain fit is biased by the style effect.
func Write(w io.Writer, o Options) error {
	ratings := Ratings(o)
	rng := rand.New(rand.NewPCG(o.Seed, 2))
	verb := make([]style.Features, o.Models)
	for i := range verb {
		verb[i] = style.Features{900 * math.Exp(rng.NormFloat64()*0.5), 3 * rng.Float64(), 8 * rng.Float64(), 5 * rng.Float64()}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	draw := func(v style.Features) style.Features {
		f := style.Features{math.Round(v[style.Length] * math.Exp(rng.NormFloat64()*0.3))}
		for k := 1; k < style.K; k++ {
			f[k] = math.Floor(v[k] * 2 * rng.Float64())
		}
		return f
	}
	for range o.Battles {
		i, j := rng.IntN(o.Models), rng.IntN(o.Models-1)
		if j >= i {
			j++
		}
		fa, fb := draw(verb[i]), draw(verb[j])
		d := style.Diff(fa, fb)
		x := math.Ln10 * (ratings[i] - ratings[j])
		for k := range style.K {
			x += o.Beta[k] * d[k]
		}
		winner := "model_b"
		switch {
		case rng.Float64() < o.Ties:
			winner = "tie"
		case rng.Float64() < 1/(1+math.Exp(-x)):
			winner = "model_a"
		}
		fmt.Fprintf(bw, `{"model_a":%q,"model_b":%q,"winner":%q`, Model(i), Model(j), winner)
		if o.Categories > 0 {
			c1 := rng.IntN(o.Categories)
			if rng.IntN(2) == 0 {
				fmt.Fprintf(bw, `,"categories":["cat-%02d"]`, c1)
			} else if c2 := rng.IntN(o.Categories); c2 != c1 {
				fmt.Fprintf(bw, `,"categories":["cat-%02d","cat-%02d"]`, c1, c2)
			}
		}
		if o.ConvMetadata {
			side := func(s string, f style.Features) {
				fmt.Fprintf(bw, `"sum_assistant_%s_tokens":%d,"header_count_%s":{"h1":0,"h2":%d,"h3":0,"h4":0,"h5":0,"h6":0},"list_count_%s":{"ordered":%d,"unordered":0},"bold_count_%s":{"**":%d,"__":0}`,
					s, int(f[0]), s, int(f[1]), s, int(f[2]), s, int(f[3]))
			}
			bw.WriteString(`,"conv_metadata":{`)
			side("a", fa)
			bw.WriteString(",")
			side("b", fb)
			bw.WriteString(`,"turns":1}}` + "\n")
			continue
		}
		fmt.Fprintf(bw, `,"style":{"a":{"length":%d,"headers":%d,"lists":%d,"bold":%d},"b":{"length":%d,"headers":%d,"lists":%d,"bold":%d}}}`+"\n",
			int(fa[0]), int(fa[1]), int(fa[2]), int(fa[3]), int(fb[0]), int(fb[1]), int(fb[2]), int(fb[3]))
	}
	return bw.Flush()
}
