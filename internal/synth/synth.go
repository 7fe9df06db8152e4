// Package synth writes synthetic battle streams with known model
// strengths, for benchmarks and tests: Zipf-like pair popularity, a share
// of ties, up to two categories per battle. Options also shape sparse
// boards as arenas and sports leagues have them: many models, most pairs
// never met, a few models with few votes, models in groups that mostly
// meet each other. The same options write the same bytes.
package synth

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Options of a synthetic stream. The zero value of each shape option
// (PairExponent onwards) gives the default shape, in which every pair of
// models can meet and every model is as popular as any other.
type Options struct {
	Battles    int
	Models     int
	Categories int     // distinct categories; 0 for none
	Ties       float64 // share of ties, e.g. 0.1
	Seed       uint64
	Aggregate  bool // one line per distinct battle with "count"

	// PairExponent s makes a pair's popularity ∝ 1/k^s, k its rank in a
	// random order of the pairs; 0 means 1.1. Under 1 the battles spread
	// over more pairs: few battles per pair.
	PairExponent float64
	// ModelSpread σ, when not 0, gives each model a popularity
	// exp(σ·Z), Z standard normal, and multiplies a pair's popularity by
	// both of its models': some models get few votes, as models added
	// late do (σ = 1.5 puts one model in a hundred under a thirtieth of
	// the typical popularity).
	ModelSpread float64
	// Spread is the standard deviation of the true strengths, in log10
	// units (400 points each); 0 means 0.35 (140 points).
	Spread float64
	// Groups, when above 1, puts the models into that many groups of equal
	// size (a random assignment) and multiplies the popularity of a pair
	// from two groups by CrossGroup (0 means 0.02): leagues that mostly
	// play among themselves.
	Groups     int
	CrossGroup float64
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
	spread := cmp.Or(o.Spread, 0.35)
	s := make([]float64, o.Models)
	for i := range s {
		s[i] = rng.NormFloat64() * spread
	}
	return s
}

// ModelName is the slug of model i.
func ModelName(i int) string { return fmt.Sprintf("model-%03d", i) }

// Winner of a battle, from model A's side.
const (
	AWins = 0
	BWins = 1
	Tie   = 2
)

// battle is one generated battle: models A and B (in the order the voter
// saw them), the winner, and up to two categories (-1 for none).
type battle struct {
	a, b, winner, c1, c2 int
}

// generate draws the battles of o and calls emit for each, in order.
func generate(o Options, emit func(battle)) {
	rng := rand.New(rand.NewPCG(o.Seed, 2))
	strength := Strengths(o)
	n := o.Models
	// Pair popularity ∝ 1/rank^s over a random order of the pairs.
	type pair struct{ a, b int32 }
	pairs := make([]pair, 0, n*(n-1)/2)
	for i := range n {
		for j := i + 1; j < n; j++ {
			pairs = append(pairs, pair{int32(i), int32(j)})
		}
	}
	rng.Shuffle(len(pairs), func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
	weight := modelWeights(o)
	exp := cmp.Or(o.PairExponent, 1.1)
	cum := make([]float64, len(pairs))
	total := 0.0
	for i, p := range pairs {
		w := 1 / math.Pow(float64(i+1), exp)
		if weight != nil {
			w *= weight.pair(p.a, p.b)
		}
		total += w
		cum[i] = total
	}
	cats := Categories[:min(o.Categories, len(Categories))]
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
		a, b := int(p.a), int(p.b)
		if rng.IntN(2) == 0 {
			a, b = b, a
		}
		pa := 1 / (1 + math.Pow(10, strength[b]-strength[a]))
		tie := min(o.Ties, 2*pa, 2*(1-pa))
		winner := BWins
		switch v := rng.Float64(); {
		case v < tie:
			winner = Tie
		case v < tie+pa-tie/2:
			winner = AWins
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
		emit(battle{a, b, winner, c1, c2})
	}
}

// popularity is what the model options add to a pair's popularity.
type popularity struct {
	model []float64 // per model
	group []int     // per model, when in groups
	cross float64
}

func (p *popularity) pair(a, b int32) float64 {
	w := p.model[a] * p.model[b]
	if p.group != nil && p.group[a] != p.group[b] {
		w *= p.cross
	}
	return w
}

// modelWeights draws the models' popularity and groups from a generator
// of their own, so that the default shape's stream is unchanged; nil when
// the options ask for neither.
func modelWeights(o Options) *popularity {
	if o.ModelSpread == 0 && o.Groups <= 1 {
		return nil
	}
	rng := rand.New(rand.NewPCG(o.Seed, 3))
	p := &popularity{model: make([]float64, o.Models), cross: cmp.Or(o.CrossGroup, 0.02)}
	for i := range p.model {
		p.model[i] = math.Exp(o.ModelSpread * rng.NormFloat64())
	}
	if o.Groups > 1 {
		p.group = make([]int, o.Models)
		for i, k := range rng.Perm(o.Models) {
			p.group[i] = k % o.Groups
		}
	}
	return p
}

// Write writes the stream.
func Write(w io.Writer, o Options) error {
	names := make([]string, o.Models)
	for i := range names {
		names[i] = ModelName(i)
	}
	cats := Categories[:min(o.Categories, len(Categories))]
	bw := bufio.NewWriterSize(w, 1<<16)
	counts := map[battle]int{}
	var order []battle
	buf := make([]byte, 0, 256)
	var err error
	generate(o, func(k battle) {
		switch {
		case err != nil:
		case o.Aggregate:
			if counts[k] == 0 {
				order = append(order, k)
			}
			counts[k]++
		default:
			buf = line(buf[:0], names, cats, k, 0)
			_, err = bw.Write(buf)
		}
	})
	if err != nil {
		return err
	}
	for _, k := range order {
		buf = line(buf[:0], names, cats, k, counts[k])
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Cell is Count battles between models A < B that ended with Winner
// (AWins, BWins or Tie, from A's side).
type Cell struct {
	A, B, Winner int
	Count        int64
}

// Cells returns the battles of o (categories ignored) collapsed into
// cells, sorted by A, B and Winner: what a test needs to fit them
// without a stream.
func Cells(o Options) []Cell {
	counts := map[[3]int]int64{}
	generate(o, func(k battle) {
		a, b, w := k.a, k.b, k.winner
		if a > b {
			a, b = b, a
			w = [...]int{AWins: BWins, BWins: AWins, Tie: Tie}[w]
		}
		counts[[3]int{a, b, w}]++
	})
	cells := make([]Cell, 0, len(counts))
	for k, c := range counts {
		cells = append(cells, Cell{A: k[0], B: k[1], Winner: k[2], Count: c})
	}
	slices.SortFunc(cells, func(x, y Cell) int {
		return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B), cmp.Compare(x.Winner, y.Winner))
	})
	return cells
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

var winners = [...]string{AWins: "model_a", BWins: "model_b", Tie: "tie"}

func line(buf []byte, names, cats []string, k battle, count int) []byte {
	buf = append(buf, `{"model_a":"`...)
	buf = append(buf, names[k.a]...)
	buf = append(buf, `","model_b":"`...)
	buf = append(buf, names[k.b]...)
	buf = append(buf, `","winner":"`...)
	buf = append(buf, winners[k.winner]...)
	buf = append(buf, '"')
	if k.c1 >= 0 {
		buf = append(buf, `,"categories":["`...)
		buf = append(buf, cats[k.c1]...)
		if k.c2 >= 0 {
			buf = append(buf, `","`...)
			buf = append(buf, cats[k.c2]...)
		}
		buf = append(buf, `"]`...)
	}
	if count > 0 {
		buf = append(buf, `,"count":`...)
		buf = strconv.AppendInt(buf, int64(count), 10)
	}
	return append(buf, "}\n"...)
}
