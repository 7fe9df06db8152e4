package publish

import (
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/sink"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// headToHead makes a snapshot's head-to-head files: the pairs document,
// from the record's head_to_head and its scores, and its two heatmaps.
func headToHead(rec *leaderboard.Record, d *snapshot.Document) ([]sink.Extra, error) {
	pairs := snapshot.BuildPairs(rec, d)
	body, err := snapshot.MarshalPairs(pairs)
	if err != nil {
		return nil, err
	}
	out := []sink.Extra{{Suffix: "pairs.json", Body: body, ContentType: sink.TypeJSON}}
	for _, kind := range []string{snapshot.HeatmapObserved, snapshot.HeatmapPredicted} {
		svg, err := snapshot.Heatmap(d, pairs, kind)
		if err != nil {
			return nil, err
		}
		out = append(out, sink.Extra{Suffix: kind + ".svg", Body: svg, ContentType: sink.TypeSVG})
	}
	return out, nil
}

// slugsOf lists the leaderboards of index lines.
func slugsOf(lines []snapshot.IndexEntry) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Leaderboard
	}
	return out
}
