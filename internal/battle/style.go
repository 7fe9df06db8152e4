package battle

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Style features of a battle line, in one of two forms:
//
//   - "style": {"a": {"length": …, "headers": …, "lists": …, "bold": …}, "b": {…}},
//     written by battles-export --style: length in characters of the
//     model's answers, summed over the battle's rounds, with its markdown
//     header lines, list items and bold spans;
//   - "conv_metadata", as public arena datasets carry it:
//     sum_assistant_a_tokens, header_count_a {h1..h6}, list_count_a
//     {ordered, unordered}, bold_count_a {"**", "__"}, and the same for b;
//     length there is in tokens.
//
// A line with both is read from "style".

// StyleFeatures are the names of the style features, in the order of
// Style.A and Style.B.
var StyleFeatures = [4]string{"length", "headers", "lists", "bold"}

// Length units of Style.
const (
	UnitCharacters = "characters"
	UnitTokens     = "tokens"
)

// Style is a battle's style features, one array per side in the order of
// StyleFeatures.
type Style struct {
	A, B [4]float64
	Unit string // UnitCharacters or UnitTokens: what Length counts
}

// StyleSide is one side's features in a battle line's "style" field.
type StyleSide struct {
	Length  int64 `json:"length"`
	Headers int64 `json:"headers"`
	Lists   int64 `json:"lists"`
	Bold    int64 `json:"bold"`
}

// StyleRecord is a battle line's "style" field.
type StyleRecord struct {
	A StyleSide `json:"a"`
	B StyleSide `json:"b"`
}

// parseStyle reads a "style" value into st.
func (s *scanner) parseStyle(raw []byte, st *Style) error {
	s.b, s.i = raw, 0
	var seen [2]bool
	err := s.object(func() string { return "style" }, func(key []byte) error {
		var side *[4]float64
		var name string
		switch string(key) {
		case "a":
			side, name = &st.A, "style.a"
		case "b":
			side, name = &st.B, "style.b"
		default:
			return s.skip(0)
		}
		k := name[len(name)-1] - 'a' // 0 for a, 1 for b
		if seen[k] {
			return twice(name)
		}
		seen[k] = true
		var got [4]bool
		err := s.object(func() string { return name }, func(key []byte) error {
			for k, f := range StyleFeatures {
				if string(key) == f {
					if got[k] {
						return twice(name + "." + f)
					}
					got[k] = true
					return s.feature(func() string { return name + "." + f }, &side[k])
				}
			}
			return s.skip(0)
		})
		if err != nil {
			return err
		}
		for k, ok := range got {
			if !ok {
				return fmt.Errorf("%s lacks %q", name, StyleFeatures[k])
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, ok := range seen {
		if !ok {
			return fmt.Errorf("style lacks %q", [2]string{"a", "b"}[i])
		}
	}
	st.Unit = UnitCharacters
	return nil
}

// parseConvMetadata reads a public "conv_metadata" value into st: length
// from sum_assistant_X_tokens, and the sums of the counts in
// header_count_X, list_count_X and bold_count_X.
func (s *scanner) parseConvMetadata(raw []byte, st *Style) error {
	s.b, s.i = raw, 0
	fields := [2][4]string{
		{"sum_assistant_a_tokens", "header_count_a", "list_count_a", "bold_count_a"},
		{"sum_assistant_b_tokens", "header_count_b", "list_count_b", "bold_count_b"},
	}
	var got [2][4]bool
	err := s.object(func() string { return "conv_metadata" }, func(key []byte) error {
		for side := range 2 {
			for k, name := range fields[side] {
				if string(key) != name {
					continue
				}
				if got[side][k] {
					return twice("conv_metadata." + name)
				}
				got[side][k] = true
				dst := &[2]*[4]float64{&st.A, &st.B}[side][k]
				where := func() string { return "conv_metadata." + name }
				if k == 0 {
					return s.feature(where, dst)
				}
				*dst = 0
				var counted []string
				return s.object(where, func(key []byte) error {
					if slices.Contains(counted, string(key)) {
						return twice(where() + "." + string(key))
					}
					counted = append(counted, string(key))
					var v float64
					if err := s.feature(func() string { return where() + "." + string(key) }, &v); err != nil {
						return err
					}
					*dst += v
					return nil
				})
			}
		}
		return s.skip(0)
	})
	if err != nil {
		return err
	}
	for side := range 2 {
		for k, ok := range got[side] {
			if !ok {
				return fmt.Errorf("conv_metadata lacks %q", fields[side][k])
			}
		}
	}
	st.Unit = UnitTokens
	return nil
}

// twice is the error of a member met twice in one object (see memberBit).
func twice(name string) error {
	return fmt.Errorf("%s appears twice in its object", name)
}

// object reads a JSON object at s.i, calling member for each member; what
// names the value in errors (a function, so that the name is built only
// for an error).
func (s *scanner) object(what func() string, member func(key []byte) error) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return fmt.Errorf("%s must be an object", what())
	}
	return s.members(member)
}

// feature reads a count: a finite number, not negative.
func (s *scanner) feature(what func() string, dst *float64) error {
	start := s.i
	if s.i < len(s.b) && (s.b[s.i] == '-' || s.b[s.i] >= '0' && s.b[s.i] <= '9') {
		if err := s.number(); err != nil {
			return err
		}
		if v, ok := smallInt(s.b[start:s.i]); ok {
			*dst = v
			return nil
		}
		v, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) {
			return fmt.Errorf("%s %s is not a count (a number, 0 or more)", what(), s.b[start:s.i])
		}
		*dst = v
		return nil
	}
	if err := s.skip(0); err != nil {
		return err
	}
	return fmt.Errorf("%s %s is not a count (a number, 0 or more)", what(), s.b[start:s.i])
}

// smallInt reads the digits of a count up to 15 of them (exact in a
// float64), the common case, without ParseFloat.
func smallInt(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return float64(v), true
}
