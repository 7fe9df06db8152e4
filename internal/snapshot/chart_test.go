package snapshot

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// svgText is a text element of a chart: where it starts and what it says.
type svgText struct {
	x, y float64
	text string
}

// parseSVG parses a chart strictly as XML (the decoder refuses characters
// XML 1.0 forbids) and returns its width and its text elements.
func parseSVG(t *testing.T, svg []byte) (width float64, texts []svgText) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	dec.Strict = true
	var cur *svgText
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG does not parse as XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Name.Local] = a.Value
			}
			switch tok.Name.Local {
			case "svg":
				vb := strings.Fields(attr["viewBox"])
				if len(vb) != 4 {
					t.Fatalf("svg viewBox %q", attr["viewBox"])
				}
				width, _ = strconv.ParseFloat(vb[2], 64)
			case "text":
				x, _ := strconv.ParseFloat(attr["x"], 64)
				y, _ := strconv.ParseFloat(attr["y"], 64)
				cur = &svgText{x: x, y: y}
			}
		case xml.CharData:
			if cur != nil {
				cur.text += string(tok)
			}
		case xml.EndElement:
			if tok.Name.Local == "text" && cur != nil {
				texts = append(texts, *cur)
				cur = nil
			}
		}
	}
	return width, texts
}

// hostile is a record whose names try every way of breaking a chart: the
// longest legal names, markup, control and format characters, invalid
// UTF-8, wide characters, and flagged models.
func hostile(t *testing.T) (*leaderboard.Record, map[string]Model) {
	rec := *fixtureRecords(t)[0]
	rec.Entries = append([]leaderboard.Entry(nil), rec.Entries...)
	long := strings.Repeat("x", 200)
	rec.Entries[0].Model = long
	rec.Entries[1].Model = "<script>alert(1)</script>"
	rec.Entries[2].Model = "ctl\x01\x1b[31m\x7f\u0085\u202e\u2028\ufffe-end"
	rec.Entries[3].Model = strings.Repeat("模型", 100)
	rec.Entries[4].Model = "bad-utf8-\xff\xfe"
	rec.Entries[2].Flags = []string{"undefeated"}
	rec.Entries[4].Flags = []string{"winless", "separate"}
	for i := range rec.Entries {
		rec.Entries[i].RankBest, rec.Entries[i].RankWorst = i+1, min(i+3, len(rec.Entries))
	}
	rec.Name = "Overall \x00 <b>&amp;</b> " + strings.Repeat("long board name ", 12)
	models := map[string]Model{
		long: {Name: strings.Repeat("Wide Model Name ", 18) + "W", Organization: "Org"},
	}
	return &rec, models
}

// Every chart is valid XML whatever the names, shows every model's rank,
// (shortened) name and plausible ranks, marks the flagged models, names
// the board, the date and the battles, and keeps its text on the canvas.
func TestChart(t *testing.T) {
	rec, models := hostile(t)
	for _, tc := range []struct {
		name   string
		rec    *leaderboard.Record
		models map[string]Model
	}{
		{"fixture", fixtureRecords(t)[0], fixtureModels},
		{"fixture, no database", fixtureRecords(t)[0], nil},
		{"hostile names", rec, models},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Build(tc.rec, Meta{Identifier: Identifier(fixedTime), PublishedAt: fixedTime, Models: tc.models})
			svg, err := Chart(d)
			if err != nil {
				t.Fatal(err)
			}
			width, texts := parseSVG(t, svg)
			var all strings.Builder
			sty := plot.New().Y.Tick.Label
			for _, tx := range texts {
				all.WriteString(tx.text + "\n")
				if !utf8.ValidString(tx.text) || CleanText(tx.text) != tx.text {
					t.Errorf("text %q holds characters a label must not", tx.text)
				}
				if w := float64(textWidth(sty, tx.text) / vg.Points(1)); tx.x < 0 || (len(tx.text) > 12 && tx.x+w > width) {
					t.Errorf("text %q at x=%.1f, about %.1f wide, leaves the canvas (0..%.0f)", tx.text, tx.x, w, width)
				}
			}
			got := all.String()
			for _, e := range d.Entries {
				name := []rune(CleanText(e.Label()))
				if !strings.Contains(got, strconv.Itoa(e.Rank)+". "+string(name[:min(len(name), 8)])) {
					t.Errorf("the chart does not name %.40q with its rank", e.Label())
				}
				if e.RankBest > 0 && !strings.Contains(got, "["+RankRange(e.RankBest, e.RankWorst)+"]") {
					t.Errorf("the chart lacks %s's ranks %d-%d", e.Model, e.RankBest, e.RankWorst)
				}
			}
			for _, want := range []string{"2025-03-14", clix.Thousands(d.Battles) + " battles", d.Identifier, "95% interval"} {
				if !strings.Contains(got, want) {
					t.Errorf("the chart lacks %q", want)
				}
			}
			if board := []rune(CleanText(d.Name)); !strings.Contains(got, string(board[:min(len(board), 10)])) {
				t.Errorf("the chart does not name the board")
			}
			if tc.rec == rec {
				for _, f := range flagOrder {
					if !strings.Contains(got, "\n"+f+"\n") {
						t.Errorf("no legend for %s models", f)
					}
				}
				if !strings.Contains(got, "…") {
					t.Errorf("no name was shortened")
				}
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"GPT-4o":                 "GPT-4o",
		"a\tb\nc\r\u2028d":       "a b c  d",
		"\x00\x01\x1b[31m\x7f":   "\ufffd\ufffd\ufffd[31m\ufffd",
		"rtl\u202eevil\u200b":    "rtl\ufffdevil\ufffd",
		"bad\xff\xfe":            "bad\ufffd\ufffd",
		"\ufffe\uffff\ufdd0 ok":  "\ufffd\ufffd\ufffd ok",
		"<script>&amp;":          "<script>&amp;",
		"模型 \U0001F600 é \ufffd": "模型 \U0001F600 é \ufffd",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScoreTicks(t *testing.T) {
	for _, r := range [][2]float64{{780, 1140}, {990, 1010}, {-3000, 3000}, {1000.2, 1000.9}, {-50, 2950}} {
		ticks := scoreTicks(r[0], r[1])
		var labelled []float64
		for i, tk := range ticks {
			if tk.Value < r[0] || tk.Value > r[1] || (i > 0 && tk.Value <= ticks[i-1].Value) {
				t.Errorf("%v: tick %v out of range or order", r, tk.Value)
			}
			if tk.Label != "" {
				labelled = append(labelled, tk.Value)
			}
		}
		if len(labelled) < 5 || len(labelled) > 16 {
			t.Errorf("%v: %d labelled ticks %v, want about ten", r, len(labelled), labelled)
		}
		if len(ticks) < 2*len(labelled) {
			t.Errorf("%v: %d ticks for %d labels: no minor ticks between", r, len(ticks), len(labelled))
		}
	}
}
