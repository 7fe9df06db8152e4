package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	s3Access = "arenatestaccess"
	s3Secret = "arenatestsecret0123456789"
	s3Bucket = "arena-e2e"
)

// s3Server is a versitygw instance with the posix backend: bucket B's
// objects are the files under dir/B.
type s3Server struct {
	endpoint string
	dir      string
}

// env returns the variables that point the job's S3 client at the server.
func (s *s3Server) env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     s3Access,
		"AWS_SECRET_ACCESS_KEY": s3Secret,
		"AWS_REGION":            "us-east-1",
		"AWS_ENDPOINT_URL_S3":   s.endpoint,
		"AWS_ENDPOINT_URL":      s.endpoint,
		"AWS_S3_USE_PATH_STYLE": "true",
		"S3_PATH_STYLE":         "true",
	}
}

// objects returns the keys of the bucket's objects, sorted.
func (s *s3Server) objects(t *testing.T) []string {
	t.Helper()
	return listFiles(t, filepath.Join(s.dir, s3Bucket))
}

func (s *s3Server) read(t *testing.T, key string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, s3Bucket, key))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func versitygwPath() string {
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p
	}
	cands := []string{filepath.Join(root, ".cache/bin/versitygw")}
	if home, err := os.UserHomeDir(); err == nil {
		cands = append(cands, filepath.Join(home, "go/bin/versitygw"))
	}
	for _, c := range cands {
		if fi, err := os.Stat(c); err == nil && fi.Mode()&0o111 != 0 {
			return c
		}
	}
	p, _ := exec.LookPath("versitygw")
	return p
}

// startS3 starts versitygw on a free 127.0.0.1 port with an empty bucket,
// stopped when t ends. It skips t when versitygw is not installed.
func startS3(t *testing.T) *s3Server {
	t.Helper()
	bin := versitygwPath()
	if bin == "" {
		t.Skip("versitygw is not installed (scripts/test.sh builds it and sets VERSITYGW)")
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--access", s3Access, "--secret", s3Secret, "--port", addr, "--quiet", "posix", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	s := &s3Server{endpoint: "http://" + addr, dir: dir}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.endpoint)
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw does not answer on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s3Access, s3Secret, ""),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return s
}

func (s *s3Server) uri(prefix string) string { return fmt.Sprintf("s3://%s/%s", s3Bucket, prefix) }
