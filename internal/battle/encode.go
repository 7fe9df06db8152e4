package battle

import (
	"bufio"
	"errors"
	"io"

	json "github.com/goccy/go-json"
)

// Encoder writes a battles-export stream: one header line, battle lines,
// one trailer line, each a JSON object ended by "\n", through a buffer.
// It counts what it writes so that the trailer agrees with the lines
// before it. Nothing reaches the underlying writer before the buffer fills
// or Close is called, so a failure early in an export leaves no output.
type Encoder struct {
	buf     *bufio.Writer
	enc     *json.Encoder
	header  bool
	closed  bool
	records int64
	battles int64
}

// EncoderBufferSize is the size of the Encoder's output buffer.
const EncoderBufferSize = 256 << 10

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder {
	buf := bufio.NewWriterSize(w, EncoderBufferSize)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return &Encoder{buf: buf, enc: enc}
}

var (
	errHeaderTwice   = errors.New("battle stream: header written twice")
	errNoHeader      = errors.New("battle stream: record before the header")
	errClosed        = errors.New("battle stream: write after the trailer")
	errBadRecordLine = errors.New("battle stream: a record needs model_a, model_b and winner")
)

// WriteHeader writes the header line; it fills in the stream kind, the
// record type and the version.
func (e *Encoder) WriteHeader(h Header) error {
	if e.header {
		return errHeaderTwice
	}
	h.Stream, h.Type, h.Version = StreamKind, TypeHeader, StreamVersion
	if h.Leaderboards == nil {
		h.Leaderboards = []LeaderboardName{}
	}
	e.header = true
	return e.enc.Encode(&h)
}

// WriteRecord writes one battle line. A record without Count stands for
// one battle.
func (e *Encoder) WriteRecord(r *Record) error {
	switch {
	case e.closed:
		return errClosed
	case !e.header:
		return errNoHeader
	case r.ModelA == "" || r.ModelB == "" || r.Winner == "":
		return errBadRecordLine
	}
	if err := e.enc.Encode(r); err != nil {
		return err
	}
	e.records++
	if r.Count > 0 {
		e.battles += r.Count
	} else {
		e.battles++
	}
	return nil
}

// Counts returns the number of battle lines written so far and the number
// of battles they stand for.
func (e *Encoder) Counts() (records, battles int64) { return e.records, e.battles }

// Close writes the trailer line with the counts and flushes the buffer. It
// is called only when the stream is complete: a stream that fails must end
// without a trailer, so that readers can tell it was cut short.
func (e *Encoder) Close() (Trailer, error) {
	if e.closed {
		return Trailer{}, errClosed
	}
	if !e.header {
		return Trailer{}, errNoHeader
	}
	e.closed = true
	t := Trailer{Stream: StreamKind, Type: TypeTrailer, Records: e.records, Battles: e.battles}
	if err := e.enc.Encode(&t); err != nil {
		return t, err
	}
	return t, e.buf.Flush()
}
