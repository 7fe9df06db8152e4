package battle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"strconv"
	"strings"

	"github.com/bixarena/arena-snapshots/internal/textin"
)

// MaxLine is the longest line the decoder accepts, newline excluded.
// Public arena files may carry conversation text beside the battle fields,
// hence a generous limit; a longer line is bad input, not a reason to grow
// memory without bound.
const MaxLine = 1 << 20

// MaxCount is the largest count one line may carry.
const MaxCount = 1 << 40

// Outcome is a battle's result seen from model_a.
type Outcome uint8

// The outcomes. Ties of both kinds are Tie.
const (
	AWins Outcome = iota
	BWins
	Tie
)

// Battle is a decoded battle line. Its byte slices are valid until the
// decoder's next call to Next.
type Battle struct {
	ModelA, ModelB []byte
	Outcome        Outcome
	Count          int64
	Categories     [][]byte
	// Style is the battle's style features when the decoder reads them
	// (SetStyle) and the line has them; else nil.
	Style *Style
}

// Error is bad input at a place: "name:line: message".
type Error struct {
	Name    string
	Line    int
	Element bool // Line counts the elements of a JSON array, not lines
	Msg     string
}

func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.Name, e.Msg)
	case e.Element:
		return fmt.Sprintf("%s: element %d: %s", e.Name, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
}

// Decoder reads battle lines from one stream. A stream that starts with a
// header must end with a trailer whose counts match what came before; a
// stream without a header (a hand-made or public file) is read as it is.
// Blank lines are ignored.
type Decoder struct {
	name    string
	sc      *bufio.Scanner
	array   *arrayReader // a JSON array of battles instead of lines
	lineNo  int
	maxLine int
	scan    scanner
	l       line
	b       Battle
	err     error
	style   bool // read the lines' style features
	st      Style

	header  *Header
	trailer *Trailer
	records int64
	battles int64
}

// NewDecoder returns a decoder reading r; name (a file name or "stdin")
// prefixes error messages.
func NewDecoder(r io.Reader, name string) *Decoder {
	return NewDecoderSize(r, name, MaxLine)
}

// NewDecoderSize is NewDecoder with another line limit (tests use it).
func NewDecoderSize(r io.Reader, name string, maxLine int) *Decoder {
	br := bufio.NewReaderSize(r, 64<<10)
	d := &Decoder{name: name, maxLine: maxLine}
	if err := textin.Start(br); err != nil {
		d.err = fmt.Errorf("%s: %w", name, err)
		return d
	}
	if startsArray(br) {
		d.array = newArrayReader(br, maxLine)
		return d
	}
	d.sc = bufio.NewScanner(br)
	d.sc.Buffer(make([]byte, 0, min(64<<10, maxLine+1)), maxLine+1)
	return d
}

// read returns the next line (or array element), or false at the end or
// on an error, which it records.
func (d *Decoder) read() ([]byte, bool) {
	if d.array != nil {
		raw, err := d.array.next()
		if err == io.EOF {
			return nil, false
		}
		d.lineNo++
		if err != nil {
			return nil, d.fail("%v", err)
		}
		return raw, true
	}
	if d.sc.Scan() {
		d.lineNo++
		return d.sc.Bytes(), true
	}
	if err := d.sc.Err(); err != nil {
		d.lineNo++
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, d.fail("line longer than %d bytes", d.maxLine)
		}
		d.err = fmt.Errorf("%s: %w", d.name, err)
	}
	return nil, false
}

// SetStyle makes the decoder read each line's style features (a "style"
// or "conv_metadata" field) into Battle.Style; a line with a malformed one
// is then bad input. Without it both fields are skipped as any unknown
// field is.
func (d *Decoder) SetStyle(on bool) { d.style = on }

// Header returns the stream's header, or nil when it has none.
func (d *Decoder) Header() *Header { return d.header }

// Err returns the error that stopped Next, or nil at a clean end.
func (d *Decoder) Err() error { return d.err }

// Battle returns the battle Next advanced to.
func (d *Decoder) Battle() *Battle { return &d.b }

// Line returns the number of the line last read.
func (d *Decoder) Line() int { return d.lineNo }

// Errorf returns bad input at the place of the battle last read, for what
// a caller finds wrong with it.
func (d *Decoder) Errorf(format string, args ...any) error {
	return &Error{Name: d.name, Line: d.lineNo, Element: d.array != nil, Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) fail(format string, args ...any) bool {
	d.err = &Error{Name: d.name, Line: d.lineNo, Element: d.array != nil, Msg: fmt.Sprintf(format, args...)}
	return false
}

// Next advances to the next battle. It returns false at the end of the
// stream or on an error, which Err then returns.
func (d *Decoder) Next() bool {
	if d.err != nil {
		return false
	}
	for {
		raw, ok := d.read()
		if !ok {
			break
		}
		if len(raw) > d.maxLine {
			return d.fail("line longer than %d bytes", d.maxLine)
		}
		raw = bytes.TrimRight(raw, "\r")
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if d.trailer != nil {
			return d.fail("line after the stream's trailer")
		}
		if err := d.scan.scanLine(raw, &d.l); err != nil {
			return d.fail("%s", explainLine(raw, err))
		}
		if d.l.stream && !d.l.hasA {
			if !d.envelope(raw) {
				return false
			}
			continue
		}
		if !d.l.hasA && leaderboardRecord(raw) {
			return d.fail("a leaderboard record, not a battle (is this rank's output? it goes to snapshot-publish)")
		}
		if !d.battle() {
			return false
		}
		d.records++
		d.battles += d.b.Count
		return true
	}
	if d.err != nil {
		return false
	}
	if d.header != nil && d.trailer == nil {
		d.lineNo = 0
		return d.fail("stream cut short: it has a header but no trailer (%d battle lines read)", d.records)
	}
	return false
}

// leaderboardRecord reports whether a line without model_a is a record of
// rank's output (a leaderboard with its status), for a message that says
// what the input is rather than what it lacks.
func leaderboardRecord(raw []byte) bool {
	var probe struct {
		Leaderboard *string `json:"leaderboard"`
		Status      *string `json:"status"`
	}
	return json.Unmarshal(raw, &probe) == nil && probe.Leaderboard != nil && probe.Status != nil
}

// envelopeMembers are the member names of headers and trailers, which
// encoding/json decodes: a line that other readers could read otherwise
// (textin.CheckMembers) is refused.
var envelopeMembers = func() map[string]bool {
	m := textin.Names(reflect.TypeOf(Header{}))
	maps.Copy(m, textin.Names(reflect.TypeOf(Trailer{})))
	return m
}()

// envelope handles a header or trailer line.
func (d *Decoder) envelope(raw []byte) bool {
	var probe struct {
		Stream string `json:"stream"`
		Type   string `json:"type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil || probe.Stream != StreamKind {
		return d.fail("a line without model_a that is not a %q header or trailer", StreamKind)
	}
	if err := textin.CheckMembers(raw, envelopeMembers); err != nil {
		return d.fail("invalid stream header or trailer: %v", err)
	}
	switch probe.Type {
	case TypeHeader:
		if d.records > 0 || d.header != nil {
			return d.fail("a stream header must be the first line")
		}
		var h Header
		if err := json.Unmarshal(raw, &h); err != nil {
			return d.fail("invalid stream header: %v", err)
		}
		if h.Version != StreamVersion {
			return d.fail("stream version %d is not supported (this rank reads version %d)", h.Version, StreamVersion)
		}
		d.header = &h
	case TypeTrailer:
		var t Trailer
		if err := json.Unmarshal(raw, &t); err != nil {
			return d.fail("invalid stream trailer: %v", err)
		}
		if t.Records != d.records || t.Battles != d.battles {
			return d.fail("stream trailer counts %d records and %d battles, but %d records and %d battles came before it",
				t.Records, t.Battles, d.records, d.battles)
		}
		d.trailer = &t
	default:
		return d.fail("unknown stream record type %q", probe.Type)
	}
	return true
}

// battle checks the scanned line and fills d.b.
func (d *Decoder) battle() bool {
	l := &d.l
	switch {
	case !l.hasA:
		return d.fail("missing model_a")
	case !l.hasB:
		return d.fail("missing model_b")
	case len(l.modelA) == 0:
		return d.fail("model_a is empty or not a string")
	case len(l.modelB) == 0:
		return d.fail("model_b is empty or not a string")
	case bytes.Equal(l.modelA, l.modelB):
		return d.fail("model_a and model_b are the same model %q", l.modelA)
	case !l.hasWinner:
		return d.fail("missing winner")
	}
	switch string(l.winner) {
	case WinnerA:
		d.b.Outcome = AWins
	case WinnerB:
		d.b.Outcome = BWins
	case WinnerTie, WinnerBothBad:
		d.b.Outcome = Tie
	default:
		return d.fail("winner %s is not one of %q, %q, %q, %q", quoteValue(l.winner), WinnerA, WinnerB, WinnerTie, WinnerBothBad)
	}
	d.b.Count = 1
	if l.count != nil {
		n, err := strconv.ParseInt(string(l.count), 10, 64)
		if l.countNotNumber || err != nil || n < 1 || n > MaxCount {
			return d.fail("count %s is not a positive integer (1 to %d)", l.count, int64(MaxCount))
		}
		d.b.Count = n
	}
	if l.categoriesBad {
		return d.fail("categories must be an array of strings")
	}
	for _, c := range l.categories {
		if len(c) == 0 {
			return d.fail("categories holds an empty string")
		}
		if string(c) == Overall {
			return d.fail("categories must not name %q: every battle counts there", Overall)
		}
	}
	d.b.ModelA, d.b.ModelB, d.b.Categories = l.modelA, l.modelB, l.categories
	d.b.Style = nil
	if d.style && (l.style != nil || l.conv != nil) {
		var err error
		if l.style != nil {
			err = d.scan.parseStyle(l.style, &d.st)
		} else {
			err = d.scan.parseConvMetadata(l.conv, &d.st)
		}
		if err != nil {
			return d.fail("%v", err)
		}
		d.b.Style = &d.st
	}
	return true
}

// quoteValue shows a winner value in a message: strings quoted, other JSON
// values as they were written.
func quoteValue(v []byte) string {
	s := string(v)
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") || s == "true" || s == "false" || s == "null" ||
		len(s) > 0 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return s
	}
	return strconv.Quote(s)
}

// explainLine names what a line that does not scan is, when it is a
// common mistake rather than a damaged line: a JSON object written over
// several lines (pretty-printed), or CSV.
func explainLine(raw []byte, err error) string {
	t := bytes.TrimSpace(raw)
	switch {
	case bytes.Equal(t, []byte("{")):
		return "invalid JSON: an object spread over several lines; battles are one JSON object per line (NDJSON) or one JSON array (jq -c . turns pretty-printed objects into lines)"
	case len(t) > 0 && !bytes.ContainsAny(t, "{[\"") && bytes.Contains(t, []byte("model_a")) && bytes.ContainsAny(t, ",;\t"):
		return "invalid JSON: this looks like a CSV header; battles are JSON, one object per line (NDJSON) or one JSON array"
	}
	return err.Error()
}
