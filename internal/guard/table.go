package guard

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Report is one leaderboard's part of a diff table: what publishing did
// or would do (Status: "published", "would_publish", "held", ...), a
// detail for people (why it was skipped or failed), the diff (nil when
// there is none to show), and the rules it broke.
type Report struct {
	Leaderboard string
	Status      string
	Detail      string
	Diff        *Diff
	Violations  []Violation
}

// WriteTable writes reports for people: per leaderboard a title line (its
// status and the snapshot compared with), the battles and entries before
// and after, then one row per model added, removed or moved beyond its
// intervals, marked +, − and ↑/↓, and the rules broken. A rank or score
// beyond its intervals is marked with "!". Names are written with
// control and other non-printable characters escaped.
func WriteTable(w io.Writer, reports []Report) error {
	var buf bytes.Buffer
	marked := false
	for i, r := range reports {
		if i > 0 {
			buf.WriteByte('\n')
		}
		d := r.Diff
		if d == nil {
			fmt.Fprintf(&buf, "%s: %s", printable(r.Leaderboard), r.Status)
			if r.Detail != "" {
				fmt.Fprintf(&buf, ": %s", printable(r.Detail))
			}
			buf.WriteByte('\n')
			writeViolations(&buf, r.Violations)
			continue
		}
		against := "no public snapshot before"
		if d.Previous != nil {
			against = "against " + printable(d.Previous.Identifier)
		}
		fmt.Fprintf(&buf, "%s: %s, %s\n", printable(d.Leaderboard), r.Status, against)
		if d.Previous != nil {
			fmt.Fprintf(&buf, "  battles %s, entries %s\n", d.Battles.String(), d.Entries.String())
		} else {
			fmt.Fprintf(&buf, "  battles %d, entries %d\n", d.Battles.After, d.Entries.After)
		}
		if d.Changed() {
			tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  \tmodel\trank\tscore\tvotes")
			for _, e := range d.Added {
				fmt.Fprintf(tw, "  +\t%s\t%d\t%.1f [%.1f, %.1f]\t%d\n", printable(e.Model), e.Rank, e.Score, e.CILower, e.CIUpper, e.Votes)
			}
			for _, e := range d.Removed {
				fmt.Fprintf(tw, "  -\t%s\t(%d)\t(%.1f [%.1f, %.1f])\t%d\n", printable(e.Model), e.Rank, e.Score, e.CILower, e.CIUpper, e.Votes)
			}
			for _, m := range d.Moved {
				arrow := "↑"
				if m.RankAfter > m.RankBefore || m.RankAfter == m.RankBefore && m.ScoreAfter < m.ScoreBefore {
					arrow = "↓"
				}
				rank := fmt.Sprintf("%d → %d", m.RankBefore, m.RankAfter)
				if m.RankBeyond {
					rank += fmt.Sprintf(" ! (allowed %s)", rankRange(m.RankRange))
					marked = true
				}
				score := fmt.Sprintf("%.1f → %.1f (%+.1f)", m.ScoreBefore, m.ScoreAfter, m.ScoreAfter-m.ScoreBefore)
				if m.ScoreBeyond {
					score += fmt.Sprintf(" ! (±%.1f)", m.HalfWidth)
					marked = true
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\n", arrow, printable(m.Model), rank, score, m.Votes)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		switch {
		case d.Within > 0 && d.Changed():
			fmt.Fprintf(&buf, "  %d more moved within their intervals\n", d.Within)
		case d.Within > 0:
			fmt.Fprintf(&buf, "  no model added or removed; %d moved within their intervals\n", d.Within)
		case !d.Changed() && d.Previous != nil:
			fmt.Fprintf(&buf, "  no change in the entries\n")
		}
		writeViolations(&buf, r.Violations)
	}
	if marked {
		fmt.Fprintf(&buf, "\n! beyond the intervals: a rank outside the ranks the model's interval allowed before,\n"+
			"  a score moved by more than the larger of its two interval half-widths (±)\n")
	}
	// Trailing blanks that tabwriter leaves go.
	var out strings.Builder
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		nl := strings.HasSuffix(line, "\n")
		out.WriteString(strings.TrimRight(line, " \n"))
		if nl {
			out.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, out.String())
	return err
}

func writeViolations(buf *bytes.Buffer, vs []Violation) {
	for _, v := range vs {
		fmt.Fprintf(buf, "  held by %s: %s\n", v.Rule, printable(v.Message))
	}
}

// String writes a count as "before → after (±change)", "after
// (unchanged)", or "? → after" when the count before is unknown.
func (c Count) String() string {
	switch {
	case c.Before < 0:
		return fmt.Sprintf("? → %d", c.After)
	case c.Before == c.After:
		return fmt.Sprintf("%d (unchanged)", c.After)
	}
	return fmt.Sprintf("%d → %d (%+d)", c.Before, c.After, c.After-c.Before)
}

func rankRange(r [2]int) string {
	if r[0] == r[1] {
		return fmt.Sprintf("%d", r[0])
	}
	return fmt.Sprintf("%d–%d", r[0], r[1])
}

// printable returns s with non-printable characters (controls, escapes)
// written as Go escapes, so that a name cannot drive the terminal.
func printable(s string) string {
	for _, c := range s {
		if !unicode.IsPrint(c) {
			q := strconv.QuoteToGraphic(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}
