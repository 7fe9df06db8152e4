// Package synth writes synthetic battle streams with known model
// strengths, for benchmarks and tests: Zipf-like pair popularity, a share
// of ties, up to two categories per battle. The same options write the same
// bytes.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// Options of a synthetic stream.
type Options struct {
	Battles    int
	Models     int
	Categories int     // distinct categories; 0 for none
	Ties       float64 // share of ties, e.g. 0.1
	Seed       uint64
	Aggregate  bool // one line per distinct battle with "count"
}

// Categories are the arena's category slugs, in the order synth uses them.
var Categories = []string{
	"genomics", "immunology", "neuroscience", "pharmacology-and-toxicology", "cancer-biology",
	"microbiology", "epidemiology", "bioinformatics", "cell-biology", "genetics",
	"molecular-biology", "biochemistry", "clinical-trials", "pathology", "physiology",
	"bioengineering", "developmental-biology", "evolutionary-biology", "synthetic-biology", "systems-biology",
}

// Strengths returns the true ratings (log10 units) of the models.
func Strengths(o Options) []float64 {
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	s := make([]float64, o.Models)
	for i := range s {
		s[i] = rng.NormFloat64() * 0.35
	}
	return s
}

// ModelName is the slug of model i.
func ModelName(i int) string { return fmt.Sprintf("model-%03d", i) }

// Write writes the stream.
func Write(w io.Writer, o Options) error {
	rng := rand.New(rand.NewPCG(o.Seed, 2))
	strength := Strengths(o)
	n := o.Models
	// Pair popularity ∝ 1/rank^1.1 over a random order of the pairs.
	type pair struct{ a, b int }
	var pairs []pair
	for i := range n {
		for j := i + 1; j < n; j++ {
			pairs = append(pairs, pair{i, j})
		}
	}
	rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	cum := make([]float64, len(pairs))
	total := 0.0
	for i := range pairs {
		total += 1 / math.Pow(float64(i+1), 1.1)
		cum[i] = total
	}
	names := make([]string, n)
	for i := range names {
		names[i] = ModelName(i)
	}
	cats := Categories[:min(o.Categories, len(Categories))]
	bw := bufio.NewWriterSize(w, 1<<16)
	type key struct {
		a, b, w, c1, c2 int
	}
	counts := map[key]int{}
	var order []key
	buf := make([]byte, 0, 256)
	for range o.Battles {
		u := rng.Float64() * total
		lo, hi := 0, len(cum)-1
		for lo < hi {
			mid := (lo + hi) / 2
			if cum[mid] < u {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		p := pairs[lo]
		a, b := p.a, p.b
		if rng.IntN(2) == 0 {
			a, b = b, a
		}
		pa := 1 / (1 + math.Pow(10, strength[b]-strength[a]))
		tie := min(o.Ties, 2*pa, 2*(1-pa))
		winner := 1
		switch v := rng.Float64(); {
		case v < tie:
			winner = 2
		case v < tie+pa-tie/2:
			winner = 0
		}
		c1, c2 := -1, -1
		if len(cats) > 0 {
			switch v := rng.Float64(); {
			case v < 0.5:
				c1 = zipfIndex(rng, len(cats))
			case v < 0.75:
				c1, c2 = zipfIndex(rng, len(cats)), zipfIndex(rng, len(cats))
				if c1 == c2 {
					c2 = -1
				} else if c1 > c2 {
					c1, c2 = c2, c1
				}
			}
		}
		k := key{a, b, winner, c1, c2}
		if o.Aggregate {
			if counts[k] == 0 {
				order = append(order, k)
			}
			counts[k]++
			continue
		}
		buf = line(buf[:0], names, cats, k.a, k.b, k.w, k.c1, k.c2, 0)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	for _, k := range order {
		buf = line(buf[:0], names, cats, k.a, k.b, k.w, k.c1, k.c2, counts[k])
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func zipfIndex(rng *rand.Rand, n int) int {
	// P(i) ∝ 1/(i+1): categories are unevenly popular.
	h := 0.0
	for i := range n {
		h += 1 / float64(i+1)
	}
	u := rng.Float64() * h
	for i := range n {
		u -= 1 / float64(i+1)
		if u <= 0 {
			return i
		}
	}
	return n - 1
}

var winners = [...]string{"model_a", "model_b", "tie"}

func line(buf []byte, names, cats []string, a, b, w, c1, c2, count int) []byte {
	buf = append(buf, `{"model_a":"`...)
	buf = append(buf, names[a]...)
	buf = append(buf, `","model_b":"`...)
	buf = append(buf, names[b]...)
	buf = append(buf, `","winner":"`...)
	buf = append(buf, winners[w]...)
	buf = append(buf, '"')
	if c1 >= 0 {
		buf = append(buf, `,"categories":["`...)
		buf = append(buf, cats[c1]...)
		if c2 >= 0 {
			buf = append(buf, `","`...)
			buf = append(buf, cats[c2]...)
		}
		buf = append(buf, `"]`...)
	}
	if count > 0 {
		buf = append(buf, `,"count":`...)
		buf = strconv.AppendInt(buf, int64(count), 10)
	}
	return append(buf, "}\n"...)
}
