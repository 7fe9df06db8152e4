package battle

import (
	"strings"
	"testing"
)

func decodeStyles(t *testing.T, in string) ([]*Style, error) {
	t.Helper()
	d := NewDecoder(strings.NewReader(in), "in")
	d.SetStyle(true)
	var out []*Style
	for d.Next() {
		var st *Style
		if s := d.Battle().Style; s != nil {
			c := *s
			st = &c
		}
		out = append(out, st)
	}
	return out, d.Err()
}

func TestDecodeStyle(t *testing.T) {
	in := `{"model_a":"a","model_b":"b","winner":"model_a","style":{"a":{"length":1200,"headers":3,"lists":7,"bold":2},"b":{"bold":0,"lists":0,"headers":0,"length":80,"extra":[1]}}}
{"model_a":"a","model_b":"b","winner":"tie","conv_metadata":{"sum_user_tokens":12,"sum_assistant_a_tokens":412,"header_count_a":{"h1":1,"h2":2,"h3":0,"h4":0,"h5":0,"h6":1},"list_count_a":{"ordered":3,"unordered":4},"bold_count_a":{"**":5,"__":1},"sum_assistant_b_tokens":90.0,"header_count_b":{"h1":0,"h2":0,"h3":0,"h4":0,"h5":0,"h6":0},"list_count_b":{"ordered":0,"unordered":2},"bold_count_b":{"**":0,"__":0},"turns":1}}
{"model_a":"a","model_b":"b","winner":"model_b"}
{"model_a":"a","model_b":"b","winner":"model_b","style":null,"conv_metadata":null}
{"model_a":"a","model_b":"b","winner":"model_b","style":{"a":{"length":1,"headers":0,"lists":0,"bold":0},"b":{"length":2,"headers":0,"lists":0,"bold":0}},"conv_metadata":{}}
`
	got, err := decodeStyles(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []*Style{
		{A: [4]float64{1200, 3, 7, 2}, B: [4]float64{80, 0, 0, 0}, Unit: UnitCharacters},
		{A: [4]float64{412, 4, 7, 6}, B: [4]float64{90, 0, 2, 0}, Unit: UnitTokens},
		nil,
		nil,
		{A: [4]float64{1, 0, 0, 0}, B: [4]float64{2, 0, 0, 0}, Unit: UnitCharacters},
	}
	if len(got) != len(want) {
		t.Fatalf("%d battles, want %d", len(got), len(want))
	}
	for i := range want {
		switch {
		case (got[i] == nil) != (want[i] == nil):
			t.Errorf("line %d: style %+v, want %+v", i+1, got[i], want[i])
		case got[i] != nil && *got[i] != *want[i]:
			t.Errorf("line %d: style %+v, want %+v", i+1, *got[i], *want[i])
		}
	}
}

func TestDecodeStyleIgnoredUnlessAsked(t *testing.T) {
	in := `{"model_a":"a","model_b":"b","winner":"model_a","style":{"a":"garbage"},"conv_metadata":[1,2]}` + "\n"
	d := NewDecoder(strings.NewReader(in), "in")
	if !d.Next() || d.Battle().Style != nil {
		t.Fatalf("style read without SetStyle: %v %+v", d.Err(), d.Battle())
	}
}

func TestDecodeStyleBad(t *testing.T) {
	side := `{"length":1,"headers":0,"lists":0,"bold":0}`
	for _, tc := range []struct{ style, want string }{
		{`"style":{"a":` + side + `}`, `in:1: style lacks "b"`},
		{`"style":{"a":` + side + `,"b":{"length":1,"headers":0,"lists":0}}`, `in:1: style.b lacks "bold"`},
		{`"style":{"a":` + side + `,"b":{"length":-1,"headers":0,"lists":0,"bold":0}}`, `in:1: style.b.length -1 is not a count`},
		{`"style":{"a":` + side + `,"b":{"length":"9","headers":0,"lists":0,"bold":0}}`, `in:1: style.b.length "9" is not a count`},
		{`"style":{"a":` + side + `,"b":{"length":1e999,"headers":0,"lists":0,"bold":0}}`, `in:1: style.b.length 1e999 is not a count`},
		{`"style":[]`, `in:1: style must be an object`},
		{`"style":{"a":3,"b":` + side + `}`, `in:1: style.a must be an object`},
		{`"conv_metadata":{"sum_assistant_a_tokens":3}`, `in:1: conv_metadata lacks "header_count_a"`},
		{`"conv_metadata":{"sum_assistant_a_tokens":3,"header_count_a":{"h1":null}}`, `in:1: conv_metadata.header_count_a.h1 null is not a count`},
		{`"conv_metadata":{"sum_assistant_a_tokens":3,"header_count_a":7}`, `in:1: conv_metadata.header_count_a must be an object`},
		{`"style":{"a":` + side + `,"b":{"length":01}}`, `in:1: invalid JSON`},
		{`"style":{"a":` + side + `,"b":` + side + `,"a":` + side + `}`, `in:1: style.a appears twice in its object`},
		{`"style":{"a":` + side + `,"b":{"length":1,"headers":0,"lists":0,"bold":0,"length":900}}`, `in:1: style.b.length appears twice`},
		{`"conv_metadata":{"sum_assistant_a_tokens":3,"sum_assistant_a_tokens":4}`, `in:1: conv_metadata.sum_assistant_a_tokens appears twice`},
		{`"conv_metadata":{"sum_assistant_a_tokens":3,"header_count_a":{"h1":2,"h1":3}}`, `in:1: conv_metadata.header_count_a.h1 appears twice`},
	} {
		in := `{"model_a":"a","model_b":"b","winner":"tie",` + tc.style + "}\n"
		_, err := decodeStyles(t, in)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %s", tc.style, err, tc.want)
		}
	}
}
