package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/s3test"
)

// s3Server is an S3-compatible server (internal/s3test) whose posix
// backend keeps bucket B's objects as the files under Dir/B.
type s3Server struct {
	*s3test.Server
}

// startS3 starts a server with an empty bucket, stopped when t ends; it
// skips t without versitygw.
func startS3(t *testing.T) *s3Server {
	t.Helper()
	return &s3Server{s3test.Start(t)}
}

// env returns the variables that point the job's S3 client at the server.
func (s *s3Server) env() map[string]string {
	out := map[string]string{}
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	out["SNAPSHOT_S3_PATH_STYLE"] = "true"
	return out
}

// bucketDir is the folder holding the bucket's objects.
func (s *s3Server) bucketDir() string { return filepath.Join(s.Dir, s.Bucket) }

// objects returns the keys of the bucket's objects, sorted.
func (s *s3Server) objects(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, k := range listFiles(t, s.bucketDir()) {
		if !strings.HasPrefix(filepath.Base(k), ".") { // backend metadata, if any
			out = append(out, k)
		}
	}
	return out
}

func (s *s3Server) uri(prefix string) string { return "s3://" + s.Bucket + "/" + prefix }

func init() {
	// Outside scripts/test.sh, find a versitygw installed with go install.
	if os.Getenv(s3test.EnvVar) == "" {
		if home, err := os.UserHomeDir(); err == nil {
			p := filepath.Join(home, "go/bin/versitygw")
			if _, err := os.Stat(p); err == nil {
				os.Setenv(s3test.EnvVar, p)
			}
		}
	}
}
