// Package battle owns the battle stream (DESIGN §3): the battle record, the
// header and trailer records that make a battles-export stream
// self-verifying, and the streaming decoder with its limits.
package battle

// Winner values of a battle record. Both tie forms count half a win each.
const (
	WinnerA       = "model_a"
	WinnerB       = "model_b"
	WinnerTie     = "tie"
	WinnerBothBad = "tie (bothbad)"
)

// Record is one battle line, field names as in public arena data. Count,
// when present, says that the line stands for that many identical battles.
type Record struct {
	ModelA     string   `json:"model_a"`
	ModelB     string   `json:"model_b"`
	Winner     string   `json:"winner"`
	Count      int64    `json:"count,omitempty"`
	Categories []string `json:"categories,omitempty"`
	BattleID   string   `json:"battle_id,omitempty"`
	CreatedAt  string   `json:"created_at,omitempty"`
	// Style, when not nil, holds the style features of each side's
	// answers (battles-export --style).
	Style *StyleRecord `json:"style,omitempty"`
}

// StreamKind is the value of the "stream" field of a battles-export header
// and trailer; StreamVersion is the format version this package reads and
// writes.
const (
	StreamKind    = "battles"
	StreamVersion = 1
)

// Header is the first line of a battles-export stream. It has no model_a,
// so readers that know nothing of it can tell it from a battle.
type Header struct {
	Stream       string            `json:"stream"` // StreamKind
	Type         string            `json:"type"`   // "header"
	Version      int               `json:"version"`
	ExportedAt   string            `json:"exported_at"` // RFC 3339, UTC
	Aggregated   bool              `json:"aggregated"`
	Filter       Filter            `json:"filter"`
	Leaderboards []LeaderboardName `json:"leaderboards"`
}

// Filter records what a battles-export run selected.
type Filter struct {
	Leaderboard string `json:"leaderboard,omitempty"`
	Since       string `json:"since,omitempty"`
	Until       string `json:"until,omitempty"`
}

// LeaderboardName is one row of api.leaderboard as the header carries it.
type LeaderboardName struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// HasLeaderboard returns a function that reports whether boards holds the
// leaderboard slug.
func HasLeaderboard(boards []LeaderboardName) func(slug string) bool {
	return func(slug string) bool {
		for _, l := range boards {
			if l.Slug == slug {
				return true
			}
		}
		return false
	}
}

// Trailer is the last line of a battles-export stream: Records counts the
// battle lines before it, Battles the battles they stand for (the sum of
// their counts).
type Trailer struct {
	Stream  string `json:"stream"` // StreamKind
	Type    string `json:"type"`   // "trailer"
	Records int64  `json:"records"`
	Battles int64  `json:"battles"`
}

// Record types of the header and trailer lines.
const (
	TypeHeader  = "header"
	TypeTrailer = "trailer"
)

// Overall is the slug of the leaderboard every qualifying battle counts in.
const Overall = "overall"
