package leaderboard

import (
	"fmt"
	"strings"
)

// SkipReason says in words why a skipped record was skipped, with the
// threshold and the rank flag that sets it: "12 battles < --min-battles
// 30". These are rank's words (its table, its CSV notes, its log) and the
// leaderboard site's, which lists the leaderboards not yet published.
// A reason it does not know is its code with spaces.
func SkipReason(r Record) string {
	p := r.Params
	switch r.Reason {
	case ReasonInsufficientBattles:
		return fmt.Sprintf("%d battles < --min-battles %d", r.Battles, p.MinBattles)
	case ReasonInsufficientModels:
		return fmt.Sprintf("%d models < --min-models %d (%d battles)", r.Models, p.MinModels, r.Battles)
	case ReasonInsufficientEntries:
		return fmt.Sprintf("%d models ranked < --min-models %d; %s", r.Models-len(r.Dropped), p.MinModels, DroppedModels(r))
	case ReasonNoEntries:
		if r.Models == 0 {
			return "no battles"
		}
		most, known := int64(0), false
		for _, d := range r.Dropped {
			if d.Reason == DroppedVotes {
				most, known = max(most, d.Votes), true
			}
		}
		switch {
		case known:
			return fmt.Sprintf("no model has %d votes (--min-votes %d; the most: %d) in %d battles between %d models", p.MinVotes, p.MinVotes, most, r.Battles, r.Models)
		case len(r.Dropped) == 0 && p.MinVotes > 0:
			// A record read back from the stream, which does not carry
			// Dropped: why each model was left out is not known.
			return fmt.Sprintf("no model has both %d votes (--min-votes %d) and a finite score, in %d battles between %d models", p.MinVotes, p.MinVotes, r.Battles, r.Models)
		}
		return fmt.Sprintf("no model has a finite score (%d battles, %d models)", r.Battles, r.Models)
	}
	return strings.ReplaceAll(r.Reason, "_", " ")
}

// DroppedModels lists the models of a record that have no entry, and why
// (at most 8 names per reason): "not ranked (fewer votes than --min-votes
// 10): a (3 votes), b (1 vote)"; "" when none was dropped.
func DroppedModels(r Record) string {
	const most = 8
	var votes, scores []string
	for _, d := range r.Dropped {
		switch d.Reason {
		case DroppedVotes:
			unit := "votes"
			if d.Votes == 1 {
				unit = "vote"
			}
			votes = append(votes, fmt.Sprintf("%s (%d %s)", d.Model, d.Votes, unit))
		default:
			scores = append(scores, d.Model)
		}
	}
	list := func(names []string) string {
		if len(names) > most {
			return strings.Join(names[:most], ", ") + fmt.Sprintf(" and %d more", len(names)-most)
		}
		return strings.Join(names, ", ")
	}
	var parts []string
	if len(votes) > 0 {
		parts = append(parts, fmt.Sprintf("not ranked (fewer votes than --min-votes %d): %s", r.Params.MinVotes, list(votes)))
	}
	if len(scores) > 0 {
		parts = append(parts, fmt.Sprintf("not ranked (no finite score in (0, 3000]): %s", list(scores)))
	}
	return strings.Join(parts, "; ")
}
