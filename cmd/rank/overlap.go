package main

import (
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"time"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
)

// Inputs ranked together are added up, so no battle may come twice: rank
// refuses
//
//   - the same file named twice (the same path, another path to it, or stdin
//     redirected from it): a usage error (2);
//   - two inputs with the same bytes (a copy of a file): bad input (3);
//   - two battles-export streams whose selections overlap: the same
//     leaderboard filter (every stream must have the same) and time windows
//     that meet. A stream's window runs from its filter.since (or the
//     start) to its filter.until, else to its exported_at: two exports of
//     the same database at different times overlap, while exports of
//     disjoint windows (--until T, then --since T) rank together. Bad
//     input (3).
//
// A file of battle lines without a header (hand-made, or a public file)
// has no window to compare: only the first two rules apply to it.

// sources remembers the inputs read so far.
type sources struct {
	seed    maphash.Seed
	files   []source
	streams []window
	// fingerprint says whether the inputs' bytes are fingerprinted: only
	// when there is more than one input, one alone having nothing to be
	// the same as (the fingerprint costs about 5% of reading).
	fingerprint bool
}

type source struct {
	label string
	info  os.FileInfo // nil when it could not be had
	sum   uint64      // of the bytes read
	size  int64
}

// window is a stream's selection in time: [from, to); a zero from is the
// start of the arena, a zero to no known end.
type window struct {
	label    string
	from, to time.Time
}

func newSources() *sources { return &sources{seed: maphash.MakeSeed()} }

// open checks that the input name (f, opened) is none of the files read
// before. A nil f is stdin, checked only when it is a file.
func (s *sources) open(label string, f *os.File) error {
	var info os.FileInfo
	if f != nil {
		info, _ = f.Stat()
	}
	for _, p := range s.files {
		same := p.label == label && label == "stdin"
		if info != nil && p.info != nil && info.Mode().IsRegular() && os.SameFile(info, p.info) {
			same = true
		}
		if same {
			what := fmt.Errorf("%s and %s are the same file: its battles would count twice", p.label, label)
			if p.label == label {
				what = fmt.Errorf("%s is named twice: its battles would count twice", label)
			}
			return exitcode.WithHint(exitcode.Usage, what, "name each input once")
		}
	}
	s.files = append(s.files, source{label: label, info: info})
	return nil
}

// hasher returns the writer that fingerprints the bytes of the input
// being read (the last one opened), or nil when fingerprints are not
// taken.
func (s *sources) hasher() *maphash.Hash {
	if !s.fingerprint {
		return nil
	}
	h := &maphash.Hash{}
	h.SetSeed(s.seed)
	return h
}

// read records the fingerprint of the input just read and checks it
// against the inputs before: the same bytes twice are the same battles.
// Empty inputs are left to the check for inputs without battles, and
// nothing is recorded when h is nil (a single input).
func (s *sources) read(label string, h *maphash.Hash, size int64) error {
	if h == nil {
		return nil
	}
	cur := &s.files[len(s.files)-1]
	cur.sum, cur.size = h.Sum64(), size
	if size == 0 {
		return nil
	}
	for _, p := range s.files[:len(s.files)-1] {
		if p.size == size && p.sum == cur.sum {
			return exitcode.WithHint(exitcode.BadInput,
				fmt.Errorf("%s holds the same bytes as %s: its battles would count twice", label, p.label),
				"rank one of them")
		}
	}
	return nil
}

// stream checks a stream header's window against the streams before and
// returns the filter of all the streams so far: the same leaderboard, from
// the earliest since ("" when one starts at the start) to the latest until
// ("" when one runs to its export). f is the filter of the streams before.
func (s *sources) stream(label string, h *battle.Header, f battle.Filter) (battle.Filter, error) {
	w := window{label: label}
	var err error
	if w.from, err = parseTime(h.Filter.Since); err != nil {
		return f, exitcode.New(exitcode.BadInput, fmt.Errorf("%s:1: header: filter.since %q is not an RFC 3339 time", label, h.Filter.Since))
	}
	end, field := h.Filter.Until, "filter.until"
	if end == "" {
		end, field = h.ExportedAt, "exported_at"
	}
	if w.to, err = parseTime(end); err != nil {
		return f, exitcode.New(exitcode.BadInput, fmt.Errorf("%s:1: header: %s %q is not an RFC 3339 time", label, field, end))
	}
	for _, p := range s.streams {
		if overlap(p, w) {
			return f, exitcode.WithHint(exitcode.BadInput,
				fmt.Errorf("%s and %s are exports whose battles overlap (%s; %s): ranked together, the battles of both would count twice",
					p.label, label, p.describe(), w.describe()),
				"rank the newer export alone, or export windows that do not meet (battles-export --until T, then --since T) to rank them together")
		}
	}
	first := len(s.streams) == 0
	s.streams = append(s.streams, w)
	if first {
		return h.Filter, nil
	}
	out := f
	if f.Since == "" || h.Filter.Since == "" {
		out.Since = ""
	} else if t, _ := parseTime(h.Filter.Since); t.Before(mustTime(f.Since)) {
		out.Since = h.Filter.Since
	}
	if f.Until == "" || h.Filter.Until == "" {
		out.Until = ""
	} else if t, _ := parseTime(h.Filter.Until); t.After(mustTime(f.Until)) {
		out.Until = h.Filter.Until
	}
	return out, nil
}

func overlap(a, b window) bool {
	return (a.from.IsZero() || b.to.IsZero() || a.from.Before(b.to)) &&
		(b.from.IsZero() || a.to.IsZero() || b.from.Before(a.to))
}

func (w window) describe() string {
	from, to := "the start", "no end"
	if !w.from.IsZero() {
		from = battle.Format(w.from)
	}
	if !w.to.IsZero() {
		to = battle.Format(w.to)
	}
	return fmt.Sprintf("%s: %s to %s", w.label, from, to)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

func mustTime(s string) time.Time {
	t, _ := parseTime(s)
	return t
}

// hashingReader feeds what is read through it to a fingerprint.
type hashingReader struct {
	r io.Reader
	h io.Writer
}

func (r hashingReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.h.Write(b[:n])
	return n, err
}
