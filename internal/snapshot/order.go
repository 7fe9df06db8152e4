package snapshot

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Stamp places a snapshot in its leaderboard's history: when it was
// published (its created_at, which for a run is the moment its battles
// were read) and its identifier. The API's current snapshot is the newest
// by created_at (DESIGN §8); latest.json and index.json follow the same
// order, so that a backfill never puts an older snapshot in front.
type Stamp struct {
	PublishedAt string `json:"published_at"`        // RFC 3339
	Identifier  string `json:"snapshot_identifier"` // snapshot_YYYY-MM-DD_HH-MM-SS[_N]
}

// StampOf reads the stamp of a stored document or index line; ok is false
// when b is not one.
func StampOf(b []byte) (s Stamp, ok bool) {
	if err := json.Unmarshal(b, &s); err != nil || s.PublishedAt == "" {
		return Stamp{}, false
	}
	if _, err := time.Parse(time.RFC3339Nano, s.PublishedAt); err != nil {
		return Stamp{}, false
	}
	return s, true
}

// Before reports whether s is older than t: by published_at, then, within
// the same second, by the identifier's suffix (none, _2, _3, ...). A stamp
// whose time does not parse is older than any other.
func (s Stamp) Before(t Stamp) bool {
	a, aerr := time.Parse(time.RFC3339Nano, s.PublishedAt)
	b, berr := time.Parse(time.RFC3339Nano, t.PublishedAt)
	switch {
	case aerr != nil || berr != nil:
		return aerr != nil && berr == nil
	case !a.Equal(b):
		return a.Before(b)
	}
	return suffix(s.Identifier) < suffix(t.Identifier)
}

// suffix is the number an identifier ends with after its time (1 when
// none): snapshot_2025-06-01_12-00-00_3 is 3.
func suffix(id string) int {
	rest := strings.TrimPrefix(id, "snapshot_")
	if len(rest) <= len(IdentifierLayout)+1 || rest[len(IdentifierLayout)] != '_' {
		return 1
	}
	n, err := strconv.Atoi(rest[len(IdentifierLayout)+1:])
	if err != nil {
		return 1
	}
	return n
}

// Stamp returns the document's stamp.
func (d *Document) Stamp() Stamp { return Stamp{PublishedAt: d.PublishedAt, Identifier: d.Identifier} }

// Stamp returns the index line's stamp.
func (e IndexEntry) Stamp() Stamp { return Stamp{PublishedAt: e.PublishedAt, Identifier: e.Identifier} }
