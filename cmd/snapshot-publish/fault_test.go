package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// A database or an S3 endpoint that accepts the connection and never
// answers: the run ends, transient, within the timeouts, and publishes
// nothing anywhere.
func TestPublishAgainstSilentServers(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("..", "..", "testdata", "leaderboards", "valid.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	t.Setenv("S3_TIMEOUT_SECONDS", "1")
	silent := faulttest.Silent(t)
	for name, args := range map[string][]string{
		"database": {"--db", "--database-url", "postgres://arena@" + silent + "/arena?connect_timeout=1"},
		"s3":       {"--s3", "s3://arena/lb", "--s3-endpoint", "http://" + silent, "--s3-path-style"},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := run(context.Background(), append(append([]string{"snapshot-publish"}, args...), "--dir", dir),
			bytes.NewReader(input), &stdout, &stderr)
		if code != exitcode.Transient {
			t.Errorf("%s: exit %d, want %d: %s", name, code, exitcode.Transient, stderr.String())
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%s: published %v", name, entries)
		}
		if strings.Contains(stdout.String(), `"published"`) {
			t.Errorf("%s: %s", name, stdout.String())
		}
	}
}

// mountTmpfs mounts a tmpfs of options at a new folder and unmounts it
// when t ends; it skips t where mounting is not allowed (not root).
func mountTmpfs(t *testing.T, options string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// A read-only folder and a full disk are configuration (4): a person must
// act, a retry would not help; a run that published nothing is never
// partial (6).
func TestPublishToUnwritableFolders(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("..", "..", "testdata", "leaderboards", "valid.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	readOnly := mountTmpfs(t, "size=1m")
	os.Mkdir(filepath.Join(readOnly, "out"), 0o755)
	if out, err := exec.Command("mount", "-o", "remount,ro", readOnly).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only: %v %s", err, out)
	}
	full := mountTmpfs(t, "size=64k")
	filler, _ := os.Create(filepath.Join(full, "filler"))
	filler.Write(make([]byte, 1<<20)) // fails when the disk is full, as meant
	filler.Close()
	for name, dir := range map[string]string{
		"read-only folder": filepath.Join(readOnly, "out"),
		"read-only, new":   filepath.Join(readOnly, "new", "out"),
		"full disk":        filepath.Join(full, "out"),
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"snapshot-publish", "--dir", dir}, bytes.NewReader(input), &stdout, &stderr)
		if code != exitcode.Config {
			t.Errorf("%s: exit %d, want %d\n%s%s", name, code, exitcode.Config, stdout.String(), stderr.String())
		}
		if strings.Contains(stdout.String(), `"status":"published"`) {
			t.Errorf("%s: %s", name, stdout.String())
		}
	}
}
