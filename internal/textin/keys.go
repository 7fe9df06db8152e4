package textin

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Names returns the JSON member names that encoding/json decodes into
// values of type t: the names in the json tags (else the field names) of
// t's struct fields, and of the structs it holds, at any depth, through
// pointers, slices, arrays and maps.
func Names(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if name == "" {
				if f.Anonymous {
					walk(f.Type)
					continue
				}
				name = f.Name
			}
			names[name] = true
			walk(f.Type)
		}
	}
	walk(t)
	return names
}

// CheckMembers returns nil when the JSON text b, already known to be
// well-formed, reads the same to every JSON reader as to encoding/json
// decoding into a type whose member names are known (see Names):
//
//   - b is valid UTF-8 (encoding/json would replace a bad byte by U+FFFD,
//     so that a name would be published other than it is written);
//   - no object holds the same member name twice (RFC 8259 leaves the
//     meaning to the reader: encoding/json and jq take the last, others
//     the first);
//   - no member name that is not known matches a known one but for case
//     ("LEADERBOARD", "ſtatus"): encoding/json would decode it into the
//     known field, while the format's readers ignore unknown members.
//
// The error says which name, in words.
func CheckMembers(b []byte, known map[string]bool) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("not valid UTF-8 text (byte %d)", invalidAt(b))
	}
	type value struct {
		object    bool
		expectKey bool
		keys      []string
	}
	var stack []value
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{':
			stack = append(stack, value{object: true, expectKey: true})
		case '[':
			stack = append(stack, value{})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].expectKey = true
			}
		case '"':
			j, escaped := stringEnd(b, i)
			if n := len(stack); n > 0 && stack[n-1].expectKey {
				key := string(b[i+1 : j])
				if escaped {
					if err := json.Unmarshal(b[i:j+1], &key); err != nil {
						return fmt.Errorf("member name %s: %v", b[i:j+1], err)
					}
				}
				top := &stack[n-1]
				for _, k := range top.keys {
					if k == key {
						return fmt.Errorf("member %q appears twice in one object", key)
					}
				}
				if !known[key] {
					for k := range known {
						if strings.EqualFold(k, key) {
							return fmt.Errorf("member %q is not %q: member names are case-sensitive", key, k)
						}
					}
				}
				top.keys = append(top.keys, key)
				top.expectKey = false
			}
			i = j
		}
	}
	return nil
}

// stringEnd returns the index of the quote that ends the JSON string
// starting at b[i], and whether the string holds an escape.
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j, escaped
		}
	}
	return len(b) - 1, escaped
}

// invalidAt returns the offset of the first byte of b that is not valid
// UTF-8.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}
