package battle

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func decodeAll(t *testing.T, in string) ([]Battle, error) {
	t.Helper()
	d := NewDecoder(strings.NewReader(in), "in")
	var out []Battle
	for d.Next() {
		b := *d.Battle()
		b.ModelA = append([]byte(nil), b.ModelA...)
		b.ModelB = append([]byte(nil), b.ModelB...)
		var cats [][]byte
		for _, c := range b.Categories {
			cats = append(cats, append([]byte(nil), c...))
		}
		b.Categories = cats
		out = append(out, b)
	}
	return out, d.Err()
}

func TestDecodeGood(t *testing.T) {
	in := `{"model_a":"a","model_b":"b","winner":"model_a"}
{"model_b":"b","model_a":"c","winner":"tie (bothbad)","count":3,"categories":["genomics","immunology"],"extra":{"x":[1,2,{"y":null}]}}

{"model_a":"caf\u00e9","model_b":"b","winner":"tie","categories":null,"count":null}` + "\r\n"
	got, err := decodeAll(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d battles, want 3", len(got))
	}
	if string(got[0].ModelA) != "a" || got[0].Outcome != AWins || got[0].Count != 1 {
		t.Errorf("line 1: %+v", got[0])
	}
	if string(got[1].ModelA) != "c" || got[1].Outcome != Tie || got[1].Count != 3 || len(got[1].Categories) != 2 || string(got[1].Categories[1]) != "immunology" {
		t.Errorf("line 2: %+v", got[1])
	}
	if string(got[2].ModelA) != "café" || got[2].Outcome != Tie || got[2].Categories != nil {
		t.Errorf("line 4: %+v", got[2])
	}
}

func TestDecodeBad(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"model_a":"a","model_b":"b","winner":"draw"}`, `in:1: winner "draw" is not one of "model_a", "model_b", "tie", "tie (bothbad)"`},
		{`{"model_a":"a","model_b":"b","winner":3}`, `in:1: winner 3 is not one of`},
		{`{"model_a":"a","model_b":"b"}`, `in:1: missing winner`},
		{`{"model_b":"b","winner":"tie"}`, `in:1: missing model_a`},
		{`{"model_a":"a","winner":"tie"}`, `in:1: missing model_b`},
		{`{"model_a":"","model_b":"b","winner":"tie"}`, `in:1: model_a is empty`},
		{`{"model_a":"a","model_b":7,"winner":"tie"}`, `in:1: model_b is empty or not a string`},
		{`{"model_a":"a","model_b":"a","winner":"tie"}`, `in:1: model_a and model_b are the same model "a"`},
		{`{"model_a":"a","model_b":"b","winner":"tie","count":0}`, `in:1: count 0 is not a positive integer`},
		{`{"model_a":"a","model_b":"b","winner":"tie","count":-2}`, `in:1: count -2 is not a positive integer`},
		{`{"model_a":"a","model_b":"b","winner":"tie","count":1.5}`, `in:1: count 1.5 is not a positive integer`},
		{`{"model_a":"a","model_b":"b","winner":"tie","count":"2"}`, `in:1: count "2" is not a positive integer`},
		{`{"model_a":"a","model_b":"b","winner":"tie","categories":"x"}`, `in:1: categories must be an array of strings`},
		{`{"model_a":"a","model_b":"b","winner":"tie","categories":[""]}`, `in:1: categories holds an empty string`},
		{`{"model_a":"a","model_b":"b","winner":"tie","categories":["overall"]}`, `in:1: categories must not name "overall"`},
		{"{\"model_a\":\"a\",\"model_b\":\"b\",\"winner\":\"tie\"}\n{\"model_a\":", `in:2: invalid JSON`},
		{`"battle"`, `in:1: invalid JSON: a battle line must be a JSON object`},
		{`{"model_a":"a","model_b":"b","winner":"tie"} {}`, `in:1: invalid JSON: more than one value`},
		{"{\"model_a\":\"a\xff\",\"model_b\":\"b\",\"winner\":\"tie\"}", `in:1: invalid UTF-8`},
		{`{"x":1}`, `in:1: missing model_a`},
		// A member twice: jq and encoding/json take the last, other readers
		// the first; the battle must count the same for all of them.
		{`{"model_a":"a","model_b":"b","winner":"model_a","winner":"model_b"}`, `in:1: invalid JSON: member "winner" appears twice`},
		{`{"model_a":"a","model_b":"b","model_a":"c","winner":"tie"}`, `in:1: invalid JSON: member "model_a" appears twice`},
		{`{"model_a":"a","model_b":"b","winner":"tie","count":1,"c\u006funt":9}`, `in:1: invalid JSON: member "count" appears twice`},
		{`{"model_a":"a","model_b":"b","winner":"tie","categories":["x"],"categories":["y"]}`, `in:1: invalid JSON: member "categories" appears twice`},
		{`{"stream":"other","type":"header"}`, `in:1: a line without model_a that is not a "battles" header or trailer`},
	} {
		_, err := decodeAll(t, tc.in)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s\n got %v\nwant %s…", tc.in, err, tc.want)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("%s: error %T is not a *battle.Error", tc.in, err)
		}
	}
}

func TestDecodeLineLimit(t *testing.T) {
	long := `{"model_a":"a","model_b":"b","winner":"tie","pad":"` + strings.Repeat("x", 200) + `"}`
	d := NewDecoderSize(strings.NewReader(`{"model_a":"a","model_b":"b","winner":"tie"}`+"\n"+long+"\n"), "in", 100)
	n := 0
	for d.Next() {
		n++
	}
	if n != 1 || d.Err() == nil || d.Err().Error() != "in:2: line longer than 100 bytes" {
		t.Fatalf("read %d, err %v", n, d.Err())
	}
}

const (
	header  = `{"stream":"battles","type":"header","version":1,"exported_at":"2026-01-01T00:00:00Z","leaderboards":[{"slug":"overall","name":"Overall"},{"slug":"genomics","name":"Genomics"}]}`
	battle1 = `{"model_a":"a","model_b":"b","winner":"model_a","count":2}`
	battle2 = `{"model_a":"b","model_b":"c","winner":"tie"}`
)

func TestDecodeEnvelope(t *testing.T) {
	good := header + "\n" + battle1 + "\n" + battle2 + "\n" + `{"stream":"battles","type":"trailer","records":2,"battles":3}` + "\n"
	d := NewDecoder(strings.NewReader(good), "in")
	n := 0
	for d.Next() {
		n++
	}
	if d.Err() != nil || n != 2 || d.Header() == nil || len(d.Header().Leaderboards) != 2 {
		t.Fatalf("good stream: n=%d err=%v header=%v", n, d.Err(), d.Header())
	}
	for _, tc := range []struct{ in, want string }{
		{header + "\n" + battle1 + "\n" + battle2 + "\n", "in: stream cut short: it has a header but no trailer (2 battle lines read)"},
		{header + "\n" + battle1 + "\n" + `{"stream":"battles","type":"trailer","records":1,"battles":1}`, "in:3: stream trailer counts 1 records and 1 battles, but 1 records and 2 battles came before it"},
		{header + "\n" + `{"stream":"battles","type":"trailer","records":0,"battles":0}` + "\n" + battle1, "in:3: line after the stream's trailer"},
		{battle1 + "\n" + header, "in:2: a stream header must be the first line"},
		{strings.Replace(header, `"version":1`, `"version":9`, 1), "in:1: stream version 9 is not supported"},
		// Headers and trailers are read by encoding/json, which takes the
		// last of two members and matches names in any case; jq does not.
		{strings.Replace(header, `"version":1`, `"version":1,"filter":{"leaderboard":"genomics","leaderboard":"overall"}`, 1),
			`in:1: invalid stream header or trailer: member "leaderboard" appears twice in one object`},
		{strings.Replace(header, `"version":1`, `"version":1,"filter":{"leaderboard":"genomics","Leaderboard":"overall"}`, 1),
			`in:1: invalid stream header or trailer: member "Leaderboard" is not "leaderboard"`},
		{header + "\n" + battle1 + "\n" + `{"stream":"battles","type":"trailer","records":1,"battles":2,"Battles":5}`,
			`in:3: invalid stream header or trailer: member "Battles" is not "battles"`},
	} {
		_, err := decodeAll(t, tc.in)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}
}

// FuzzDecode checks the hand-written scanner against encoding/json: a line
// is accepted exactly when it is a JSON object whose battle fields are
// valid, and the fields agree.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"model_a":"a","model_b":"b","winner":"model_a"}`,
		`{"model_a":"a","model_b":"b","winner":"tie","count":12,"categories":["x","y"],"z":[true,false,null,-1.5e+3,{"k":"\u0041\n"}]}`,
		`{"model_a":"a\"b","model_b":"b","winner":"model_b"}`,
		`{"model_a" : "a" , "model_b":"b" ,"winner":"tie (bothbad)" }`,
		`{"model_a":"a","model_b":"b","winner":"tie","count":01}`,
		`{"model_a":"a","model_b":"b","winner":"tie",}`,
		`{"model_a":"\ud83d\ude00","model_b":"b","winner":"tie"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "\n\r") || strings.HasPrefix(strings.TrimLeft(s, " \t\v\f"), "[") {
			return // several lines, or a JSON array: TestDecodeArray covers those
		}
		d := NewDecoder(strings.NewReader(s), "in")
		ok := d.Next()
		var got *Battle
		if ok {
			got = d.Battle()
		}
		var ref struct {
			ModelA     *string         `json:"model_a"`
			ModelB     *string         `json:"model_b"`
			Winner     *string         `json:"winner"`
			Count      json.RawMessage `json:"count"`
			Categories json.RawMessage `json:"categories"`
			Stream     json.RawMessage `json:"stream"`
		}
		var anyv any
		valid := json.Unmarshal([]byte(s), &anyv) == nil
		_, isObj := anyv.(map[string]any)
		if !valid || !isObj {
			if ok {
				t.Fatalf("accepted invalid JSON or a non-object: %q", s)
			}
			if strings.TrimSpace(s) != "" && d.Err() == nil {
				t.Fatalf("no error for %q", s)
			}
			return
		}
		if err := json.Unmarshal([]byte(s), &ref); err != nil {
			if ok {
				t.Fatalf("accepted %q but encoding/json says %v", s, err)
			}
			return
		}
		if !ok {
			return // rejected for a battle rule; TestDecodeBad covers the messages
		}
		if ref.ModelA == nil || *ref.ModelA != string(got.ModelA) || ref.ModelB == nil || *ref.ModelB != string(got.ModelB) {
			t.Fatalf("models differ for %q: got %q %q", s, got.ModelA, got.ModelB)
		}
		if ref.Winner == nil {
			t.Fatalf("accepted %q without winner", s)
		}
		var cats []string
		if len(ref.Categories) > 0 && string(ref.Categories) != "null" {
			if err := json.Unmarshal(ref.Categories, &cats); err != nil {
				t.Fatalf("accepted categories %s", ref.Categories)
			}
		}
		if len(cats) != len(got.Categories) {
			t.Fatalf("categories differ for %q", s)
		}
		for i := range cats {
			if cats[i] != string(got.Categories[i]) {
				t.Fatalf("category %d differs for %q", i, s)
			}
		}
	})
}

// A JSON array of battle objects, as public arena datasets are published,
// reads like NDJSON; errors name the element.
func TestDecodeArray(t *testing.T) {
	in := ` [
  {"model_a": "a", "model_b": "b", "winner": "model_a", "judge": "x", "turn": 1, "anony": true},
  {"model_a": "b", "model_b": "c", "winner": "tie (bothbad)", "conversation_a": [{"role": "user", "content": "hi\nthere"}]}
]
`
	got, err := decodeAll(t, in)
	if err != nil || len(got) != 2 || string(got[1].ModelB) != "c" || got[1].Outcome != Tie {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, tc := range []struct{ in, want string }{
		{`[{"model_a":"a","model_b":"b","winner":"model_a"},{"model_a":"a","model_b":"b","winner":"x"}]`, `in: element 2: winner "x" is not one of`},
		{`[{"model_a":"a","model_b":"b","winner":"model_a"},`, `in: element 2: invalid JSON: the array is cut short`},
		{`[{"model_a":"a","model_b":"b","winner":"model_a"}] {}`, `in: element 2: invalid JSON: more after the array`},
		{`[1]`, `in: element 1: invalid JSON: a battle line must be a JSON object`},
	} {
		if _, err := decodeAll(t, tc.in); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s\n got %v\nwant %s…", tc.in, err, tc.want)
		}
	}
	long := `[{"model_a":"a","model_b":"b","winner":"tie","pad":"` + strings.Repeat("x", 300_000) + `"}]`
	d := NewDecoderSize(strings.NewReader(long), "in", 1000)
	if d.Next() || d.Err() == nil || !strings.Contains(d.Err().Error(), "element longer than 1000 bytes") {
		t.Errorf("long element: %v", d.Err())
	}
}

// Text as common producers write it reads as they meant it: a UTF-8 byte
// order mark, CRLF line ends, an array after a byte order mark and white
// space; other text is named.
func TestDecodeRealWorldText(t *testing.T) {
	line := `{"model_a":"a","model_b":"b","winner":"model_a"}`
	for name, in := range map[string]string{
		"bom":            "\xef\xbb\xbf" + line + "\n" + line + "\n",
		"bom crlf":       "\xef\xbb\xbf" + line + "\r\n" + line + "\r\n",
		"bom array":      "\xef\xbb\xbf [" + line + ",\r\n" + line + "]\r\n",
		"bom space hdr":  "\xef\xbb\xbf\r\n" + line + "\r\n" + line,
		"crlf no bom":    line + "\r\n" + line + "\r\n",
		"array and tabs": "\t\r\n[" + line + "," + line + "]",
	} {
		got, err := decodeAll(t, in)
		if err != nil || len(got) != 2 || string(got[1].ModelB) != "b" {
			t.Errorf("%s: %d battles, %v", name, len(got), err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"\xff\xfe{\x00\"\x00", "in: the input is UTF-16 text, not UTF-8 JSON text"},
		{"{\x00\"\x00", "in: the input is UTF-16 text"},
		{"\x1f\x8b\x08\x00\x00", "in: the input is gzip-compressed, not UTF-8 JSON text"},
		{"PK\x03\x04", "in: the input is a zip archive"},
		{"{\n  \"model_a\": \"a\"\n}\n", "in:1: invalid JSON: an object spread over several lines"},
		{"model_a,model_b,winner\na,b,model_a\n", "in:1: invalid JSON: this looks like a CSV header"},
		{"\xef\xbb\xbf\xef\xbb\xbf" + line, "in:1: invalid JSON: a battle line must be a JSON object"},
	} {
		_, err := decodeAll(t, tc.in)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q\n got %v\nwant %s…", tc.in, err, tc.want)
		}
	}
}
