package textin

import (
	"reflect"
	"strings"
	"testing"
)

type inner struct {
	Model string `json:"model"`
	Votes int    `json:"votes,omitempty"`
}

type outer struct {
	Leaderboard string              `json:"leaderboard"`
	Entries     []inner             `json:"entries"`
	Params      *struct{ Seed int } `json:"params"`
	Skip        string              `json:"-"`
}

func TestNames(t *testing.T) {
	got := Names(reflect.TypeOf(outer{}))
	want := map[string]bool{"leaderboard": true, "entries": true, "model": true, "votes": true, "params": true, "Seed": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
}

func TestCheckMembers(t *testing.T) {
	known := Names(reflect.TypeOf(outer{}))
	for _, s := range []string{
		`{"leaderboard":"overall","entries":[{"model":"a"},{"model":"b"}]}`,
		`{"leaderboard":"x","comment":"Leaderboard","Comment":1,"extra":{"model":1,"Model2":2}}`,
		`{"leaderboard":"a,\"leaderboard\":b","entries":[]}`, // a key's text inside a value
		`{"a":[{"b":1},{"b":2}],"b":{"b":{"b":3}}}`,          // the same name in different objects
		`{"leaderboard":"ünïcode ✓"}`,
		`[{"model":"a"},{"model":"a"}]`,
	} {
		if err := CheckMembers([]byte(s), known); err != nil {
			t.Errorf("CheckMembers(%s) = %v, want nil", s, err)
		}
	}
	for _, c := range []struct{ in, want string }{
		{`{"leaderboard":"overall","leaderboard":"genomics"}`, `member "leaderboard" appears twice`},
		{`{"leaderboard":"overall","leader\u0062oard":"genomics"}`, `member "leaderboard" appears twice`},
		{`{"entries":[{"model":"a","votes":1,"model":"b"}]}`, `member "model" appears twice`},
		{`{"extra":{"x":1,"x":2}}`, `member "x" appears twice`},
		{`{"leaderboard":"overall","LEADERBOARD":"genomics"}`, `member "LEADERBOARD" is not "leaderboard"`},
		{`{"entries":[{"Model":"a"}]}`, `member "Model" is not "model"`},
		{"{\"leaderboard\":\"x\",\"entrie\u017f\":[]}", `is not "entries"`}, // ſ folds to s
		{"{\"leaderboard\":\"a\xffb\"}", `not valid UTF-8 text (byte 17)`},
	} {
		err := CheckMembers([]byte(c.in), known)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckMembers(%q) = %v, want an error with %q", c.in, err, c.want)
		}
	}
}
