package clix

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/urfave/cli/v2"
	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
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

// Progress is one line on the terminal, drawn by mpb
// (github.com/vbauerster/mpb) five times a second: what the tool does,
// how far it is (with the total and a percentage when known), how fast it
// goes (from its first second on: a rate over less than a second is
// noise), and for how long. Before the first Add or Set it shows a
// spinner. While it is drawn, the logger's messages are written above it.
// Its methods are safe for concurrent use; a nil *Progress does nothing,
// so that callers need not test whether one is drawn.
//
// A panic while drawing stops the line and is raised again by Finish, in
// the tool's goroutine, so that the tool ends as an internal failure.
type Progress struct {
	log   *Logger
	unit  string // "rounds", "rows"; "" counts bytes
	total int64  // 0 when unknown
	start time.Time
	now   func() time.Time

	container *mpb.Progress
	bar       *mpb.Bar
	what      atomic.Pointer[string]
	done      atomic.Int64
	counting  atomic.Bool
	frame     int // of the spinner; drawn by one goroutine at a time
	panics    exitcode.Group
	finish    sync.Once
}

// progressInterval is how often the line is drawn again.
const progressInterval = 200 * time.Millisecond

// NewProgress starts drawing a progress line for log's tool on log's
// writer (stderr): what it does ("reading stdin", "bootstrap"), the unit
// it counts ("" for bytes) and the total (0 when unknown). Finish clears
// it.
func NewProgress(log *Logger, what, unit string, total int64) *Progress {
	return newProgress(log, what, unit, total, time.Now, false)
}

// newProgress is NewProgress on the clock now; force draws on a writer
// that is not a terminal, as on one 100 columns wide.
func newProgress(log *Logger, what, unit string, total int64, now func() time.Time, force bool) *Progress {
	p := &Progress{log: log, unit: unit, total: total, start: now(), now: now}
	p.what.Store(&what)
	options := []mpb.ContainerOption{mpb.WithConsoleWriter(sizedWriter{cupwriter.New(log.w, force)}),
		mpb.WithRefreshRate(progressInterval), mpb.WithWidth(100)}
	if force {
		options = append(options, mpb.WithAutoRefresh())
	}
	p.container = mpb.New(options...)
	p.bar = p.container.New(total, mpb.NopStyle(),
		mpb.PrependDecorators(p.decorator(p.describe), p.decorator(p.amount), p.decorator(p.rate)),
		mpb.AppendDecorators(p.decorator(p.elapsed)),
		mpb.BarRemoveOnComplete())
	log.above(p)
	return p
}

// sizedWriter is mpb's terminal writer, for a terminal that may not know
// its size (a pseudo-terminal nobody sized says 0 columns, on which mpb
// would draw nothing): 80 columns then.
type sizedWriter struct{ *cupwriter.Writer }

func (w sizedWriter) GetTermSize() (width, height int, err error) {
	width, height, err = w.Writer.GetTermSize()
	if err != nil || width <= 0 {
		return 80, 24, nil
	}
	return width, max(height, 1), nil
}

// decorator is one part of the line, drawn by part; a panic there stops
// the line (see Finish).
func (p *Progress) decorator(part func(elapsed time.Duration) string) decor.Decorator {
	return decor.Any(func(decor.Statistics) string {
		defer p.panics.Catch()
		select {
		case <-p.panics.Panicked():
			return ""
		default:
		}
		return part(p.now().Sub(p.start))
	})
}

// The parts of the line: "rank: bootstrap", "  5,250/21,000 rounds
// (25%)" or a spinner frame, "  2,625 rounds/s", and after two spaces
// "2s".

func (p *Progress) describe(time.Duration) string {
	return p.log.tool + ": " + *p.what.Load()
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (p *Progress) amount(time.Duration) string {
	if !p.counting.Load() {
		p.frame++
		return "  " + spinner[(p.frame-1)%len(spinner)]
	}
	done := p.done.Load()
	if p.total <= 0 {
		return "  " + p.quantity(done)
	}
	s := p.quantity(done) + "/" + p.quantity(p.total)
	if p.unit != "" {
		s = Thousands(done) + "/" + p.quantity(p.total)
	}
	return fmt.Sprintf("  %s (%d%%)", s, min(100, done*100/p.total))
}

func (p *Progress) rate(elapsed time.Duration) string {
	if !p.counting.Load() || elapsed < time.Second {
		return ""
	}
	return "  " + p.quantity(int64(float64(p.done.Load())/elapsed.Seconds())) + "/s"
}

func (p *Progress) elapsed(elapsed time.Duration) string {
	return elapsed.Truncate(time.Second).String()
}

// quantity writes n units: bytes in B, kB, MB, GB (mpb's SizeB1000);
// counts with thousands separators and the unit.
func (p *Progress) quantity(n int64) string {
	switch {
	case p.unit != "":
		return Thousands(n) + " " + p.unit
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("% .1f", decor.SizeB1000(n))
}

// Thousands writes n with commas between groups of three digits, as
// English does: 16,788.
func Thousands(n int64) string { return english.Sprintf("%d", n) }

var english = message.NewPrinter(language.English)

// Add counts n more units done.
func (p *Progress) Add(n int64) {
	if p != nil {
		p.counting.Store(true)
		p.done.Add(n)
	}
}

// Set says how many units are done in all.
func (p *Progress) Set(n int64) {
	if p != nil {
		p.counting.Store(true)
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

// Finish stops drawing and clears the line; messages go straight to the
// terminal again. It may be called more than once. A panic that stopped
// the drawing is raised again here.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.stop()
	p.panics.Wait()
}

// stop stops drawing and clears the line, once.
func (p *Progress) stop() {
	if p == nil {
		return
	}
	p.finish.Do(func() {
		p.bar.Abort(true)
		p.container.Wait()
		p.log.above(nil)
	})
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

// NoteTerminalStdin says on stderr, when stdin is a terminal, that the
// tool reads it (what: "battles"), so that a person who forgot the file
// name does not face a tool that seems to hang.
func NoteTerminalStdin(stdin io.Reader, log *Logger, what string) {
	if f, ok := stdin.(*os.File); ok && IsTerminal(f) && !log.JSON() {
		log.Warnf("reading %s from the terminal: paste them and end with Ctrl-D, or name a file ('%s --help')", what, log.tool)
	}
}
