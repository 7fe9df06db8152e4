package snapshot

import (
	"bytes"
	"encoding/json"

	"github.com/bixarena/arena-snapshots/internal/leaderboard"
)

// Pairs is a snapshot's head-to-head document, SLUG/IDENTIFIER.pairs.json:
// every pair of listed models (leaderboard.Pair: model A listed above
// model B), with the battles, wins and ties of the pairs that met and the
// predicted probability that A beats B. Observed is false when the record
// carried no head-to-head counts (written by hand, or by a rank that did
// not count them): the pairs then have predicted probabilities only.
type Pairs struct {
	Leaderboard string             `json:"leaderboard"`
	Name        string             `json:"name"`
	Identifier  string             `json:"snapshot_identifier"`
	PublishedAt string             `json:"published_at"`
	Battles     int64              `json:"battles"`
	Observed    bool               `json:"observed"`
	Models      []string           `json:"models"` // best first, as the entries
	Pairs       []leaderboard.Pair `json:"pairs"`
}

// BuildPairs makes the head-to-head document of a validated ranked record
// and its document. The predicted probabilities are recomputed from the
// scores (leaderboard.WinProbability), so that a record without --pairs
// publishes them too.
func BuildPairs(rec *leaderboard.Record, d *Document) *Pairs {
	p := &Pairs{
		Leaderboard: d.Leaderboard, Name: d.Name, Identifier: d.Identifier, PublishedAt: d.PublishedAt,
		Battles: d.Battles, Observed: len(rec.HeadToHead) > 0,
		Models: make([]string, len(rec.Entries)),
		Pairs:  rec.PairList(),
	}
	for i, e := range rec.Entries {
		p.Models[i] = e.Model
	}
	return p
}

// MarshalPairs encodes a head-to-head document as indented JSON with one
// pair per line (a board of 100 models has 4,950 pairs), ending with a
// newline.
func MarshalPairs(p *Pairs) ([]byte, error) {
	head := *p
	head.Pairs = nil
	b, err := Marshal(&head)
	if err != nil {
		return nil, err
	}
	// Replace the trailing `"pairs": null` with the pairs, one a line.
	cut := bytes.LastIndex(b, []byte(`"pairs": null`))
	var buf bytes.Buffer
	buf.Write(b[:cut])
	buf.WriteString(`"pairs": [`)
	for i, pair := range p.Pairs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(pair); err != nil {
			return nil, err
		}
		buf.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	if len(p.Pairs) > 0 {
		buf.WriteString("\n  ")
	}
	buf.WriteString("]\n}\n")
	return buf.Bytes(), nil
}
