package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/goccy/go-json"
)

func writeNDJSON(w io.Writer, records []leaderboard.Record) error {
	for _, r := range records {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// writeTable writes, per leaderboard, a title line and an aligned table.
func writeTable(w io.Writer, records []leaderboard.Record) error {
	for i, r := range records {
		if i > 0 {
			fmt.Fprintln(w)
		}
		title := r.Leaderboard
		if r.Name != "" && r.Name != r.Leaderboard {
			title += " (" + r.Name + ")"
		}
		if r.Variant == leaderboard.VariantStyle {
			title += ", style-controlled"
		}
		if r.Status == leaderboard.Skipped {
			fmt.Fprintf(w, "%s: skipped, %s: %d battles, %d models\n", title, strings.ReplaceAll(r.Reason, "_", " "), r.Battles, r.Models)
			continue
		}
		level := percent(r.Params.Confidence)
		if r.Style != nil {
			writeStyle(w, title, r)
		} else {
			fmt.Fprintf(w, "%s: %d battles, %d models, %d ranked (%s intervals from %d bootstrap rounds, seed %d)\n",
				title, r.Battles, r.Models, len(r.Entries), level, r.Params.Bootstrap, r.Provenance.Seed)
		}
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "rank\t  ranks\ttier\tmodel\t  score\t%s interval\t  votes\tflags\n", level)
		for _, e := range r.Entries {
			fmt.Fprintf(tw, "%4d\t%7s\t%4d\t%s\t%7.1f\t%s\t%7d\t%s\n", e.Rank, rankRange(e), e.Tier, e.Model, e.Score,
				fmt.Sprintf("-%.1f/+%.1f", e.Score-e.CILower, e.CIUpper-e.Score), e.Votes, strings.Join(e.Flags, ","))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, line := range strings.SplitAfter(buf.String(), "\n") {
			if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+strings.Repeat("\n", strings.Count(line, "\n"))); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeStyle writes a style-controlled leaderboard's title line and its
// coefficients.
func writeStyle(w io.Writer, title string, r leaderboard.Record) {
	how := "sandwich standard errors"
	if r.Style.Intervals == leaderboard.IntervalsBootstrap {
		how = fmt.Sprintf("%d bootstrap rounds, seed %d", r.Params.Bootstrap, r.Provenance.Seed)
	}
	fmt.Fprintf(w, "%s: %d battles, %d models, %d ranked (%s intervals from %s)\n",
		title, r.Battles, r.Models, len(r.Entries), percent(r.Params.Confidence), how)
	var parts []string
	for _, c := range r.Style.Coefficients {
		name := c.Feature
		if name == "length" {
			name += " (" + r.Style.LengthUnit + ")"
		}
		if c.Dropped != "" {
			parts = append(parts, name+" "+c.Dropped)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %+.3f [%+.3f, %+.3f]", name, c.Beta, c.CILower, c.CIUpper))
	}
	fmt.Fprintf(w, "style coefficients (log odds per standard deviation): %s\n", strings.Join(parts, ", "))
}

// percent writes a confidence level as people read it: "95%".
func percent(c float64) string {
	if c == 0 {
		c = 0.95
	}
	return strconv.FormatFloat(c*100, 'f', -1, 64) + "%"
}

// rankRange writes an entry's plausible ranks: "3", "2-5".
func rankRange(e leaderboard.Entry) string {
	if e.RankBest == e.RankWorst {
		return strconv.Itoa(e.RankBest)
	}
	return fmt.Sprintf("%d-%d", e.RankBest, e.RankWorst)
}

// writeCSV writes one row per entry, with a header row. A
// style-controlled leaderboard's rows name it by the slug it is published
// under (leaderboard.StyleSlug).
func writeCSV(w io.Writer, records []leaderboard.Record) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"leaderboard", "rank", "model", "score", "ci_lower", "ci_upper", "votes", "flags", "rank_best", "rank_worst", "tier"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }
	for _, r := range records {
		slug := r.Leaderboard
		if r.Variant == leaderboard.VariantStyle {
			slug = leaderboard.StyleSlug(slug)
		}
		for _, e := range r.Entries {
			cw.Write([]string{slug, strconv.Itoa(e.Rank), e.Model, f(e.Score), f(e.CILower), f(e.CIUpper),
				strconv.FormatInt(e.Votes, 10), strings.Join(e.Flags, " "),
				strconv.Itoa(e.RankBest), strconv.Itoa(e.RankWorst), strconv.Itoa(e.Tier)})
		}
	}
	cw.Flush()
	return cw.Error()
}
