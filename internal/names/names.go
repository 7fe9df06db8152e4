// Package names owns what a name may be once it leaves the data and
// becomes a path, an S3 key, a database value or a label (DESIGN §3:
// names are data).
//
// A leaderboard slug (a category, or api.leaderboard.slug) becomes a folder
// and a key prefix, so it must be one safe path segment on every file
// system and object store the snapshots go to:
//
//	1 to 100 characters (api.leaderboard.slug is varchar(100)),
//	lower-case ASCII letters and digits, '-' and '_',
//	starting with a letter or a digit,
//	not one of the reserved top-level names "runs" and "held".
//
// Without dots a slug can be neither "." nor ".." nor a file of the layout
// (index.json, index.html); without upper case two slugs never collide on a
// case-insensitive file system.
//
// A model slug is data: it is stored in api.model.slug (varchar(200)) and
// shown in tables and charts, never turned into a path. It may be any
// valid UTF-8 text of 1 to 200 characters (characters, as PostgreSQL counts
// varchar lengths, not bytes) without control or format characters (Unicode
// Cc and Cf: no ESC, no NUL, no bidirectional overrides), line or paragraph
// separators, and without white space at either end ("gpt-4 " is never the
// model "gpt-4").
//
// Segment and Key are the sinks' own guard, independent of the rules above:
// whatever reaches a sink, a key that could leave the sink's root is
// refused.
package names

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length limits, in characters, of the database columns names go to.
const (
	MaxLeaderboard = 100 // api.leaderboard.slug varchar(100)
	MaxModel       = 200 // api.model.slug varchar(200)
)

// Reserved are top-level names of the published layout that no
// leaderboard may take.
var Reserved = []string{"runs", "held"}

// Leaderboard returns nil when s may be a leaderboard slug, else what is
// wrong with it, in words.
func Leaderboard(s string) error {
	if s == "" {
		return fmt.Errorf("a leaderboard slug must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxLeaderboard {
		return fmt.Errorf("a leaderboard slug has at most %d characters, this one %d", MaxLeaderboard, n)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return fmt.Errorf("a leaderboard slug is lower-case letters, digits, '-' and '_', starting with a letter or digit")
		}
	}
	for _, r := range Reserved {
		if s == r {
			return fmt.Errorf("%q is a reserved name of the published layout", s)
		}
	}
	return nil
}

// Model returns nil when s may be a model slug, else what is wrong with
// it, in words.
func Model(s string) error {
	if s == "" {
		return fmt.Errorf("a model slug must not be empty")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("a model slug must be valid UTF-8")
	}
	n := 0
	for _, r := range s {
		n++
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("a model slug must not hold control characters (%U)", r)
		}
	}
	if n > MaxModel {
		return fmt.Errorf("a model slug has at most %d characters, this one %d", MaxModel, n)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("a model slug must not start or end with white space")
	}
	return nil
}

// MaxSegment is the longest path segment a sink writes, in bytes: the
// usual file name limit.
const MaxSegment = 255

// Segment returns nil when s is one path segment that stays where it is
// put: not empty, not "." or "..", no '/' or '\\', no NUL or other control
// character, valid UTF-8, at most MaxSegment bytes.
func Segment(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty path segment")
	case s == "." || s == "..":
		return fmt.Errorf("path segment %q", s)
	case len(s) > MaxSegment:
		return fmt.Errorf("path segment longer than %d bytes", MaxSegment)
	case !utf8.ValidString(s):
		return fmt.Errorf("path segment %q is not valid UTF-8", s)
	}
	for _, r := range s {
		if r == '/' || r == '\\' || unicode.Is(unicode.Cc, r) {
			return fmt.Errorf("path segment %q holds %q", s, r)
		}
	}
	return nil
}

// Key returns nil when key ("SLUG/NAME", "index.json") is a relative key
// whose every '/'-separated segment passes Segment: no leading '/', no
// empty segment, no "." or "..", no backslash. Such a key joined under a
// root never leaves it.
func Key(key string) error {
	if key == "" {
		return fmt.Errorf("empty key")
	}
	for _, seg := range strings.Split(key, "/") {
		if err := Segment(seg); err != nil {
			return fmt.Errorf("key %q: %v", key, err)
		}
	}
	return nil
}
