package leaderboard

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func decodeAll(t *testing.T, input, name string) ([]*Record, error) {
	t.Helper()
	d := NewDecoder(strings.NewReader(input), name)
	var out []*Record
	for {
		rec, err := d.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

func TestDecodeFixtures(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "leaderboards", "valid.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := decodeAll(t, string(b), "valid.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	for _, r := range recs {
		if err := Validate(r); err != nil {
			t.Errorf("fixture record does not validate: %v", err)
		}
	}
	if recs[0].Entries[4].Model != "biogpt" || recs[0].Entries[0].Score != 1123.456789 {
		t.Errorf("unexpected first record: %+v", recs[0].Entries)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := `{"leaderboard":"overall","status":"skipped","reason":"x","entries":[]}`
	for _, tc := range []struct {
		name, input, want string
		records           int
	}{
		{"cut last line", good + "\n" + good, "in:2: line cut short", 1},
		{"bad json", good + "\n{\"leaderboard\":\n", "in:2: invalid JSON", 1},
		{"trailing garbage", good + " x\n", "in:1: invalid JSON", 0},
		{"wrong type", `{"leaderboard":"overall","battles":"many"}` + "\n", `in:1: field "battles"`, 0},
		{"not an object", "1\n", "in:1: a leaderboard record is a JSON object", 0},
		// Lines that jq and encoding/json would read as different records.
		{"slug twice", `{"leaderboard":"overall","status":"skipped","reason":"x","leaderboard":"genomics"}` + "\n",
			`in:1: member "leaderboard" appears twice in one object`, 0},
		{"slug in other case", `{"leaderboard":"overall","status":"skipped","reason":"x","LEADERBOARD":"genomics"}` + "\n",
			`in:1: member "LEADERBOARD" is not "leaderboard": member names are case-sensitive`, 0},
		{"model twice", good + "\n" + `{"leaderboard":"g","status":"ranked","entries":[{"model":"a","rank":1,"model":"b"}]}` + "\n",
			`in:2: member "model" appears twice`, 1},
		{"not UTF-8", "{\"leaderboard\":\"overall\",\"status\":\"ranked\",\"entries\":[{\"model\":\"gpt-\xff\"}]}\n",
			"in:1: not valid UTF-8 text", 0},
		{"array", " [" + good + "]\n", "in:1: a JSON array: leaderboard records are one JSON object per line", 0},
		{"utf-16", "\xff\xfe{\x00", "in: the input is UTF-16 text, not UTF-8 JSON text", 0},
		{"gzip", "\x1f\x8b\x08\x00", "in: the input is gzip-compressed, not UTF-8 JSON text", 0},
		{"not a record", `{"model_a":"a","model_b":"b","winner":"tie"}` + "\n", "in:1: not a leaderboard record", 0},
		{"blank lines count", "\n\n" + good + "\n\n{\n", "in:5: invalid JSON", 1},
		{"csv", "leaderboard,rank,model,score\noverall,1,a,1000\n", "in:1: invalid JSON: this looks like CSV: snapshot-publish reads rank's NDJSON", 0},
		{"csv after records", good + "\ngenomics,1,\"a,b\",1000.5,1,2\n", "in:2: invalid JSON: this looks like CSV", 1},
		{"table", "overall: 2 battles, 2 models, 2 ranked (95% intervals)\n", "in:1: invalid JSON: this looks like text for people (rank --format table?)", 0},
		{"skip line", "genomics: skipped: 3 battles < --min-battles 30\n", "this looks like text for people", 0},
		{"json literal", "nul\n", "in:1: invalid JSON at byte", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := decodeAll(t, tc.input, "in")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %T is not an *InputError", err)
			}
			if len(recs) != tc.records {
				t.Errorf("got %d records before the error, want %d", len(recs), tc.records)
			}
		})
	}
}

func TestDecodeLineLimit(t *testing.T) {
	long := `{"leaderboard":"overall","status":"skipped","reason":"` + strings.Repeat("x", MaxLineBytes) + `"}` + "\n"
	_, err := decodeAll(t, "\n"+long, "big.ndjson")
	if err == nil || !strings.Contains(err.Error(), "big.ndjson:2: line longer than") {
		t.Fatalf("error %v, want the line limit at big.ndjson:2", err)
	}
	// A line just at the limit passes.
	pad := MaxLineBytes - len(`{"leaderboard":"overall","status":"skipped","reason":""}`)
	ok := `{"leaderboard":"overall","status":"skipped","reason":"` + strings.Repeat("y", pad) + `"}` + "\n"
	if len(ok) != MaxLineBytes+1 {
		t.Fatalf("test line has %d bytes", len(ok))
	}
	recs, err := decodeAll(t, ok, "big.ndjson")
	if err != nil || len(recs) != 1 {
		t.Fatalf("line at the limit: %d records, %v", len(recs), err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "leaderboards", "valid.ndjson"))
	f.Add(b)
	f.Add([]byte("{}\n"))
	f.Add([]byte("{\"entries\":[{\"rank\":1e400}]}\n"))
	f.Add([]byte("\n\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(strings.NewReader(string(data)), "fuzz")
		d.max = 1 << 10
		for i := 0; ; i++ {
			rec, err := d.Next()
			if err != nil {
				var ie *InputError
				if !errors.Is(err, io.EOF) && !errors.As(err, &ie) {
					t.Fatalf("error of an unexpected kind: %T %v", err, err)
				}
				if ie != nil && (ie.Line < 1 || !strings.HasPrefix(ie.Error(), "fuzz:")) {
					t.Fatalf("error without a place: %v", ie)
				}
				return
			}
			if i > len(data) {
				t.Fatalf("more records than bytes")
			}
			_ = Validate(rec) // must not panic
		}
	})
}

// Text as common producers write it reads as they meant it: a UTF-8 byte
// order mark, CRLF line ends.
func TestDecodeByteOrderMarkAndCRLF(t *testing.T) {
	good := `{"leaderboard":"overall","status":"skipped","reason":"insufficient_battles","entries":[]}`
	recs, err := decodeAll(t, "\xef\xbb\xbf"+good+"\r\n"+strings.Replace(good, "overall", "genomics", 1)+"\r\n", "in")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Leaderboard != "overall" || recs[1].Leaderboard != "genomics" {
		t.Errorf("decoded %+v", recs)
	}
}
