package battle

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"
)

// Public arena datasets are also published as one JSON array of battle
// objects (pandas' orient="records"). The decoder reads such a file
// element by element, with the same limit per element as per line.

// startsArray reports whether the first non-blank byte of r is '['.
func startsArray(r *bufio.Reader) bool {
	for n := 1; ; n++ {
		b, err := r.Peek(n)
		if err != nil || len(b) < n {
			return false
		}
		c := b[n-1]
		if c == '[' {
			return true
		}
		if c >= 0x80 || !unicode.IsSpace(rune(c)) || n >= 4096 {
			return false
		}
	}
}

type arrayReader struct {
	cr      *countingReader
	dec     *json.Decoder
	started bool
	done    bool
	max     int
}

// countingReader fails once more than limit bytes are read past mark: a
// single element cannot make the decoder buffer without bound.
type countingReader struct {
	r     io.Reader
	read  int64
	mark  int64
	limit int64
}

var errElementTooLong = errors.New("element too long")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read-c.mark > c.limit {
		return 0, errElementTooLong
	}
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}

func newArrayReader(r io.Reader, maxLine int) *arrayReader {
	// The decoder reads ahead in chunks; allow one chunk of slack.
	cr := &countingReader{r: r, limit: int64(maxLine) + 64<<10}
	return &arrayReader{cr: cr, dec: json.NewDecoder(cr), max: maxLine}
}

func (a *arrayReader) next() ([]byte, error) {
	if a.done {
		return nil, io.EOF
	}
	if !a.started {
		a.started = true
		if _, err := a.dec.Token(); err != nil { // the '['
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
	}
	if !a.dec.More() {
		a.done = true
		if _, err := a.dec.Token(); err != nil { // the ']'
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		if _, err := a.dec.Token(); err != io.EOF {
			return nil, errors.New("invalid JSON: more after the array")
		}
		return nil, io.EOF
	}
	a.cr.mark = a.cr.read
	var raw json.RawMessage
	if err := a.dec.Decode(&raw); err != nil {
		if errors.Is(err, errElementTooLong) {
			return nil, fmt.Errorf("element longer than %d bytes", a.max)
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("invalid JSON: the array is cut short")
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if len(raw) > a.max {
		return nil, fmt.Errorf("element longer than %d bytes", a.max)
	}
	return raw, nil
}
