package site_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/leaderboard"
	"github.com/bixarena/arena-snapshots/internal/publish"
	"github.com/bixarena/arena-snapshots/internal/ranking"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// The published site in a real browser (Debian's chromium, headless, over
// the DevTools protocol on a pipe): the front page and a leaderboard's
// page, opened from the folder with file://, show every listed model with
// its rank range and tier; nothing is requested from outside the folder;
// a model named <script>alert(1)</script> is text, not a script; at phone
// and laptop widths the page needs no sideways scrolling; each row's rank,
// model, score and interval lie within the screen, with no table to
// scroll; the chart and heatmaps are drawn at their own size (their labels
// as large as drawn), in a box that scrolls sideways with a hint when they
// are wider than the screen; a rank range on the front page stays on one
// line; a leaderboard the publish skipped is listed with why; the run
// history of one run says "run". Every text of the chart and heatmaps
// stays on their canvas. Screenshots at both widths are kept in
// .cache/artifacts/site (SITE_ARTIFACTS overrides it), which git ignores.
func TestSiteInBrowser(t *testing.T) {
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("chromium"); err != nil {
			t.Skip("chromium is not installed and CHROMIUM is not set: no browser to test the site in (scripts/test.sh installs it)")
		}
	}
	root := filepath.Join(t.TempDir(), "site")
	records := publishSite(t, root)
	artifacts := os.Getenv("SITE_ARTIFACTS")
	if artifacts == "" {
		_, src, _, _ := runtime.Caller(0)
		artifacts = filepath.Join(filepath.Dir(src), "..", "..", ".cache", "artifacts", "site")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, bin)

	overall := records[0]
	widths := []struct {
		name          string
		width, height int
		mobile        bool
	}{{"phone", 390, 844, true}, {"laptop", 1280, 900, false}}
	for _, w := range widths {
		t.Run(w.name, func(t *testing.T) {
			// The front page: a card per published leaderboard, linking
			// its page, with its top models.
			p := b.open(t, root, "index.html", w.width, w.height, w.mobile)
			var front struct {
				Cards []struct {
					Slug, Href string
					Models     []string
				}
				Scripts  int
				Overflow bool
				Broken   []string // rank ranges drawn on more than one line
				Pending  [][2]string
			}
			p.eval(t, `({
				cards: [...document.querySelectorAll('li.card')].map(c => ({
					slug: c.dataset.leaderboard,
					href: c.querySelector('h2 a').getAttribute('href'),
					models: [...c.querySelectorAll('.model')].map(m => m.textContent),
				})),
				scripts: document.scripts.length,
				overflow: document.documentElement.scrollWidth > window.innerWidth,
				// On one line, and kept there whatever the width of the card.
				broken: [...document.querySelectorAll('li.card li small')].filter(s => s.getClientRects().length != 1 ||
					getComputedStyle(s).whiteSpace != 'nowrap').map(s => s.textContent),
				pending: [...document.querySelectorAll('#pending li')].map(li => [li.dataset.leaderboard, li.textContent]),
			})`, &front)
			if len(front.Cards) != len(records) {
				t.Errorf("front page: %d cards for %d leaderboards", len(front.Cards), len(records))
			}
			for _, c := range front.Cards {
				rec := find(records, c.Slug)
				if rec == nil || c.Href != c.Slug+"/index.html" || len(c.Models) != min(3, len(rec.Entries)) {
					t.Errorf("front page card %+v", c)
					continue
				}
				for i, m := range c.Models {
					if m != rec.Entries[i].Model {
						t.Errorf("front page, %s: model %d is %q, want %q", c.Slug, i+1, m, rec.Entries[i].Model)
					}
				}
			}
			if front.Scripts != 0 || front.Overflow {
				t.Errorf("front page: %d scripts, sideways overflow %v", front.Scripts, front.Overflow)
			}
			if len(front.Broken) > 0 {
				t.Errorf("front page: rank ranges broken across lines: %q", front.Broken)
			}
			if want := [][2]string{{skippedSlug, skippedName + " — 12 battles < --min-battles 30"}}; fmt.Sprint(front.Pending) != fmt.Sprint(want) {
				t.Errorf("front page: not yet published %q, want %q", front.Pending, want)
			}
			p.check(t, root)
			p.screenshot(t, filepath.Join(artifacts, "index-"+w.name+".png"))

			// The overall page: every listed model, rank, rank range and
			// tier, in order; the pictures loaded.
			p = b.open(t, root, "overall/index.html", w.width, w.height, w.mobile)
			var board struct {
				Rows   [][4]string
				Images []struct {
					Src                        string
					OK, Scrolls                bool
					NaturalWidth, Width        float64
					Left, Right, ScrollerRight float64
				}
				Scripts  int
				Overflow bool
				Width    float64
				Table    struct{ ScrollWidth, ClientWidth float64 }
				Cells    []struct {
					Score      string
					Left       float64
					Right      float64
					Intervals  [][3]any // the interval's text, left and right, where it is seen
					Rank, Name [2]float64
				}
				Hint bool
			}
			p.eval(t, `(() => {
				const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; };
				const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility != 'hidden';
				const wrap = document.querySelector('#entries').parentElement;
				return {
				rows: [...document.querySelectorAll('#entries tbody tr')].map(tr => [
					tr.querySelector('.rank').textContent, tr.querySelector('.ranks').textContent,
					tr.querySelector('.tier').textContent, tr.querySelector('.model').textContent]),
				images: [...document.images].map(i => {
					const r = i.getBoundingClientRect();
					let scroller = null;
					for (let e = i.parentElement; e; e = e.parentElement) {
						if (['auto', 'scroll'].includes(getComputedStyle(e).overflowX)) { scroller = e; break; }
					}
					return {src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0, naturalWidth: i.naturalWidth,
						width: r.width, left: r.left, right: r.right, scrolls: scroller != null && scroller.scrollWidth > scroller.clientWidth,
						scrollerRight: scroller ? scroller.getBoundingClientRect().right : 0};
				}),
				scripts: document.scripts.length,
				overflow: document.documentElement.scrollWidth > window.innerWidth,
				width: window.innerWidth,
				table: {scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth},
				cells: [...document.querySelectorAll('#entries tbody tr')].map(tr => {
					const s = tr.querySelector('td.score') || tr.querySelectorAll('td')[tr.querySelectorAll('td').length - 3];
					const [left, right] = box(s);
					return {score: s.firstChild.textContent, left, right, rank: box(tr.querySelector('.rank')), name: box(tr.querySelector('.model')),
						intervals: [...tr.querySelectorAll('td, td *')].filter(e => e.childElementCount == 0 && shown(e) &&
							/^\s*[0-9.]+\s*–\s*[0-9.]+\s*$/.test(e.textContent)).map(e => [e.textContent, ...box(e)])};
				}),
				hint: [...document.querySelectorAll('p')].some(p => shown(p) && p.textContent.includes('scroll sideways')),
			}; })()`, &board)
			if len(board.Rows) != len(overall.Entries) {
				t.Fatalf("overall page: %d rows for %d entries", len(board.Rows), len(overall.Entries))
			}
			for i, e := range overall.Entries {
				want := [4]string{fmt.Sprint(e.Rank), snapshot.RankRange(e.RankBest, e.RankWorst), fmt.Sprint(e.Tier), e.Model}
				if board.Rows[i] != want {
					t.Errorf("overall page, row %d: %q, want %q", i+1, board.Rows[i], want)
				}
			}
			if board.Table.ScrollWidth > board.Table.ClientWidth+0.5 {
				t.Errorf("overall page: the table scrolls sideways (%.0f px in %.0f)", board.Table.ScrollWidth, board.Table.ClientWidth)
			}
			for i, c := range board.Cells {
				e := overall.Entries[i]
				in := func(l, r float64) bool { return l >= -0.5 && r <= board.Width+0.5 }
				if c.Score != fmt.Sprintf("%.1f", e.Score) || !in(c.Left, c.Right) || !in(c.Rank[0], c.Rank[1]) || !in(c.Name[0], c.Name[0]+1) {
					t.Errorf("overall page, row %d: score %q at %.0f–%.0f px, rank at %.0f–%.0f, name from %.0f, in a screen of %.0f px",
						i+1, c.Score, c.Left, c.Right, c.Rank[0], c.Rank[1], c.Name[0], board.Width)
				}
				seen := false
				for _, iv := range c.Intervals {
					l, _ := iv[1].(float64)
					r, _ := iv[2].(float64)
					seen = seen || in(l, r)
				}
				if !seen {
					t.Errorf("overall page, row %d: its interval is not seen within the screen: %v", i+1, c.Intervals)
				}
			}
			if len(board.Images) != 3 {
				t.Errorf("overall page: images %+v, want the chart and two heatmaps", board.Images)
			}
			for _, img := range board.Images {
				if !img.OK {
					t.Errorf("overall page: image %s did not load", img.Src)
				}
				// At its own size: shrunk, its labels could not be read.
				if img.Width < img.NaturalWidth-0.5 {
					t.Errorf("overall page: image %s drawn %.0f px wide, shrunk from %.0f", img.Src, img.Width, img.NaturalWidth)
				}
				if img.Right > board.Width+0.5 && (!img.Scrolls || img.ScrollerRight > board.Width+0.5 || !board.Hint) {
					t.Errorf("overall page: image %s (%.0f px) is wider than the screen (%.0f px) and not in a box that scrolls, with a hint (scrolls %v, hint %v)",
						img.Src, img.Width, board.Width, img.Scrolls, board.Hint)
				}
			}
			if board.Scripts != 0 || board.Overflow {
				t.Errorf("overall page: %d scripts, sideways overflow %v", board.Scripts, board.Overflow)
			}
			p.check(t, root)
			p.screenshot(t, filepath.Join(artifacts, "overall-"+w.name+".png"))

			// The run history, of one run.
			p = b.open(t, root, "runs/index.html", w.width, w.height, w.mobile)
			var runs string
			p.eval(t, `document.body.innerText`, &runs)
			if !strings.Contains(runs, "The last 1 run") || strings.Contains(runs, "1 runs") {
				t.Errorf("runs page: %q, want it to say \"The last 1 run\"", runs)
			}
			p.check(t, root)
			p.screenshot(t, filepath.Join(artifacts, "runs-"+w.name+".png"))
		})
	}

	// Every text of every picture stays on its canvas, as the browser
	// draws it, with its own fonts.
	for _, name := range []string{".svg", ".observed.svg", ".predicted.svg"} {
		p := b.open(t, root, "overall/"+overall.identifier+name, 1400, 900, false)
		var off []string
		p.eval(t, `(() => {
			const box = document.documentElement.getBoundingClientRect();
			return [...document.querySelectorAll('text')].filter(t => {
				const r = t.getBoundingClientRect();
				return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
			}).map(t => t.textContent);
		})()`, &off)
		if len(off) > 0 {
			t.Errorf("%s: text off the canvas: %q", name, off)
		}
		p.check(t, root)
	}
	t.Logf("screenshots in %s", artifacts)
}

// skippedSlug and skippedName are the leaderboard publishSite has
// skipped.
const (
	skippedSlug = "tiny"
	skippedName = `Tiny <img src=x onerror=alert(3)> "&"`
)

// site is a published leaderboard record with the identifier its files
// got.
type site struct {
	leaderboard.Record
	identifier string
}

func find(records []site, slug string) *site {
	for i := range records {
		if records[i].Leaderboard == slug {
			return &records[i]
		}
	}
	return nil
}

// publishSite ranks seeded battles among models with hostile and long
// names into two leaderboards and publishes them to a folder, as rank and
// snapshot-publish do; it returns the published records.
func publishSite(t *testing.T, root string) []site {
	models := []string{"<script>alert(1)</script>", "gpt-4o", strings.Repeat("a-very-long-model-name-", 8) + "end",
		"claude-3-5-sonnet", `"quoted" & <b>bold</b>`, "llama-3-70b", "模型-中文", "mistral-large", "biogpt", "o1-mini"}
	agg := ranking.NewAggregator("")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 4000 {
		a, b := rng.IntN(len(models)), rng.IntN(len(models)-1)
		if b >= a {
			b++
		}
		out := battle.AWins
		// Earlier models are stronger.
		if rng.Float64() > 0.5+0.04*float64(b-a) {
			out = battle.BWins
		}
		var cats [][]byte
		if rng.IntN(2) == 0 {
			cats = [][]byte{[]byte("genomics")}
		}
		agg.Add(&battle.Battle{ModelA: []byte(models[a]), ModelB: []byte(models[b]), Outcome: out, Count: 1, Categories: cats})
	}
	recs := agg.Records(ranking.Options{Bootstrap: 100, MinVotes: 10, MinBattles: 30, MinModels: 4, Seed: 1, Threads: 2})
	var in bytes.Buffer
	var out []site
	at := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	for _, r := range recs {
		if r.Status != leaderboard.Ranked {
			t.Fatalf("%s: %s", r.Leaderboard, r.Reason)
		}
		line, _ := json.Marshal(r)
		in.Write(append(line, '\n'))
		out = append(out, site{Record: r, identifier: snapshot.Identifier(at)})
	}
	// A leaderboard with too few battles, skipped, with a name that tries
	// to break the page.
	skip, _ := json.Marshal(leaderboard.Record{Leaderboard: skippedSlug, Name: skippedName, Status: leaderboard.Skipped,
		Reason: leaderboard.ReasonInsufficientBattles, Battles: 12, Models: 3, Params: leaderboard.Params{MinBattles: 30, MinModels: 4}})
	in.Write(append(skip, '\n'))
	var stdout bytes.Buffer
	log := clix.NewLogger("snapshot-publish", io.Discard, func(string) string { return "" })
	// The run history first, so that the pages link it.
	record := `{"correlation_id":"job-1","started_at":"2025-03-14T09:20:00Z","exit_status":0,"duration_seconds":400,"published":2,"skipped":1}`
	if err := publish.RecordRun(context.Background(), publish.Options{Dir: root, Now: func() time.Time { return at }}, "-", strings.NewReader(record), &stdout, log); err != nil {
		t.Fatalf("record the run: %v\n%s", err, stdout.String())
	}
	if err := publish.Run(context.Background(), publish.Options{Dir: root, Now: func() time.Time { return at }}, &in, &stdout, log); err != nil {
		t.Fatalf("publish: %v\n%s", err, stdout.String())
	}
	return out
}

// browser is a headless chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: it reads commands on its fd 3 and writes
// answers and events on its fd 4, each a JSON object ended by a NUL).
type browser struct {
	w      io.Writer
	mu     sync.Mutex
	next   int
	calls  map[int]chan cdpMessage
	events map[string][]cdpMessage // by session
	loaded map[string]chan struct{}
}

type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct{ Message string }
	SessionID string `json:"sessionId,omitempty"`
}

func startBrowser(t *testing.T, bin string) *browser {
	cmdR, cmdW, err := os.Pipe() // commands: we write, chromium reads on fd 3
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe() // answers: chromium writes on fd 4, we read
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, evW}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmdR.Close()
	evW.Close()
	t.Cleanup(func() {
		cmdW.Close()
		cancel()
		cmd.Wait()
		evR.Close()
	})
	b := &browser{w: cmdW, calls: map[int]chan cdpMessage{}, events: map[string][]cdpMessage{}, loaded: map[string]chan struct{}{}}
	go func() {
		r := bufio.NewReader(evR)
		for {
			raw, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			var m cdpMessage
			if json.Unmarshal(raw[:len(raw)-1], &m) != nil {
				continue
			}
			b.mu.Lock()
			if c, ok := b.calls[m.ID]; ok && m.Method == "" {
				delete(b.calls, m.ID)
				c <- m
			} else if m.Method != "" {
				b.events[m.SessionID] = append(b.events[m.SessionID], m)
				if c, ok := b.loaded[m.SessionID]; ok && m.Method == "Page.loadEventFired" {
					close(c)
					delete(b.loaded, m.SessionID)
				}
			}
			b.mu.Unlock()
		}
	}()
	var v struct{ Product string }
	if err := b.call("", "Browser.getVersion", nil, &v); err != nil {
		t.Fatalf("chromium does not answer: %v\n%s", err, stderr.String())
	}
	t.Logf("browser: %s", v.Product)
	return b
}

// call sends a command and decodes its result into out (when not nil).
func (b *browser) call(session, method string, params any, out any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	c := make(chan cdpMessage, 1)
	b.calls[id] = c
	b.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params, "sessionId": session})
	if session == "" {
		msg, _ = json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	}
	if _, err := b.w.Write(append(msg, 0)); err != nil {
		return err
	}
	select {
	case m := <-c:
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: no answer in 30 s", method)
	}
}

// page is one opened tab.
type page struct {
	b       *browser
	session string
	url     string
}

// open opens root/rel from the folder in a new tab of the given size and
// waits for it to load.
func (b *browser) open(t *testing.T, root, rel string, width, height int, mobile bool) *page {
	t.Helper()
	var target struct{ TargetID string }
	if err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		t.Fatal(err)
	}
	var att struct{ SessionID string }
	if err := b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		t.Fatal(err)
	}
	p := &page{b: b, session: att.SessionID, url: (&url.URL{Scheme: "file", Path: filepath.Join(root, rel)}).String()}
	for _, m := range []string{"Page.enable", "Network.enable", "Runtime.enable"} {
		if err := b.call(p.session, m, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.call(p.session, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, nil); err != nil {
		t.Fatal(err)
	}
	loaded := make(chan struct{})
	b.mu.Lock()
	b.loaded[p.session] = loaded
	b.mu.Unlock()
	if err := b.call(p.session, "Page.navigate", map[string]any{"url": p.url}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-loaded:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not load in 30 s", rel)
	}
	return p
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func (p *page) eval(t *testing.T, expr string, out any) {
	t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage
		}
		ExceptionDetails *struct{ Text string }
	}
	if err := p.b.call(p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res); err != nil {
		t.Fatal(err)
	}
	if res.ExceptionDetails != nil {
		t.Fatalf("%s: %s", p.url, res.ExceptionDetails.Text)
	}
	if err := json.Unmarshal(res.Result.Value, out); err != nil {
		t.Fatalf("%s: %v: %s", p.url, err, res.Result.Value)
	}
}

// check fails when the page requested anything outside root, or opened a
// dialog (a script ran).
func (p *page) check(t *testing.T, root string) {
	t.Helper()
	prefix := (&url.URL{Scheme: "file", Path: root + "/"}).String()
	p.b.mu.Lock()
	events := p.b.events[p.session]
	p.b.mu.Unlock()
	requests := 0
	for _, e := range events {
		switch e.Method {
		case "Network.requestWillBeSent":
			var r struct{ Request struct{ URL string } }
			json.Unmarshal(e.Params, &r)
			requests++
			if u := r.Request.URL; !strings.HasPrefix(u, prefix) && !strings.HasPrefix(u, "data:") && u != "about:blank" {
				t.Errorf("%s requested %s, outside its folder", p.url, u)
			}
		case "Page.javascriptDialogOpening":
			t.Errorf("%s opened a dialog: a script ran", p.url)
		}
	}
	if requests == 0 {
		t.Errorf("%s: no request seen: the network log is not working", p.url)
	}
}

// screenshot saves the whole page as a PNG.
func (p *page) screenshot(t *testing.T, path string) {
	t.Helper()
	var m struct {
		CSSContentSize struct{ Width, Height float64 }
	}
	if err := p.b.call(p.session, "Page.getLayoutMetrics", nil, &m); err != nil {
		t.Fatal(err)
	}
	var shot struct{ Data string }
	if err := p.b.call(p.session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": m.CSSContentSize.Width, "height": m.CSSContentSize.Height, "scale": 1}}, &shot); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
