// Package s3test gives tests their own S3-compatible server: a versitygw
// process on a free 127.0.0.1 port serving a temporary folder, with one
// bucket created, stopped when the test ends.
//
// The binary is named by the VERSITYGW variable, else found as versitygw
// on PATH; without it, tests that need S3 skip with that reason.
// scripts/test.sh builds it and sets VERSITYGW, so nothing is skipped there.
package s3test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// EnvVar names the variable holding the versitygw binary's path.
const EnvVar = "VERSITYGW"

// Server is a running versitygw.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	SecretKey string
	Region    string
	Bucket    string
	Dir       string // the posix backend's folder

	cmd    *exec.Cmd
	done   chan struct{}
	stderr *bytes.Buffer
	once   sync.Once
}

// Start starts a server with a bucket named "arena" and stops it when t
// ends; it skips t when no versitygw binary is available.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := os.Getenv(EnvVar)
	if bin == "" {
		p, err := exec.LookPath("versitygw")
		if err != nil {
			t.Skipf("%s is not set and versitygw is not on PATH: no S3 server to test against (scripts/test.sh builds one)", EnvVar)
		}
		bin = p
	}
	s := &Server{AccessKey: "arenatestkey", SecretKey: "arenatestsecret0123456789", Region: "us-east-1",
		Bucket: "arena", Dir: t.TempDir(), done: make(chan struct{}), stderr: new(bytes.Buffer)}
	addr := "127.0.0.1:" + faulttest.FreePort(t)
	s.Endpoint = "http://" + addr
	s.cmd = exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--port", addr, "posix", s.Dir)
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)

	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-s.done:
			t.Fatalf("versitygw exited: %s", s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw does not answer on %s: %s", addr, s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return s
}

// Stop stops the server (once; later calls do nothing).
func (s *Server) Stop() {
	s.once.Do(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
}

// Env returns the environment variables that point the AWS SDK at the
// server: credentials, region and AWS_ENDPOINT_URL_S3.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + s.Region,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Client returns an S3 client for the server (path-style addressing).
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		UsePathStyle: true,
	})
}
