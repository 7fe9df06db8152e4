package snapshot

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart draws a document as an SVG image: one row per model, best on top,
// the score as a point and the confidence interval as whiskers, the
// models' names as the row labels, titled with the leaderboard's name and
// the snapshot's identifier.
func Chart(d *Document) ([]byte, error) {
	n := len(d.Entries)
	if n == 0 {
		return nil, fmt.Errorf("chart of %s: no entries", d.Leaderboard)
	}
	p := plot.New()
	p.Title.Text = d.Name + " — " + d.Identifier
	p.X.Label.Text = "score (95% interval)"

	// The whiskers hang on the interval's middle: a bootstrap interval
	// need not contain the point score.
	bounds := make(whiskers, n)
	points := make(plotter.XYs, n)
	names := make([]string, n)
	for i, e := range d.Entries {
		y := float64(n - 1 - i) // best on top
		mid := (e.CILower + e.CIUpper) / 2
		bounds[i] = whisker{x: mid, y: y, lo: mid - e.CILower, hi: e.CIUpper - mid}
		points[i] = plotter.XY{X: e.Score, Y: y}
		names[n-1-i] = fmt.Sprintf("%d. %s", e.Rank, e.Label())
	}
	bars, err := plotter.NewXErrorBars(bounds)
	if err != nil {
		return nil, fmt.Errorf("chart of %s: %v", d.Leaderboard, err)
	}
	bars.LineStyle.Width = vg.Points(1.2)
	bars.LineStyle.Color = color.RGBA{R: 0x1f, G: 0x4e, B: 0x79, A: 0xff}
	sc, err := plotter.NewScatter(points)
	if err != nil {
		return nil, fmt.Errorf("chart of %s: %v", d.Leaderboard, err)
	}
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Radius = vg.Points(3)
	sc.GlyphStyle.Color = color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff}
	p.Add(plotter.NewGrid(), bars, sc)
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.7, float64(n)-0.3

	height := vg.Length(n)*vg.Points(18) + vg.Inch*1.2
	if height < 3*vg.Inch {
		height = 3 * vg.Inch
	}
	// Keep the whiskers off the frame.
	lo, hi := d.Entries[0].CILower, d.Entries[0].CIUpper
	for _, e := range d.Entries {
		lo, hi = min(lo, e.CILower, e.Score), max(hi, e.CIUpper, e.Score)
	}
	pad := max((hi-lo)*0.04, 1)
	p.X.Min, p.X.Max = lo-pad, hi+pad

	// Text is laid out with the metrics of the plot's own fonts, but a
	// viewer draws it with whatever serif font it has, often a wider one:
	// leave room on the left for the names and at the top for the title.
	c := vgsvg.New(9*vg.Inch, height)
	p.Draw(draw.Crop(draw.New(c), vg.Inch*0.6, -vg.Points(12), vg.Points(2), -vg.Points(10)))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart of %s: %v", d.Leaderboard, err)
	}
	return buf.Bytes(), nil
}

// whisker is one row's interval: its middle and the distances to its bounds.
type whisker struct{ x, y, lo, hi float64 }

type whiskers []whisker

func (w whiskers) Len() int                        { return len(w) }
func (w whiskers) XY(i int) (float64, float64)     { return w[i].x, w[i].y }
func (w whiskers) XError(i int) (float64, float64) { return w[i].lo, w[i].hi }
