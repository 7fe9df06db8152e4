package main

import (
	"bytes"
	"context"
	"os"
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
