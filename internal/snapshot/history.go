package snapshot

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// History lists a leaderboard's snapshots, newest first; it lives at
// PREFIX/SLUG/index.json beside them and grows by one line per snapshot
// published (from the version that writes it on: earlier snapshots are
// not listed). Paths in it are relative to PREFIX, as in the index.
type History struct {
	Leaderboard string         `json:"leaderboard"`
	UpdatedAt   string         `json:"updated_at"`
	Snapshots   []HistoryEntry `json:"snapshots"`
}

// HistoryEntry is one snapshot of a leaderboard: its index line and its
// head-to-head files.
type HistoryEntry struct {
	IndexEntry
	Pairs     string `json:"pairs"`     // SLUG/IDENTIFIER.pairs.json
	Observed  string `json:"observed"`  // SLUG/IDENTIFIER.observed.svg
	Predicted string `json:"predicted"` // SLUG/IDENTIFIER.predicted.svg
}

// HistoryEntryOf returns the history line of a document published with
// its head-to-head files.
func HistoryEntryOf(d *Document) HistoryEntry {
	base := d.Leaderboard + "/" + d.Identifier
	return HistoryEntry{
		IndexEntry: IndexEntryOf(d),
		Pairs:      base + ".pairs.json",
		Observed:   base + "." + HeatmapObserved + ".svg",
		Predicted:  base + "." + HeatmapPredicted + ".svg",
	}
}

// MergeHistory returns the history old (the stored bytes; nil when there
// is none) with line added, replacing a line of the same identifier (the
// same snapshot published again), newest first: by published_at, then
// identifier. Stored bytes that are not a history, or a history of another
// leaderboard, are an error: a run must not throw away what it cannot
// read.
func MergeHistory(old []byte, line HistoryEntry, now time.Time) ([]byte, error) {
	var h History
	if len(old) > 0 {
		if err := json.Unmarshal(old, &h); err != nil {
			return nil, fmt.Errorf("the stored history is not a history document: %v", err)
		}
		if h.Leaderboard != line.Leaderboard {
			return nil, fmt.Errorf("the stored history is leaderboard %q's, not %q's", h.Leaderboard, line.Leaderboard)
		}
	}
	h.Leaderboard = line.Leaderboard
	kept := h.Snapshots[:0]
	for _, s := range h.Snapshots {
		if s.Identifier != line.Identifier {
			kept = append(kept, s)
		}
	}
	h.Snapshots = append(kept, line)
	sort.SliceStable(h.Snapshots, func(i, j int) bool {
		a, b := h.Snapshots[i], h.Snapshots[j]
		ta, erra := time.Parse(time.RFC3339, a.PublishedAt)
		tb, errb := time.Parse(time.RFC3339, b.PublishedAt)
		if erra == nil && errb == nil && !ta.Equal(tb) {
			return ta.After(tb)
		}
		return a.Identifier > b.Identifier
	})
	h.UpdatedAt = now.UTC().Format(time.RFC3339)
	return Marshal(&h)
}
