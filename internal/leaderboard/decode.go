package leaderboard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/bixarena/arena-snapshots/internal/textin"
)

// MaxLineBytes is the longest leaderboard line a Decoder accepts, newline
// excluded. A leaderboard of 1000 models takes about 150 KiB for its
// entries and up to 8 MiB for its head_to_head when every pair met
// (500,000 pairs of about 16 bytes); 64 MiB leaves room for that while
// bounding memory on garbage input.
const MaxLineBytes = 64 << 20

// InputError is a problem with one line of the input, named by its place.
// Its text reads "FILE:LINE: what".
type InputError struct {
	File string // "stdin" or the file's name
	Line int    // 1-based
	Msg  string
	Hint string // what to do, when known
}

func (e *InputError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Decoder reads leaderboard records, one JSON object per line, each line
// ended by "\n". Blank lines are ignored. A last line without its newline
// is a line cut short and an error, as is a line longer than MaxLineBytes
// or one that is not a JSON object of the record's shape; so is a line
// that other readers could read otherwise (not UTF-8, a member twice in
// one object, a member named as a field but for case: see
// textin.CheckMembers). Unknown fields are ignored (DESIGN §3). Decoder
// does not validate the record's content: see Validate.
type Decoder struct {
	err  error // what stopped the decoder before its first line
	r    *bufio.Reader
	file string
	line int
	max  int
}

// NewDecoder returns a decoder reading r, whose name (a file name, or
// "stdin") prefixes error messages.
func NewDecoder(r io.Reader, name string) *Decoder {
	d := &Decoder{r: bufio.NewReaderSize(r, 64<<10), file: name, max: MaxLineBytes}
	if err := textin.Start(d.r); err != nil {
		d.err = &InputError{File: name, Msg: err.Error(), Hint: err.(*textin.Error).Hint}
	}
	return d
}

// recordMembers are the member names a Record decodes.
var recordMembers = textin.Names(reflect.TypeOf(Record{}))

// Line returns the number of the line the last record came from.
func (d *Decoder) Line() int { return d.line }

// File returns the name given to NewDecoder.
func (d *Decoder) File() string { return d.file }

// Errorf returns an InputError at the current line.
func (d *Decoder) Errorf(format string, args ...any) *InputError {
	return &InputError{File: d.file, Line: d.line, Msg: fmt.Sprintf(format, args...)}
}

// Next returns the next record, io.EOF at a clean end of input, an
// *InputError for a bad line, or the reader's own error.
func (d *Decoder) Next() (*Record, error) {
	if d.err != nil {
		return nil, d.err
	}
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, d.Errorf("%s", describeJSONError(err, line))
		}
		if err := textin.CheckMembers(line, recordMembers); err != nil {
			return nil, d.Errorf("%v", err)
		}
		if rec.Leaderboard == "" && rec.Status == "" && rec.Entries == nil {
			return nil, d.Errorf("not a leaderboard record: no leaderboard, status or entries (is this a battle stream? it goes to rank first)")
		}
		return &rec, nil
	}
}

// readLine returns the next line without its newline.
func (d *Decoder) readLine() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(buf)+len(chunk) > d.max+1 { // +1: the newline
			d.line++
			return nil, d.Errorf("line longer than %d bytes", d.max)
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			d.line++
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 {
				return nil, io.EOF
			}
			d.line++
			return nil, d.Errorf("line cut short: no newline at the end of the input")
		default:
			return nil, fmt.Errorf("%s: %w", d.file, err)
		}
	}
}

// looksLikeCSV reports whether a line that is not JSON looks like a line of
// CSV: no JSON opening, and fields separated by commas (rank --format csv
// starts with "leaderboard,rank,model"), not the commas of a sentence.
func looksLikeCSV(t []byte) bool {
	return len(t) > 0 && t[0] != '{' && t[0] != '[' && bytes.Count(t, []byte(",")) >= 2 &&
		!bytes.ContainsAny(t, "{}") && !bytes.Contains(t, []byte(", "))
}

// looksLikeText reports whether a line that is not JSON reads as words do
// (a table's title, "overall: skipped: ...", its column names): a letter
// first, and more than one word.
func looksLikeText(t []byte) bool {
	return len(t) > 0 && (t[0] >= 'a' && t[0] <= 'z' || t[0] >= 'A' && t[0] <= 'Z') && bytes.ContainsAny(t, " \t")
}

// describeJSONError says what is wrong with a line in a few words.
func describeJSONError(err error, line []byte) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	t := bytes.TrimSpace(line)
	switch {
	case bytes.HasPrefix(t, []byte("[")):
		return "a JSON array: leaderboard records are one JSON object per line (jq -c '.[]' turns an array into lines)"
	case bytes.Equal(t, []byte("{")):
		return "invalid JSON: an object spread over several lines; leaderboard records are one JSON object per line (jq -c . joins them)"
	case looksLikeCSV(t):
		return "invalid JSON: this looks like CSV: snapshot-publish reads rank's NDJSON (rank --format ndjson, its default into a pipe or file)"
	case looksLikeText(t):
		return "invalid JSON: this looks like text for people (rank --format table?): snapshot-publish reads rank's NDJSON (rank --format ndjson, its default into a pipe or file)"
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("a leaderboard record is a JSON object, got %s", typ.Value)
		}
		return fmt.Sprintf("field %q: expected %s, got %s", typ.Field, typ.Type, typ.Value)
	}
	return "invalid record: " + err.Error()
}
