package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/bixarena/arena-snapshots/internal/scripttest"
	"github.com/bixarena/arena-snapshots/internal/synth"
)

// TestJobChecksSettingsFirst: a bad setting of any stage stops the job
// before the export starts (no stage logs a start), with status 2 and an
// error naming the variable or the argument.
func TestJobChecksSettingsFirst(t *testing.T) {
	needTools(t)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		env   map[string]string
		args  []string
		stage string
		says  string
	}{
		{map[string]string{"SNAPSHOT_S3_URI": "http://x"}, nil, "publish", "SNAPSHOT_S3_URI"},
		{map[string]string{"SNAPSHOT_DIR": file}, nil, "publish", "SNAPSHOT_DIR"},
		{map[string]string{"SNAPSHOT_DIR": file + "/sub"}, nil, "publish", "SNAPSHOT_DIR"},
		{map[string]string{"SNAPSHOT_S3_URI": "s3://b/p", "AWS_ENDPOINT_URL_S3": "localhost:9000"}, nil, "publish", "AWS_ENDPOINT_URL_S3"},
		{map[string]string{"NUM_BOOTSTRAP": "lots"}, nil, "rank", "NUM_BOOTSTRAP"},
		{map[string]string{"SIGNIFICANT": "yes"}, nil, "rank", "SIGNIFICANT"},
		{map[string]string{"MIN_TOTAL_MODELS": "-4"}, nil, "rank", "MIN_TOTAL_MODELS"},
		{map[string]string{"MIN_EVALS": "0x10"}, nil, "rank", "MIN_EVALS"},
		{map[string]string{"NUM_BOOTSTRAP": "0b11"}, nil, "rank", "NUM_BOOTSTRAP"},
		{map[string]string{"SNAPSHOT_DIR": t.TempDir(), "S3_TIMEOUT_SECONDS": "0o17"}, nil, "publish", "S3_TIMEOUT_SECONDS"},
		{map[string]string{"REDIS_TIMEOUT_SECONDS": "1_0"}, nil, "publish", "REDIS_TIMEOUT_SECONDS"},
		{nil, []string{"--bootstrp", "10"}, "rank", "unknown flag --bootstrp"},
		{map[string]string{"DATABASE_URL": "", "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "five"}, nil, "export", "POSTGRES_PORT"},
		{map[string]string{"DATABASE_URL": "postgres://u:s3cret@[x"}, nil, "export", "DATABASE_URL"},
	} {
		sh := shells[i%len(shells)]
		t.Run(c.says+"/"+sh, func(t *testing.T) {
			env := merge(map[string]string{
				// A database that answers nothing: the checks come first.
				"DATABASE_URL":        "postgres://arena@127.0.0.1:" + closedPort(t) + "/arena",
				"RETRY_DELAY_SECONDS": "0",
			}, c.env)
			start := time.Now()
			r := runJob(t, sh, env, c.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2\n%s", r.code, r)
			}
			e := onlyEvent(t, r, "error")
			if msg, _ := e["error"].(string); e["stage"] != c.stage || !strings.Contains(msg, c.says) {
				t.Errorf("error event %v, want stage %s saying %q", e, c.stage, c.says)
			}
			if strings.Contains(r.stderr, `"msg":"start"`) {
				t.Errorf("a stage started before the settings were checked\n%s", r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "s3cret") {
				t.Errorf("the password appears in the logs")
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("the job took %v to refuse a setting", took)
			}
		})
	}
}

// refusedBeforeStart checks a job refused with status 2 and an error
// saying says, before it started anything.
func refusedBeforeStart(t *testing.T, r jobResult, says string) {
	t.Helper()
	if r.code != 2 {
		t.Errorf("exit %d, want 2\n%s", r.code, r)
	}
	if e := onlyEvent(t, r, "error"); !strings.Contains(e["error"].(string), says) {
		t.Errorf("the error does not say %s: %v", says, e)
	}
	if len(r.eventsNamed("start")) != 0 {
		t.Errorf("the job started\n%s", r)
	}
}

// TestJobOwnVariables: the job's own whole numbers read in decimal, as the
// tools' do: "010" is ten (sh arithmetic would read octal), a base prefix
// is refused naming the variable, before anything runs; so is a
// LOG_FORMAT other than json.
func TestJobOwnVariables(t *testing.T) {
	needTools(t)
	for i, c := range []struct {
		name, value string
	}{
		{"RETRY_DELAY_SECONDS", "0x5"},
		{"JOB_TIMEOUT_SECONDS", "0b1"},
		{"JOB_TIMEOUT_SECONDS", "000"},
		{"LOG_FORMAT", "xml"},
		{"LOG_FORMAT", "text"},
	} {
		sh := shells[i%len(shells)]
		t.Run(c.name+"="+c.value+"/"+sh, func(t *testing.T) {
			refusedBeforeStart(t, runJob(t, sh, map[string]string{
				"DATABASE_URL": "postgres://arena@127.0.0.1:" + closedPort(t) + "/arena",
				c.name:         c.value,
			}), c.name)
		})
	}
	// Leading zeros: ten seconds, not eight; the run goes on (to a
	// database that is not there).
	r := runJob(t, shells[0], map[string]string{
		"DATABASE_URL":        "postgres://arena@127.0.0.1:" + closedPort(t) + "/arena",
		"JOB_TIMEOUT_SECONDS": "010",
		"RETRY_DELAY_SECONDS": "00",
	})
	starts := r.eventsNamed("start")
	if len(starts) == 0 || starts[0]["job_timeout_seconds"] != 10.0 || starts[0]["retry_delay_seconds"] != 0.0 {
		t.Errorf("start events %v, want job_timeout_seconds 10 and retry_delay_seconds 0\n%s", starts, r)
	}
}

// TestJobChecksCorrelationID: an id that cannot name the run's record is
// refused with the other settings, before anything runs, and nothing is
// written to the places.
func TestJobChecksCorrelationID(t *testing.T) {
	needTools(t)
	for i, id := range []string{"a b/c", "../runs", "-x", ".hidden", "r\u00e9sum\u00e9", strings.Repeat("a", 129), "a\nb", "q\"uote\\d\ttab"} {
		sh := shells[i%len(shells)]
		t.Run(sh, func(t *testing.T) {
			dir := t.TempDir()
			r := runJob(t, sh, map[string]string{
				"DATABASE_URL":   "postgres://arena@127.0.0.1:" + closedPort(t) + "/arena",
				"SNAPSHOT_DIR":   dir,
				"CORRELATION_ID": id,
			})
			if r.code != 2 {
				t.Errorf("%q: exit %d, want 2\n%s", id, r.code, r)
			}
			e := onlyEvent(t, r, "error")
			if !strings.Contains(e["error"].(string), "CORRELATION_ID") {
				t.Errorf("%q: the error does not name CORRELATION_ID: %v", id, e)
			}
			if e["correlation_id"] != id {
				t.Errorf("the error's correlation_id %q, want %q intact", e["correlation_id"], id)
			}
			if len(r.eventsNamed("start")) != 0 || len(r.eventsNamed("run_record_failed")) != 0 {
				t.Errorf("%q: the job went on\n%s", id, r)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%q: %d entries written to SNAPSHOT_DIR", id, len(entries))
			}
		})
	}
}

// TestJobRefusesRankArgs: arguments that would break the pipe (rank's
// output not NDJSON, rank not reading the export) are refused before
// anything runs, naming the argument; others go through.
func TestJobRefusesRankArgs(t *testing.T) {
	needTools(t)
	for i, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--format", "csv"}, `"--format csv"`},
		{[]string{"--seed", "7", "--format=table"}, `"--format=table"`},
		{[]string{"-format", "Table"}, `"--format Table"`},
		{[]string{"--significant", "battles.ndjson"}, `"battles.ndjson"`},
		{[]string{"--seed", "7", "-"}, `"-"`},
		{[]string{"--", "--seed"}, `"--"`},
		{[]string{"--seed", "1", "--help"}, `"--help"`},
		{[]string{"--version"}, `"--version"`},
		{[]string{"--check-settings"}, `"--check-settings"`},
		{[]string{"--style-control"}, "STYLE_CONTROL=true"},
		{[]string{"--pairs", "--format"}, `"--format"`},
	} {
		sh := shells[i%len(shells)]
		t.Run(strings.Join(c.args, " ")+"/"+sh, func(t *testing.T) {
			refusedBeforeStart(t, runJob(t, sh, map[string]string{
				"DATABASE_URL": "postgres://arena@127.0.0.1:" + closedPort(t) + "/arena",
			}, c.args...), c.says)
		})
	}
	// Flags that keep the pipe whole go through to rank (which then
	// meets a database that is not there: transient).
	r := runJob(t, shells[0], map[string]string{
		"DATABASE_URL":        "postgres://arena@127.0.0.1:" + closedPort(t) + "/arena",
		"RETRY_DELAY_SECONDS": "0",
	}, "--format", "ndjson", "--leaderboard", "genomics", "--significant", "--pairs", "--format=ndjson", "--seed=3")
	if r.code != 5 {
		t.Errorf("exit %d, want 5 (the database is not there)\n%s", r.code, r)
	}
}

// TestJobKnowsRankFlags: the job's list of rank's flags that take no
// value (RANK_BOOL_FLAGS in the entrypoint) is rank's.
func TestJobKnowsRankFlags(t *testing.T) {
	needTools(t)
	help, err := exec.Command(filepath.Join(toolDir, "rank"), "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	_, options, _ := strings.Cut(string(help), "GLOBAL OPTIONS:")
	for _, line := range strings.Split(options, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "--") {
			continue
		}
		// "--bootstrap ROUNDS  ..." takes a value; "--pairs  ..." and
		// "--help, -h  ..." do not.
		names := []string{strings.TrimSuffix(f[0], ",")}
		if strings.HasSuffix(f[0], ",") && len(f) > 1 {
			names = append(names, f[1])
		} else if len(f) > 1 && f[1] == strings.ToUpper(f[1]) && strings.Trim(f[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == "" {
			continue
		}
		for _, n := range names {
			want = append(want, strings.TrimLeft(n, "-"))
		}
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "entrypoint.sh"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(script), "\nRANK_BOOL_FLAGS=\"")
	list, _, _ := strings.Cut(rest, "\"")
	got := strings.Fields(list)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("RANK_BOOL_FLAGS %q, rank --help's flags without a value %q", got, want)
	}
}

// TestJobDocumentsEveryVariable: every variable a tool reads (its --help
// names it in brackets) is in the job's usage and in docs/job.md, since the
// job passes them all through to the stages.
func TestJobDocumentsEveryVariable(t *testing.T) {
	needTools(t)
	usage, err := exec.Command("sh", filepath.Join(root, "scripts", "entrypoint.sh"), "--help").Output()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "job.md"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	for _, tool := range []string{"battles-export", "rank", "snapshot-publish"} {
		help, err := exec.Command(filepath.Join(toolDir, tool), "--help").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\[\$([A-Z0-9_, $]+)\]`).FindAllStringSubmatch(string(help), -1) {
			for _, v := range strings.Split(m[1], ",") {
				vars[strings.TrimPrefix(strings.TrimSpace(v), "$")] = true
			}
		}
	}
	if len(vars) < 10 {
		t.Fatalf("only %d variables found in the tools' --help", len(vars))
	}
	for v := range vars {
		if !strings.Contains(string(usage), v) {
			t.Errorf("entrypoint.sh --help does not name %s", v)
		}
		if !strings.Contains(string(doc), "`"+v+"`") {
			t.Errorf("docs/job.md does not name %s", v)
		}
	}
}

// slowExport installs, in a new folder put first on PATH, a battles-export
// that streams a synthetic file (100 models, so that rank's bootstrap
// lasts), for the job to be stopped while rank runs.
func slowExport(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	in := filepath.Join(d, "battles.ndjson")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(f, synth.Options{Battles: 50_000, Models: 100, Ties: 0.1, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	writeScript(t, filepath.Join(d, "battles-export"), `case "$*" in *--check-settings*) exit 0 ;; esac
exec cat `+in+"\n")
	return d
}

// TestJobPassesSignalOn: SIGINT to the job while rank bootstraps reaches
// rank as SIGINT; rank and the job end with 130 within a second or two,
// and nothing is published.
func TestJobPassesSignalOn(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	dir := t.TempDir()
	env := merge(baseEnv(t), map[string]string{
		"PATH":          slowExport(t) + ":" + toolDir + ":/usr/bin:/bin",
		"DATABASE_URL":  dbURL,
		"SNAPSHOT_DIR":  dir,
		"NUM_BOOTSTRAP": "5000",
	})
	for _, sh := range shells {
		t.Run(sh, func(t *testing.T) {
			cmd := exec.Command(sh, "scripts/entrypoint.sh", "--threads", "1")
			cmd.Dir = root
			for k, v := range env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var stdout strings.Builder
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			// rank says when it has read its input: the rounds start.
			read := make(chan struct{})
			ended := make(chan string, 1)
			go func() {
				b := make([]byte, 4096)
				var all strings.Builder
				unread := read
				for {
					n, err := stderr.Read(b)
					all.Write(b[:n])
					if unread != nil && strings.Contains(all.String(), `"event":"read"`) {
						close(unread)
						unread = nil
					}
					if err != nil {
						ended <- all.String()
						return
					}
				}
			}()
			select {
			case <-read:
			case l := <-ended:
				cmd.Wait()
				t.Fatalf("the job ended before rank read its input\n%s\n%s", stdout.String(), l)
			case <-time.After(60 * time.Second):
				t.Fatal("rank never read its input")
			}
			time.Sleep(300 * time.Millisecond)
			sent := time.Now()
			cmd.Process.Signal(syscall.SIGINT)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("the job did not stop on SIGINT\n%s", stdout.String())
			}
			if took := time.Since(sent); took > 2*time.Second {
				t.Errorf("the job took %v to stop", took)
			}
			logsText := <-ended
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Errorf("exit %d, want 130\n%s", code, stdout.String())
			}
			if !strings.Contains(logsText, `"msg":"stopped by SIGINT","tool":"rank"`) {
				t.Errorf("rank was not stopped by SIGINT:\n%s", logsText)
			}
			if !strings.Contains(stdout.String(), "stopped by SIGINT") {
				t.Errorf("no error event naming the signal\n%s", stdout.String())
			}
			if f := publishedFiles(listFiles(t, dir)); len(f) != 0 {
				t.Errorf("files in the folder: %v", f)
			}
			if n := countSnapshots(t, dbURL); n != 0 {
				t.Errorf("%d snapshots published", n)
			}
		})
	}
}

// TestOneProgressLineInAPipe: "battles-export | rank" typed on a terminal
// (both stages' stderr on it): only rank, the last stage, draws, while the
// export's query waits; the export alone into a file draws its spinner.
func TestOneProgressLineInAPipe(t *testing.T) {
	needTools(t)
	dbURL := demoDB(t)
	// The export's query waits behind a lock for a second, so that a
	// stage that should not draw has the time to.
	hold := func(t *testing.T) {
		time.AfterFunc(1200*time.Millisecond, pgtest.Lock(t, dbURL, "api.battle_evaluation"))
	}
	onTerminal := func(t *testing.T, script string) string {
		t.Helper()
		return scripttest.OnPTY(t, func(tty *os.File) {
			out := t.TempDir()
			cmd := exec.Command("bash", "-c", script)
			cmd.Dir = out
			cmd.Env = []string{"PATH=" + toolDir + ":/usr/bin:/bin", "DATABASE_URL=" + dbURL, "HOME=" + out}
			cmd.Stderr = tty
			if err := cmd.Run(); err != nil {
				t.Errorf("%s: %v", script, err)
			}
		})
	}

	t.Run("pipe", func(t *testing.T) {
		hold(t)
		screen := onTerminal(t, "set -o pipefail; battles-export --aggregate | rank --bootstrap 20 > boards.ndjson")
		if !strings.Contains(screen, "rank: reading stdin") {
			t.Errorf("rank drew nothing while it waited; the terminal showed %q", screen)
		}
		if strings.Contains(screen, "battles-export:") {
			t.Errorf("battles-export drew in the middle of a pipe: %q", screen)
		}
		if _, err := scripttest.ProgressFrames(screen); err != nil {
			t.Errorf("more than one line: %v", err)
		}
	})
	t.Run("alone", func(t *testing.T) {
		hold(t)
		screen := onTerminal(t, "battles-export --aggregate > battles.ndjson")
		if !strings.Contains(screen, "battles-export: querying the database  ⠙  0s") {
			t.Errorf("no spinner while the query waited; the terminal showed %q", screen)
		}
	})
}
