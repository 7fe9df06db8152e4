// Package textin owns the start of a JSON text input as producers write
// it: a UTF-8 byte order mark (Windows tools, Excel, PowerShell) is
// skipped, and the inputs that are not UTF-8 JSON text at all (UTF-16 or
// UTF-32 text, a compressed file) are named, so that the reader can say
// what is wrong instead of "invalid JSON".
package textin

import (
	"bufio"
	"bytes"
	"fmt"
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// Start skips a UTF-8 byte order mark at the start of r and returns an
// error naming the encoding or compression when r holds UTF-16 or UTF-32
// text, gzip, zstd, bzip2 or xz data, or a zip archive. Nothing else is
// consumed. Read errors are left for the caller's first read.
func Start(r *bufio.Reader) error {
	head, _ := r.Peek(4)
	switch {
	case bytes.HasPrefix(head, bom):
		r.Discard(len(bom))
		return nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}), bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}):
		return notText("UTF-32 text", "convert it to UTF-8 first (iconv -f UTF-32 -t UTF-8)")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}),
		len(head) >= 2 && (head[0] == 0) != (head[1] == 0):
		return notText("UTF-16 text", "convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)")
	case bytes.HasPrefix(head, []byte{0x1F, 0x8B}):
		return notText("gzip-compressed", "decompress it first (gzip -dc FILE | …)")
	case bytes.HasPrefix(head, []byte{0x28, 0xB5, 0x2F, 0xFD}):
		return notText("zstd-compressed", "decompress it first (zstd -dc FILE | …)")
	case bytes.HasPrefix(head, []byte("BZh")):
		return notText("bzip2-compressed", "decompress it first (bzip2 -dc FILE | …)")
	case bytes.HasPrefix(head, []byte{0xFD, '7', 'z', 'X'}):
		return notText("xz-compressed", "decompress it first (xz -dc FILE | …)")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return notText("a zip archive", "extract the file first (unzip -p FILE | …)")
	}
	return nil
}

// Error is an input that is not UTF-8 JSON text; Hint says what to do.
type Error struct {
	What, Hint string
}

func (e *Error) Error() string { return fmt.Sprintf("the input is %s, not UTF-8 JSON text", e.What) }

func notText(what, hint string) error { return &Error{What: what, Hint: hint} }
