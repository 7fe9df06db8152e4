package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// events parses the job's stdout, one JSON event per line.
func events(t *testing.T, r jobResult) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func named(evs []map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, e := range evs {
		if e["event"] == name {
			out = append(out, e)
		}
	}
	return out
}

// TestJobDeadline: against a database that accepts the connection and
// never answers (with the connect timeout raised past the job's), the
// job's own deadline stops the stages and ends the run as transient, at
// once and without a retry, with an alert.
func TestJobDeadline(t *testing.T) {
	needTools(t)
	silent := faulttest.Silent(t)
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			hook := newWebhook(t, http.StatusOK)
			dir := t.TempDir()
			start := time.Now()
			r := runJob(t, sh, map[string]string{
				"DATABASE_URL":        "postgres://arena@" + silent + "/arena?connect_timeout=120",
				"JOB_TIMEOUT_SECONDS": "2",
				"RETRY_DELAY_SECONDS": "1",
				"SNAPSHOT_DIR":        dir,
				"ALERT_WEBHOOK_URL":   hook.URL,
				"CORRELATION_ID":      "e2e-deadline-" + sh,
			})
			if r.code != 5 {
				t.Errorf("exit %d, want 5\n%s", r.code, r)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("the job took %v with a deadline of 2 s", d)
			}
			if n := len(r.eventsNamed("start")); n != 1 {
				t.Errorf("%d attempts, want 1 (no retry past the deadline)\n%s", n, r)
			}
			e := onlyEvent(t, r, "error")
			if msg, _ := e["error"].(string); !strings.Contains(msg, "JOB_TIMEOUT_SECONDS=2") {
				t.Errorf("error event: %v", e)
			}
			if c := onlyEvent(t, r, "complete"); c["exit_status"] != 5.0 {
				t.Errorf("complete: %v", c)
			}
			for _, f := range listFiles(t, dir) {
				if !strings.HasPrefix(f, "runs/") {
					t.Errorf("published in the folder: %s", f)
				}
			}
			expectOneAlert(t, hook, "e2e-deadline-"+sh, "JOB_TIMEOUT_SECONDS")
		})
	}
	r := runJob(t, "dash", map[string]string{"JOB_TIMEOUT_SECONDS": "soon", "CORRELATION_ID": "e2e-deadline-bad"})
	if r.code != 2 || !strings.Contains(r.stdout, "JOB_TIMEOUT_SECONDS must be a whole number") {
		t.Errorf("JOB_TIMEOUT_SECONDS=soon: %s", r)
	}
}

// TestJobKeepsSecrets: a base64 password (with '/' and '+') in
// DATABASE_URL, a token in the webhook's URL: neither shows in the logs,
// and the webhook's URL is not on curl's command line (ps shows it).
func TestJobKeepsSecrets(t *testing.T) {
	needTools(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl")
	}
	d := t.TempDir()
	argv := filepath.Join(d, "curl.argv")
	writeScript(t, filepath.Join(d, "curl"), `printf '%s\n' "$@" >>`+argv+`
exec `+curl+` "$@"
`)
	hook := newWebhook(t, http.StatusOK)
	port := closedPort(t)
	for _, c := range []struct {
		url, secret string
		code        int
		shown       string
	}{
		// Not a valid URL ('/' in the password): not shown, and the tools
		// refuse it without echoing it.
		{"postgres://arena:c2Vj/cmV0+Zm9v==@127.0.0.1:" + port + "/arena", "c2Vj/cmV0", 2, "not shown"},
		// Percent-encoded: valid, shown without the password.
		{"postgres://arena:c2Vj%2FcmV0%2BZm9v@127.0.0.1:" + port + "/arena?connect_timeout=2", "c2Vj", 5, "arena@127.0.0.1:" + port + "/arena"},
	} {
		r := runJob(t, "dash", map[string]string{
			"PATH":                d + ":" + toolDir + ":/usr/local/bin:/usr/bin:/bin",
			"DATABASE_URL":        c.url,
			"RETRY_DELAY_SECONDS": "0",
			"ALERT_WEBHOOK_URL":   hook.URL + "/hooks/T000/SECRET-TOKEN",
			"CORRELATION_ID":      "e2e-secrets",
		})
		if r.code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s", c.url, r.code, c.code, r)
		}
		if strings.Contains(r.stdout+r.stderr, c.secret) || strings.Contains(r.stdout+r.stderr, "SECRET-TOKEN") {
			t.Errorf("%s: a secret shows in the logs\n%s", c.url, r)
		}
		if db, _ := r.eventsNamed("start")[0]["database"].(string); !strings.Contains(db, c.shown) {
			t.Errorf("%s: start event's database %q, want it to show %q", c.url, db, c.shown)
		}
	}
	if got := len(hook.received()); got != 2 {
		t.Errorf("the webhook received %d alerts, want 2", got)
	}
	b, err := os.ReadFile(argv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "SECRET-TOKEN") || strings.Contains(string(b), "hooks") {
		t.Errorf("the webhook's URL is on curl's command line:\n%s", b)
	}
}

// TestJobAlertEscapesData: a stage message holding chat markup and control
// characters reaches the alert escaped; a crashed stage (a Go panic exits
// 2) is an internal failure, not a usage error.
func TestJobAlertEscapesDataAndCrashes(t *testing.T) {
	needTools(t)
	d := t.TempDir()
	for _, tool := range []string{"battles-export", "snapshot-publish"} {
		if err := os.Symlink(filepath.Join(toolDir, tool), filepath.Join(d, tool)); err != nil {
			t.Fatal(err)
		}
	}
	dbURL := demoDB(t)
	for _, c := range []struct {
		name, rank string
		code       int
		want, not  []string
	}{
		{"markup", `cat >/dev/null; printf '%s\n' '{"level":"ERROR","msg":"stdin:3: category \"<!channel> & <b>x</b>\" \u001b[31m","tool":"rank"}' >&2; exit 3`,
			3, []string{"&lt;!channel&gt; &amp; &lt;b&gt;x&lt;/b&gt;", "\ufffd[31m"}, []string{"<!channel>", "\u001b"}},
		{"panic", `cat >/dev/null; echo 'panic: runtime error: index out of range [3] with length 3' >&2; echo 'goroutine 1 [running]:' >&2; exit 2`,
			1, []string{"rank crashed (internal failure): panic: runtime error: index out of range"}, []string{"usage error"}},
		{"out of memory", `cat >/dev/null; echo 'fatal error: out of memory' >&2; exit 2`,
			1, []string{"rank crashed (internal failure): fatal error: out of memory"}, []string{"usage error"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			writeScript(t, filepath.Join(d, "rank"), c.rank)
			hook := newWebhook(t, http.StatusOK)
			r := runShell(t, "dash", map[string]string{
				"PATH":              d + ":/usr/local/bin:/usr/bin:/bin",
				"DATABASE_URL":      dbURL,
				"ALERT_WEBHOOK_URL": hook.URL,
				"CORRELATION_ID":    "e2e-escape",
			}, "scripts/entrypoint.sh")
			if r.code != c.code {
				t.Errorf("exit %d, want %d\n%s", r.code, c.code, r)
			}
			got := hook.received()
			if len(got) != 1 {
				t.Fatalf("%d alerts\n%s", len(got), r)
			}
			text, _ := got[0]["text"].(string)
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("alert %q lacks %q", text, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(text, w) {
					t.Errorf("alert %q holds %q", text, w)
				}
			}
			if errs := named(events(t, r), "error"); len(errs) != 1 || errs[0]["exit_status"] != float64(c.code) {
				t.Errorf("error events: %v", errs)
			}
		})
	}
}
