package publish

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
)

// failingWriter refuses every write with err, as a stdout whose reader
// quit (EPIPE) or on a full disk (ENOSPC) does.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: "/dev/stdout", Err: w.err}
}

// A stdout that cannot take the summary stops nothing: every leaderboard,
// index.json and the site are written, and then the run says the summary
// was lost, with the write's status (141 for a reader that quit, 4 for a
// full disk); the same for --record-run.
func TestLostSummaryPublishesEverything(t *testing.T) {
	for _, tc := range []struct {
		errno syscall.Errno
		code  int
	}{{syscall.EPIPE, exitcode.BrokenPipe}, {syscall.ENOSPC, exitcode.Config}} {
		t.Run(tc.errno.Error(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			var stderr bytes.Buffer
			log := clix.NewLogger("snapshot-publish", &stderr, func(string) string { return "" })
			err := Run(context.Background(), Options{Dir: dir, Now: clockAt(t0)},
				strings.NewReader(fixture(t, "valid.ndjson")), failingWriter{tc.errno}, log)
			if exitcode.Code(err) != tc.code || !strings.Contains(fmt.Sprint(err), "the summary lines could not be written") {
				t.Errorf("exit %d (%v), want %d", exitcode.Code(err), err, tc.code)
			}
			for _, f := range []string{"index.json", "index.html", "overall/latest.json", "overall/index.html", "genomics/latest.json"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}

			run := filepath.Join(t.TempDir(), "run.json")
			if err := os.WriteFile(run, []byte(runRecord+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			err = RecordRun(context.Background(), Options{Dir: dir, Now: clockAt(t0)}, run, nil, failingWriter{tc.errno}, log)
			if exitcode.Code(err) != tc.code {
				t.Errorf("--record-run: exit %d (%v), want %d", exitcode.Code(err), err, tc.code)
			}
			if files, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "job-7.json")); len(files) != 1 {
				t.Errorf("--record-run: the run record is not stored (%v)", files)
			}
		})
	}
}
