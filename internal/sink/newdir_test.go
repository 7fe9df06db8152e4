package sink

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
)

// TestNewDirWhereNoFolderCanBe: a folder that cannot be created is the
// place's fault (configuration, or usage under a file), never a bug.
func TestNewDirWhereNoFolderCanBe(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]int{"/proc/arena-out": exitcode.Config, "/proc/arena/out": exitcode.Config, file + "/sub": exitcode.Usage} {
		if _, err := NewDir(dir); exitcode.Code(err) != want {
			t.Errorf("%s: status %d (%v), want %d", dir, exitcode.Code(err), err, want)
		}
	}
	if Unwritable("/proc") == "" || Unwritable(t.TempDir()) != "" {
		t.Errorf("Unwritable: /proc %q, a temporary folder %q", Unwritable("/proc"), Unwritable(t.TempDir()))
	}
}
