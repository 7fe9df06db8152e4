package snapshot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// CleanText returns s as text that any page or picture can hold: invalid
// UTF-8, control characters (Unicode Cc, including tabs and line breaks,
// which would break a label in two), format characters (Cf: bidirectional
// overrides that reorder what follows, zero-width marks), line and
// paragraph separators and the noncharacters that XML forbids become
// U+FFFD or, for white space, a space. What is left is valid in XML 1.0
// and HTML once escaped for them (the SVG writer and html/template escape
// & < > " '). Names are data (DESIGN §3): whatever the database or a
// record holds, nothing it contains can change a document's structure.
func CleanText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1: // not UTF-8
			b.WriteRune(utf8.RuneError)
		case plain(r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(utf8.RuneError)
		}
	}
	return b.String()
}

// plain reports whether r may appear as it is in a label.
func plain(r rune) bool {
	switch {
	case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029':
		return false
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE: // noncharacters
		return false
	}
	return true
}

// wide reports whether r is drawn about one em wide by the fonts that
// viewers fall back to for it (CJK ideographs, kana, hangul, full-width
// forms, emoji), whatever the width the plot's own font gives it.
func wide(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana) ||
		(r >= 0xFF00 && r <= 0xFF60) || (r >= 0xFFE0 && r <= 0xFFE6) ||
		(r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2E80 && r <= 0x303F) || (r >= 0x3200 && r <= 0x4DBF)
}

// viewerSlack is how much wider than the plot's own metrics a viewer may
// draw text: the SVG names the font, but a viewer without it draws with
// another, often a wider one.
const viewerSlack = 1.2

// textWidth is a generous estimate of the width a viewer gives s in sty.
func textWidth(sty text.Style, s string) vg.Length {
	w := sty.Width(s)
	em := sty.Font.Size
	for _, r := range s {
		if wide(r) {
			if rw := sty.Width(string(r)); rw < em {
				w += em - rw
			}
		}
	}
	return w * viewerSlack
}

// shorten returns s, or its longest prefix followed by "…", whose
// estimated width in sty (textWidth) is at most max. It returns "…" when
// not even one character fits.
func shorten(sty text.Style, s string, max vg.Length) string {
	if textWidth(sty, s) <= max {
		return s
	}
	runes := []rune(s)
	lo, hi := 0, len(runes) // runes[:lo]+"…" fits; runes[:hi]+"…" may not
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if textWidth(sty, strings.TrimRight(string(runes[:mid]), " ")+"…") <= max {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRight(string(runes[:lo]), " ") + "…"
}
