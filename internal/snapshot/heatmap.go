package snapshot

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// HeatmapModels is the most models a heatmap shows: the first ones of the
// board. Beyond it the cells are too small to read, and the pictures of
// every board of every snapshot grow with its square; the pairs document
// has every pair.
const HeatmapModels = 40

// Heatmap kinds, also the middle part of their file names
// (SLUG/IDENTIFIER.KIND.svg).
const (
	HeatmapObserved  = "observed"
	HeatmapPredicted = "predicted"
)

// Heatmap draws one of a snapshot's two head-to-head heatmaps as an SVG
// image: a row and a column per model, best first (the first
// HeatmapModels of the board), the cell of row i and column j coloured by
// how often the row's model beats the column's, from blue (never) through
// white to red (always):
//
//   - HeatmapObserved: its observed win rate, (wins + ties/2)/battles,
//     written in the cell above the number of battles; grey where the two
//     never met;
//   - HeatmapPredicted: the Bradley-Terry probability from the scores
//     (leaderboard.WinProbability), written in the cell.
//
// Rows are labelled with rank and name (shortened to fit), columns with
// the rank, under a title that names the board, the date and what the
// cells show. Text is CleanText'ed: the SVG is valid XML whatever the
// names.
func Heatmap(d *Document, p *Pairs, kind string) ([]byte, error) {
	k := min(len(d.Entries), HeatmapModels)
	if k == 0 {
		return nil, fmt.Errorf("heatmap of %s: no entries", d.Leaderboard)
	}
	g := grid{k: k, v: make([]float64, k*k), n: make([]int64, k*k)}
	for i := range g.v {
		g.v[i] = math.NaN()
	}
	n := len(d.Entries)
	what := ""
	switch kind {
	case HeatmapObserved:
		what = "observed win rate of the row's model against the column's (ties count half), battles below"
		if !p.Observed {
			what = "observed win rates: not in this snapshot's record"
		}
	case HeatmapPredicted:
		what = "predicted probability that the row's model beats the column's (Bradley-Terry, from the scores)"
	default:
		return nil, fmt.Errorf("heatmap of %s: unknown kind %q", d.Leaderboard, kind)
	}
	// Pair (i, j), i < j, is number i·(2n−i−1)/2 + j−i−1 of p.Pairs.
	for i := range k {
		for j := i + 1; j < k; j++ {
			pair := p.Pairs[i*(2*n-i-1)/2+j-i-1]
			switch kind {
			case HeatmapObserved:
				if pair.Battles > 0 {
					r := (float64(pair.WinsA) + float64(pair.Ties)/2) / float64(pair.Battles)
					g.set(i, j, r, pair.Battles)
					g.set(j, i, 1-r, pair.Battles)
				}
			case HeatmapPredicted:
				g.set(i, j, pair.PredictedA, 0)
				g.set(j, i, 1-pair.PredictedA, 0)
			}
		}
	}

	cell := vg.Points(30)
	if k > 20 {
		cell = vg.Points(22)
	}
	if k < n {
		what += fmt.Sprintf("; the first %d of %d models", k, n)
	}
	column := vg.Points(190) // row labels
	pl := plot.New()
	pl.HideAxes()
	pl.X.Padding, pl.Y.Padding = 0, 0
	pal := moreland.SmoothBlueRed()
	pal.SetMin(0)
	pal.SetMax(1)
	hm := plotter.NewHeatMap(g, pal.Palette(101))
	hm.Min, hm.Max = 0, 1
	hm.NaN = color.Gray{Y: 0xe4}
	pl.Add(hm)
	pl.X.Min, pl.X.Max = -0.5, float64(k)-0.5
	pl.Y.Min, pl.Y.Max = -0.5, float64(k)-0.5

	// From the top: the title, what the cells show, the columns' ranks,
	// the k×k cells; the rows' labels on their left.
	titleStyle := pl.Title.TextStyle
	titleStyle.XAlign, titleStyle.YAlign = draw.XLeft, draw.YTop
	small := titleStyle
	small.Font.Size = vg.Points(9)
	edge := vg.Points(6)
	top := titleStyle.Height("M") + 2*small.Height("M") + vg.Points(16)
	width := column + vg.Length(k)*cell + edge
	height := top + vg.Length(k)*cell + edge
	c := vgsvg.New(width, height)
	full := draw.New(c)
	full.FillText(titleStyle, vg.Point{X: edge, Y: height - vg.Points(4)}, title(d, titleStyle, width-2*edge))
	full.FillText(small, vg.Point{X: edge, Y: height - vg.Points(8) - titleStyle.Height("M")}, shorten(small, what, width-2*edge))
	dc := full
	dc.Min = vg.Point{X: column, Y: edge}
	dc.Max = vg.Point{X: column + vg.Length(k)*cell, Y: edge + vg.Length(k)*cell}
	pl.Draw(dc)

	da := pl.DataCanvas(dc)
	toX, toY := pl.Transforms(&da)
	label := small
	label.XAlign, label.YAlign = draw.XLeft, draw.YCenter
	colLabel := small
	colLabel.XAlign, colLabel.YAlign = draw.XCenter, draw.YBottom
	full.FillText(small, vg.Point{X: edge, Y: dc.Max.Y + small.Height("M") + vg.Points(3)}, "rank of the column's model:")
	for j := range k {
		full.FillText(colLabel, vg.Point{X: toX(float64(j)), Y: dc.Max.Y + vg.Points(3)}, strconv.Itoa(d.Entries[j].Rank))
	}
	for i := range k {
		e := d.Entries[i]
		prefix := strconv.Itoa(e.Rank) + ". "
		full.FillText(label, vg.Point{X: edge, Y: toY(float64(k - 1 - i))},
			prefix+shorten(label, CleanText(e.Label()), column-edge-vg.Points(8)-textWidth(label, prefix)))
	}
	inCell := small
	inCell.Font.Size = vg.Points(8)
	if k > 20 {
		inCell.Font.Size = vg.Points(6.5)
	}
	inCell.XAlign, inCell.YAlign = draw.XCenter, draw.YCenter
	for i := range k {
		for j := range k {
			v := g.v[i*k+j]
			if math.IsNaN(v) {
				continue
			}
			sty := inCell
			sty.Color = color.Black
			if v < 0.2 || v > 0.8 {
				sty.Color = color.White
			}
			pt := vg.Point{X: toX(float64(j)), Y: toY(float64(k - 1 - i))}
			pct := strconv.Itoa(int(math.Round(100*v))) + "%"
			if kind == HeatmapObserved {
				h := sty.Height("0") / 2
				full.FillText(sty, vg.Point{X: pt.X, Y: pt.Y + h*1.1}, pct)
				full.FillText(sty, vg.Point{X: pt.X, Y: pt.Y - h*1.1}, strconv.FormatInt(g.n[i*k+j], 10))
			} else {
				full.FillText(sty, pt, pct)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("heatmap of %s: %v", d.Leaderboard, err)
	}
	return buf.Bytes(), nil
}

// grid is a k×k heatmap, row 0 (the best model) drawn on top.
type grid struct {
	k int
	v []float64 // v[i*k+j]: row i, column j; NaN where nothing is known
	n []int64   // battles behind v
}

func (g grid) set(i, j int, v float64, n int64) { g.v[i*g.k+j], g.n[i*g.k+j] = v, n }

func (g grid) Dims() (c, r int)   { return g.k, g.k }
func (g grid) Z(c, r int) float64 { return g.v[(g.k-1-r)*g.k+c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }
