package battle

import (
	"fmt"
	"time"
)

// Moment is when the battles of one or more streams were read (DESIGN §5):
// it travels from the export's header through rank into each leaderboard
// record, and snapshot-publish names and dates the snapshot after it, so
// that one run makes one snapshot however often it is published.
type Moment struct {
	// AsOf is the time the battles stand for: the export's --until bound
	// when it had one (a backfill), else the export time. Zero when an
	// input had no header (a hand-made file): publishing then uses its
	// own clock.
	AsOf time.Time
	// ExportedAt is when the export read the battles; zero without a
	// header.
	ExportedAt time.Time
}

// MomentOf returns the moment of a stream from its header (nil: a file of
// battle lines only). Times are RFC 3339; a header whose exported_at or
// filter.until is not one is an error naming the field.
func MomentOf(h *Header) (Moment, error) {
	if h == nil {
		return Moment{}, nil
	}
	var m Moment
	if h.ExportedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, h.ExportedAt)
		if err != nil {
			return Moment{}, fmt.Errorf("header: exported_at %q is not an RFC 3339 time", h.ExportedAt)
		}
		m.ExportedAt, m.AsOf = t, t
	}
	if h.Filter.Until != "" {
		t, err := time.Parse(time.RFC3339Nano, h.Filter.Until)
		if err != nil {
			return Moment{}, fmt.Errorf("header: filter.until %q is not an RFC 3339 time", h.Filter.Until)
		}
		m.AsOf = t
	}
	return m, nil
}

// Join is the moment of several inputs ranked together: the newest of
// their times, and no AsOf when any of them has none (a hand-made file
// mixed in stands for no export).
func Join(ms []Moment) Moment {
	var out Moment
	missing := len(ms) == 0
	for _, m := range ms {
		if m.ExportedAt.After(out.ExportedAt) {
			out.ExportedAt = m.ExportedAt
		}
		if m.AsOf.IsZero() {
			missing = true
		} else if m.AsOf.After(out.AsOf) {
			out.AsOf = m.AsOf
		}
	}
	if missing {
		out.AsOf = time.Time{}
	}
	return out
}

// Format writes a moment's time as records carry it: RFC 3339 in UTC to
// the microsecond (what PostgreSQL's timestamptz keeps), "" for zero.
func Format(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}
