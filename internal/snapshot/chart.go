package snapshot

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"time"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart sizes.
const (
	chartWidth = 9 * vg.Inch
	rowHeight  = 18 // points per model
	// labelShare is the largest part of the chart's width the row labels
	// may take; longer names are shortened to fit.
	labelShare = 0.42
)

// Colours of the charts.
var (
	ink      = color.RGBA{R: 0x1f, G: 0x4e, B: 0x79, A: 0xff}
	pointInk = color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff}
	flagInk  = map[string]color.RGBA{
		"undefeated": {R: 0x1a, G: 0x7f, B: 0x37, A: 0xff},
		"winless":    {R: 0xb3, G: 0x5c, B: 0x00, A: 0xff},
		"separate":   {R: 0x6f, G: 0x42, B: 0xc1, A: 0xff},
	}
	flagGlyph = map[string]draw.GlyphDrawer{
		"undefeated": draw.PyramidGlyph{},
		"winless":    draw.BoxGlyph{},
		"separate":   draw.RingGlyph{},
	}
	flagOrder = []string{"undefeated", "winless", "separate"}
)

// Chart draws a document as an SVG image: one row per model, best on top,
// the score as a point and the confidence interval as whiskers; each row
// labelled with the model's rank, name (shortened with "…" when it would
// take more than labelShare of the width) and plausible ranks; models the
// fit flagged (undefeated, winless, separate) drawn with their own mark,
// explained in a legend; titled with the leaderboard's name, the
// snapshot's date and its battles; a score axis with a labelled tick every
// 1, 2 or 5 × 10^k points, about ten of them. Every text is CleanText'ed,
// so that the SVG is valid XML whatever the names hold, and fits the
// canvas whatever their length.
func Chart(d *Document) ([]byte, error) {
	n := len(d.Entries)
	if n == 0 {
		return nil, fmt.Errorf("chart of %s: no entries", d.Leaderboard)
	}
	p := plot.New()
	level := strconv.FormatFloat(100*confidence(d.Params.Confidence), 'f', -1, 64)
	caption := fmt.Sprintf("Bradley-Terry score, %s%% interval; [plausible ranks]   (%s)", level, CleanText(d.Identifier))

	// The whiskers hang on the interval's middle: an interval need not be
	// centred on the point score.
	bounds := make(whiskers, n)
	points := map[string]plotter.XYs{}
	for i, e := range d.Entries {
		y := float64(n - 1 - i) // best on top
		mid := (e.CILower + e.CIUpper) / 2
		bounds[i] = whisker{x: mid, y: y, lo: mid - e.CILower, hi: e.CIUpper - mid}
		points[""] = append(points[""], plotter.XY{X: e.Score, Y: y})
		for _, f := range flagOrder { // a model with two flags gets both marks
			if contains(e.Flags, f) {
				points[f] = append(points[f], plotter.XY{X: e.Score, Y: y})
			}
		}
	}
	bars, err := plotter.NewXErrorBars(bounds)
	if err != nil {
		return nil, fmt.Errorf("chart of %s: %v", d.Leaderboard, err)
	}
	bars.LineStyle.Width = vg.Points(1.2)
	bars.LineStyle.Color = ink
	p.Add(plotter.NewGrid(), bars)
	for _, kind := range append([]string{""}, flagOrder...) {
		xys := points[kind]
		if len(xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("chart of %s: %v", d.Leaderboard, err)
		}
		sc.GlyphStyle.Shape, sc.GlyphStyle.Color, sc.GlyphStyle.Radius = draw.CircleGlyph{}, pointInk, vg.Points(3)
		if kind != "" {
			sc.GlyphStyle.Shape, sc.GlyphStyle.Color, sc.GlyphStyle.Radius = flagGlyph[kind], flagInk[kind], vg.Points(4)
			p.Legend.Add(kind, sc)
		}
		p.Add(sc)
	}
	// The rows are labelled by hand below, in a column of their own.
	p.NominalY(make([]string, n)...)
	p.Y.Min, p.Y.Max = -0.7, float64(n)-0.3
	p.X.Tick.Marker = plot.TickerFunc(scoreTicks)
	p.Legend.Padding = vg.Points(4)
	p.Legend.YOffs = vg.Points(4)

	height := vg.Length(n)*vg.Points(rowHeight) + vg.Inch*1.4
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

	c := vgsvg.New(chartWidth, height)
	full := draw.New(c)
	column := vg.Length(labelShare) * chartWidth
	// The axis caption is drawn below, centred on the canvas and shortened
	// to fit it, like the title.
	foot := p.X.Label.TextStyle
	foot.XAlign, foot.YAlign = draw.XCenter, draw.YBottom
	dc := draw.Crop(full, column, -vg.Points(12), vg.Points(8)+foot.Height("M"), -vg.Points(10)-p.Title.TextStyle.Height("M"))
	p.Draw(dc)

	// Row labels: "rank. name" from the left edge, where no font can push
	// them off the canvas, and the plausible ranks against the plot. Text
	// is laid out with the metrics of the plot's own font, but a viewer
	// draws it with whatever font it has, often a wider one: names are
	// measured with slack (textWidth) and shortened to leave a gap.
	da := p.DataCanvas(dc)
	_, toY := p.Transforms(&da)
	sty := p.Y.Tick.Label
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	right := sty
	right.XAlign = draw.XRight
	edge, gap := vg.Points(6), vg.Points(10)
	// The title, centred on the canvas and shortened to fit it.
	head := p.Title.TextStyle
	head.XAlign, head.YAlign = draw.XCenter, draw.YTop
	full.FillText(head, vg.Point{X: chartWidth / 2, Y: height - vg.Points(4)}, title(d, head, chartWidth-2*edge))
	full.FillText(foot, vg.Point{X: chartWidth / 2, Y: vg.Points(4)}, shorten(foot, caption, chartWidth-2*edge))
	for i, e := range d.Entries {
		y := toY(float64(n - 1 - i))
		room := column - edge - gap
		if e.RankBest > 0 {
			ranks := "[" + RankRange(e.RankBest, e.RankWorst) + "]"
			full.FillText(right, vg.Point{X: column - gap, Y: y}, ranks)
			room -= textWidth(sty, ranks) + gap
		}
		prefix := strconv.Itoa(e.Rank) + ". "
		full.FillText(sty, vg.Point{X: edge, Y: y}, prefix+shorten(sty, CleanText(e.Label()), room-textWidth(sty, prefix)))
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart of %s: %v", d.Leaderboard, err)
	}
	return buf.Bytes(), nil
}

// title names the leaderboard, the snapshot's date and its battles, the
// name shortened so that the whole fits max in sty.
func title(d *Document, sty text.Style, max vg.Length) string {
	date := d.PublishedAt
	if t, err := time.Parse(time.RFC3339, d.PublishedAt); err == nil {
		date = t.UTC().Format("2006-01-02")
	}
	rest := fmt.Sprintf(" — %s — %s battles", CleanText(date), clix.Thousands(d.Battles))
	return shorten(sty, CleanText(d.Name), max-textWidth(sty, rest)) + rest
}

// RankRange writes plausible ranks as people read them: "3", "2–5".
func RankRange(best, worst int) string {
	if best == worst {
		return strconv.Itoa(best)
	}
	return strconv.Itoa(best) + "–" + strconv.Itoa(worst)
}

// confidence is a record's level, 0.95 for records that predate it.
func confidence(c float64) float64 {
	if c == 0 {
		return 0.95
	}
	return c
}

// scoreTicks marks a score axis from min to max with a labelled tick every
// 1, 2 or 5 × 10^k points, the step that gives 6 to 15 of them, and four
// or five unlabelled ones between.
func scoreTicks(min, max float64) []plot.Tick {
	span := max - min
	if !(span > 0) || math.IsInf(span, 0) {
		return []plot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'f', -1, 64)}}
	}
	step := math.Pow(10, math.Floor(math.Log10(span/10)))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(step*m) <= 15 {
			step *= m
			break
		}
	}
	minor := step / 5
	if m := step / math.Pow(10, math.Floor(math.Log10(step))); m == 2 {
		minor = step / 4
	}
	var ticks []plot.Tick
	for k := math.Ceil(min / minor); ; k++ {
		t := plot.Tick{Value: k * minor}
		if r := math.Round(t.Value / step); math.Abs(t.Value-r*step) < minor/2 {
			t.Value = r * step
			t.Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
		if t.Value > max {
			break
		}
		if t.Value >= min {
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// whisker is one row's interval: its middle and the distances to its bounds.
type whisker struct{ x, y, lo, hi float64 }

type whiskers []whisker

func (w whiskers) Len() int                        { return len(w) }
func (w whiskers) XY(i int) (float64, float64)     { return w[i].x, w[i].y }
func (w whiskers) XError(i int) (float64, float64) { return w[i].lo, w[i].hi }
