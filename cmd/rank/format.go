package main

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/bixarena/arena-snapshots/internal/clix"
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

// methods names the interval methods of leaderboard.Fit.Intervals in a
// table's title.
var methods = map[string]string{"one_step_bootstrap": "one-step bootstrap"}

// writeTable writes, per leaderboard, a title line and an aligned table,
// or one line saying why it was skipped, with the threshold and its flag.
// Names are data: control characters in them are shown escaped
// (clix.Printable), never sent to the terminal.
func writeTable(out io.Writer, records []leaderboard.Record) error {
	var text bytes.Buffer
	if err := table(&text, records); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(text.String(), "\n") {
		body := strings.TrimSuffix(line, "\n")
		if _, err := io.WriteString(out, clix.Printable(body)+line[len(body):]); err != nil {
			return err
		}
	}
	return nil
}

func table(w io.Writer, records []leaderboard.Record) error {
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
			fmt.Fprintf(w, "%s: skipped: %s\n", title, leaderboard.SkipReason(r))
			continue
		}
		level := percent(r.Params.Confidence)
		if r.Style != nil {
			writeStyle(w, title, r)
		} else {
			fmt.Fprintf(w, "%s: %d battles, %d models, %d ranked (%s intervals from %d %s rounds, seed %d)\n",
				title, r.Battles, r.Models, len(r.Entries), level, r.Params.Bootstrap, cmp.Or(methods[r.Fit.Intervals], "bootstrap"), r.Provenance.Seed)
		}
		rankCol := "rank"
		if r.Params.Significant {
			// Two measures side by side: say what each is, so that a
			// significance rank outside its range does not read as an error.
			rankCol = "sig.rank"
			fmt.Fprintf(w, "ranks by significance (--significant): sig.rank = 1 + the models whose %s interval lies wholly above; ranks = %s, another measure that need not contain sig.rank\n",
				level, rangeMeaning(r, level))
		}
		if len(r.Dropped) > 0 {
			fmt.Fprintf(w, "%s\n", leaderboard.DroppedModels(r))
		}
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		// Narrow columns, and flags only when an entry has some, so that
		// a board fits 80 columns when its model names do.
		flags := slices.ContainsFunc(r.Entries, func(e leaderboard.Entry) bool { return len(e.Flags) > 0 })
		header := fmt.Sprintf("%s\tranks\ttier\tmodel\t score\t  %s interval\t votes", rankCol, level)
		if flags {
			header += "\tflags"
		}
		fmt.Fprintln(tw, header)
		for _, e := range r.Entries {
			fmt.Fprintf(tw, "%*d\t%5s\t%4d\t%s\t%6.1f\t%6.1f .. %-6.1f\t%6d", len(rankCol), e.Rank, rankRange(e), e.Tier, clix.Printable(e.Model), e.Score,
				e.CILower, e.CIUpper, e.Votes)
			if flags {
				fmt.Fprintf(tw, "\t%s", strings.Join(e.Flags, ","))
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(r.Pairs) > 0 {
			pairsTable(tw, r.Pairs)
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		for _, line := range strings.SplitAfter(buf.String(), "\n") {
			if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+strings.Repeat("\n", strings.Count(line, "\n"))); err != nil {
				return err
			}
		}
	}
	return nil
}

// rangeMeaning says where a leaderboard's rank ranges come from.
func rangeMeaning(r leaderboard.Record, level string) string {
	if r.Style != nil && r.Style.Intervals == leaderboard.IntervalsSandwich {
		return "the ranks its " + level + " interval allows"
	}
	return "the ranks held in " + level + " of the bootstrap rounds"
}

// pairsTable writes a leaderboard's pairs (rank --pairs) after its table:
// each pair's battles, wins, ties, A's observed win rate (ties count half)
// and its predicted probability of beating B.
func pairsTable(tw io.Writer, pairs []leaderboard.Pair) {
	fmt.Fprintf(tw, "\nhead to head (A listed above B; win rates count ties half)\n")
	fmt.Fprintf(tw, "model A\tmodel B\tbattles\tA won\tB won\t ties\tA's rate\tpredicted\n")
	for _, p := range pairs {
		rate := "-"
		if p.Battles > 0 {
			rate = fmt.Sprintf("%.0f%%", 100*(float64(p.WinsA)+float64(p.Ties)/2)/float64(p.Battles))
		}
		fmt.Fprintf(tw, "%s\t%s\t%7d\t%5d\t%5d\t%5d\t%8s\t%8.0f%%\n", clix.Printable(p.ModelA), clix.Printable(p.ModelB),
			p.Battles, p.WinsA, p.WinsB, p.Ties, rate, 100*p.PredictedA)
	}
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
// writeCSV writes one row per entry. Text cells that a spreadsheet would
// read as a formula (starting with =, +, -, @, a tab or a carriage return)
// get a leading apostrophe, as OWASP advises against CSV injection; the
// numeric cells are numbers.
func writeCSV(w io.Writer, records []leaderboard.Record) error {
	cw := csv.NewWriter(w)
	rank := "rank"
	if len(records) > 0 && records[0].Params.Significant {
		// Not the place by score: the column says which rank it is.
		rank = "significance_rank"
	}
	cw.Write([]string{"leaderboard", rank, "model", "score", "ci_lower", "ci_upper", "votes", "flags", "rank_best", "rank_worst", "tier"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }
	for _, r := range records {
		slug := r.Leaderboard
		if r.Variant == leaderboard.VariantStyle {
			slug = leaderboard.StyleSlug(slug)
		}
		for _, e := range r.Entries {
			cw.Write([]string{textCell(slug), strconv.Itoa(e.Rank), textCell(e.Model), f(e.Score), f(e.CILower), f(e.CIUpper),
				strconv.FormatInt(e.Votes, 10), textCell(strings.Join(e.Flags, " ")),
				strconv.Itoa(e.RankBest), strconv.Itoa(e.RankWorst), strconv.Itoa(e.Tier)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvLeavesOut says, in one line, what of records the CSV cannot carry:
// the skipped leaderboards, with why, and the style coefficients; "" when
// it carries everything.
func csvLeavesOut(records []leaderboard.Record) string {
	var skips, styles []string
	for _, r := range records {
		slug := r.Leaderboard
		if r.Variant == leaderboard.VariantStyle {
			slug = leaderboard.StyleSlug(slug)
		}
		switch {
		case r.Status == leaderboard.Skipped:
			skips = append(skips, fmt.Sprintf("%s (%s)", slug, leaderboard.SkipReason(r)))
		case r.Style != nil && len(r.Style.Coefficients) > 0:
			styles = append(styles, slug)
		}
	}
	var parts []string
	if len(skips) > 0 {
		parts = append(parts, "the skipped leaderboards: "+strings.Join(skips, ", "))
	}
	if len(styles) > 0 {
		parts = append(parts, "the style coefficients of "+strings.Join(styles, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "the CSV leaves out " + strings.Join(parts, "; and ") + " (--format table or ndjson shows them)"
}

// textCell keeps a spreadsheet from reading a text cell as a formula.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
