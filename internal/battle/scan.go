package battle

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// line is what the scanner finds in one battle line. Byte slices point into
// the line (or into scratch for strings with escapes) and are valid until
// the next line is scanned.
type line struct {
	modelA, modelB, winner []byte
	hasA, hasB, hasWinner  bool
	count                  []byte // the raw JSON number, nil when absent or null
	countNotNumber         bool   // count present but not a number
	categories             [][]byte
	categoriesBad          bool   // categories present but not an array of strings
	stream                 bool   // has a "stream" key: a header or trailer
	style, conv            []byte // the raw "style" and "conv_metadata" values, nil when absent or null
	seen                   uint8  // the members above met so far, one bit each (memberBit)
}

// memberBit gives each member a battle line reads a bit of line.seen, so
// that one met twice is refused: RFC 8259 leaves the meaning of a
// duplicated name to the reader (encoding/json and jq take the last,
// others the first), and a battle must count the same for all of them.
func memberBit(key []byte) uint8 {
	switch string(key) {
	case "model_a":
		return 1 << 0
	case "model_b":
		return 1 << 1
	case "winner":
		return 1 << 2
	case "count":
		return 1 << 3
	case "categories":
		return 1 << 4
	case "stream":
		return 1 << 5
	case "style":
		return 1 << 6
	case "conv_metadata":
		return 1 << 7
	}
	return 0
}

// scanner is a small JSON reader for one object per line. It validates the
// whole line as JSON (the grammar of RFC 8259, UTF-8 text, no duplicate
// structure rules) and keeps only the fields a battle needs; every other
// value is checked and skipped. It exists because decoding a million lines
// through reflection costs more than the whole ranking.
type scanner struct {
	b       []byte
	i       int
	scratch []byte
}

var errSyntax = errors.New("invalid JSON")

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// scanLine parses b (one line, without its newline) into l.
func (s *scanner) scanLine(b []byte, l *line) error {
	*l = line{categories: l.categories[:0]}
	s.b, s.i, s.scratch = b, 0, s.scratch[:0]
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return errors.New("invalid JSON: a battle line must be a JSON object")
	}
	if err := s.members(func(key []byte) error { return s.field(key, l) }); err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.b) {
		return errors.New("invalid JSON: more than one value on the line")
	}
	return nil
}

func (s *scanner) field(key []byte, l *line) error {
	if bit := memberBit(key); bit != 0 {
		if l.seen&bit != 0 {
			return fmt.Errorf("invalid JSON: member %q appears twice in the object", key)
		}
		l.seen |= bit
	}
	switch string(key) {
	case "model_a", "model_b", "winner":
		if s.i < len(s.b) && s.b[s.i] == '"' {
			v, err := s.str()
			if err != nil {
				return err
			}
			switch string(key) {
			case "model_a":
				l.modelA, l.hasA = v, true
			case "model_b":
				l.modelB, l.hasB = v, true
			default:
				l.winner, l.hasWinner = v, true
			}
			return nil
		}
		// A null or a non-string value: recorded as present but empty so
		// that the caller reports it by name.
		start := s.i
		if err := s.skip(0); err != nil {
			return err
		}
		if string(s.b[start:s.i]) == "null" {
			return nil
		}
		switch string(key) {
		case "model_a":
			l.modelA, l.hasA = nil, true
		case "model_b":
			l.modelB, l.hasB = nil, true
		default:
			l.winner, l.hasWinner = s.b[start:s.i], true
		}
		return nil
	case "count":
		start := s.i
		if s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
			if err := s.number(); err != nil {
				return err
			}
			l.count, l.countNotNumber = s.b[start:s.i], false
			return nil
		}
		if err := s.skip(0); err != nil {
			return err
		}
		l.count, l.countNotNumber = nil, string(s.b[start:s.i]) != "null"
		if l.countNotNumber {
			l.count = s.b[start:s.i]
		}
		return nil
	case "categories":
		l.categories, l.categoriesBad = l.categories[:0], false
		if s.i < len(s.b) && s.b[s.i] == '[' {
			return s.elements(func() error {
				if s.i < len(s.b) && s.b[s.i] == '"' {
					v, err := s.str()
					l.categories = append(l.categories, v)
					return err
				}
				l.categoriesBad = true
				return s.skip(1)
			})
		}
		start := s.i
		if err := s.skip(0); err != nil {
			return err
		}
		l.categoriesBad = string(s.b[start:s.i]) != "null"
		return nil
	case "stream":
		l.stream = true
	case "style", "conv_metadata":
		// Kept raw: read only when the decoder is asked for style.
		start := s.i
		if err := s.skip(0); err != nil {
			return err
		}
		v := s.b[start:s.i]
		if string(v) == "null" {
			v = nil
		}
		if string(key) == "style" {
			l.style = v
		} else {
			l.conv = v
		}
		return nil
	}
	return s.skip(0)
}

// maxDepth bounds the nesting of skipped values.
const maxDepth = 64

// skip checks and skips one JSON value.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return errors.New("invalid JSON: nested too deeply")
	}
	if s.i >= len(s.b) {
		return errSyntax
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.members(func([]byte) error { return s.skip(depth + 1) })
	case c == '[':
		return s.elements(func() error { return s.skip(depth + 1) })
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return errSyntax
}

// members reads an object, s.i at its '{', calling value for each member
// with the reader at the member's value, which value must consume.
func (s *scanner) members(value func(key []byte) error) error {
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		key, err := s.str()
		if err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errSyntax
		}
		s.i++
		s.ws()
		if err := value(key); err != nil {
			return err
		}
		if done, err := s.next('}'); done || err != nil {
			return err
		}
	}
}

// elements reads an array, s.i at its '[', calling value at each element,
// which value must consume.
func (s *scanner) elements(value func() error) error {
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if err := value(); err != nil {
			return err
		}
		if done, err := s.next(']'); done || err != nil {
			return err
		}
	}
}

// next reads the ',' between members or elements, or the closing byte,
// reporting whether it was the closing one.
func (s *scanner) next(closing byte) (bool, error) {
	s.ws()
	if s.i >= len(s.b) {
		return false, errSyntax
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return false, nil
	case closing:
		s.i++
		return true, nil
	}
	return false, errSyntax
}

func (s *scanner) literal(w string) error {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return errSyntax
	}
	s.i += len(w)
	return nil
}

// number checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return errSyntax
	}
	switch {
	case s.b[s.i] == '0':
		s.i++
	case s.b[s.i] >= '1' && s.b[s.i] <= '9':
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
	default:
		return errSyntax
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return errSyntax
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return errSyntax
		}
	}
	return nil
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// special marks the bytes that str must look at inside a string: the
// closing quote, escapes, control characters and non-ASCII bytes.
var special = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= 0x80
	}
	return t
}()

// str reads a JSON string and returns its value. Without escapes the value
// points into the line; with escapes it is decoded into scratch.
func (s *scanner) str() ([]byte, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, errSyntax
	}
	start := s.i + 1
	escaped := false
	ascii := true
	for j := start; j < len(s.b); j++ {
		// Most bytes of battle data are plain: skip them with one table
		// lookup each before looking at what the byte is.
		for j < len(s.b) && !special[s.b[j]] {
			j++
		}
		if j >= len(s.b) {
			break
		}
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			raw := s.b[start:j]
			if !ascii && !utf8.Valid(raw) {
				return nil, errors.New("invalid UTF-8 in a string")
			}
			if !escaped {
				return raw, nil
			}
			return s.unescape(s.b[start-1 : j+1])
		case c == '\\':
			escaped = true
			j++
			if j >= len(s.b) {
				return nil, errSyntax
			}
			switch s.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.b) {
					return nil, errSyntax
				}
				for _, h := range s.b[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return nil, errSyntax
					}
				}
				j += 4
			default:
				return nil, errSyntax
			}
		case c < 0x20:
			return nil, errors.New("invalid JSON: control character in a string")
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, errSyntax
}

// unescape decodes a quoted JSON string with escapes (rare in battle data,
// so the standard library does it) into scratch.
func (s *scanner) unescape(quoted []byte) ([]byte, error) {
	var v string
	if err := json.Unmarshal(quoted, &v); err != nil {
		return nil, errSyntax
	}
	start := len(s.scratch)
	s.scratch = append(s.scratch, v...)
	return s.scratch[start:len(s.scratch):len(s.scratch)], nil
}
