package clix

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// NoProgress is the name of the flag every tool has (NoProgressFlag).
const NoProgress = "no-progress"

// NoProgressFlag returns the flag every tool has to keep its progress line
// off the terminal; NO_PROGRESS set to anything but "", 0 or false does
// the same (as NO_COLOR does for colours).
func NoProgressFlag() cli.Flag {
	return &cli.BoolFlag{Name: NoProgress,
		Usage: "draw no progress line on the terminal (also when NO_PROGRESS is set; never with LOG_FORMAT=json or when stderr is not a terminal)"}
}

// ShowProgress reports whether a tool draws a progress line on stderr: it
// is a terminal, the tool's stdout is not a pipe (in "battles-export |
// rank" on a terminal only rank, the last stage, draws), messages are not
// JSON lines, and neither --no-progress nor NO_PROGRESS says otherwise.
func ShowProgress(c *cli.Context, stdout, stderr io.Writer, log *Logger, getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv("NO_PROGRESS"))) {
	case "", "0", "false":
	default:
		return false
	}
	return !c.Bool(NoProgress) && !log.JSON() && IsTerminal(stderr) && !isPipe(stdout)
}

// isPipe reports whether w is a pipe or a socket: another process reads it.
func isPipe(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}

// Progress draws one line on a terminal, redrawn five times a second: what
// the tool does, how far it is (with the total and a percentage when
// known), how fast it goes (from its first second on: a rate over less
// than a second is noise), and for how long. Before the first Add it shows
// a spinner. Its methods are safe for concurrent use; a nil *Progress does
// nothing, so that callers need not test whether one is drawn.
type Progress struct {
	w     io.Writer
	tool  string
	unit  string // "rounds", "rows"; "" counts bytes
	total int64  // 0 when unknown
	start time.Time
	now   func() time.Time
	width int // of the terminal, 0 when unknown

	what  atomic.Pointer[string]
	done  atomic.Int64
	added atomic.Bool

	mu      sync.Mutex
	frame   int
	drawn   bool
	stop    chan struct{}
	finish  sync.Once
	stopped sync.WaitGroup
}

// progressInterval is how often the line is redrawn.
const progressInterval = 200 * time.Millisecond

// NewProgress starts drawing a progress line for tool on w: what it does
// ("reading stdin", "bootstrap"), the unit it counts ("" for bytes) and
// the total (0 when unknown). Finish clears it.
func NewProgress(w io.Writer, tool, what, unit string, total int64) *Progress {
	p := &Progress{w: w, tool: tool, unit: unit, total: total, start: time.Now(), now: time.Now, stop: make(chan struct{})}
	if f, ok := w.(*os.File); ok {
		p.width, _, _ = term.GetSize(int(f.Fd()))
	}
	p.what.Store(&what)
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

// Add counts n more units done.
func (p *Progress) Add(n int64) {
	if p != nil {
		p.added.Store(true)
		p.done.Add(n)
	}
}

// Set says how many units are done in all.
func (p *Progress) Set(n int64) {
	if p != nil {
		p.added.Store(true)
		p.done.Store(n)
	}
}

// Describe changes what the line says the tool does.
func (p *Progress) Describe(what string) {
	if p != nil {
		p.what.Store(&what)
	}
}

// Reader returns r counting the bytes read through it; the line is
// cleared at the end of r.
func (p *Progress) Reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &countingReader{r: r, p: p}
}

// Finish stops drawing and clears the line. It may be called more than
// once.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.finish.Do(func() { close(p.stop) })
	p.stopped.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		io.WriteString(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

type countingReader struct {
	r io.Reader
	p *Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.Add(int64(n))
	if err == io.EOF {
		c.p.Finish()
	}
	return n, err
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (p *Progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.w, "\r\x1b[K"+p.line())
	p.drawn = true
	p.frame++
}

// line is the text of the line at this moment.
func (p *Progress) line() string {
	elapsed := p.now().Sub(p.start)
	done := p.done.Load()
	parts := []string{p.tool + ": " + *p.what.Load()}
	if !p.added.Load() {
		parts = append(parts, spinner[p.frame%len(spinner)])
	} else {
		amount := p.amount(done)
		if p.total > 0 {
			if p.unit == "" {
				amount += "/" + p.amount(p.total)
			} else {
				amount = thousands(done) + "/" + p.amount(p.total)
			}
			amount += fmt.Sprintf(" (%d%%)", min(100, done*100/p.total))
		}
		parts = append(parts, amount)
		if elapsed >= time.Second {
			parts = append(parts, p.amount(int64(float64(done)/elapsed.Seconds()))+"/s")
		}
	}
	parts = append(parts, elapsed.Truncate(time.Second).String())
	line := strings.Join(parts, "  ")
	// A line longer than the terminal would wrap, and the next frame
	// would not draw over it.
	if p.width > 1 && utf8.RuneCountInString(line) >= p.width {
		line = string([]rune(line)[:p.width-1])
	}
	return line
}

// amount writes n units: bytes in B, kB, MB, GB; counts with thousands
// separators and the unit.
func (p *Progress) amount(n int64) string {
	if p.unit == "" {
		switch {
		case n < 1000:
			return fmt.Sprintf("%d B", n)
		case n < 1000_000:
			return fmt.Sprintf("%.1f kB", float64(n)/1e3)
		case n < 1000_000_000:
			return fmt.Sprintf("%.1f MB", float64(n)/1e6)
		}
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	}
	return thousands(n) + " " + p.unit
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// NoteTerminalStdin says on stderr, when stdin is a terminal, that the
// tool reads it (what: "battles"), so that a person who forgot the file
// name does not face a tool that seems to hang.
func NoteTerminalStdin(stdin io.Reader, log *Logger, what string) {
	if f, ok := stdin.(*os.File); ok && IsTerminal(f) && !log.JSON() {
		log.Warnf("reading %s from the terminal: paste them and end with Ctrl-D, or name a file ('%s --help')", what, log.tool)
	}
}
