// Package redistest gives tests their own Redis: a redis-server process on
// a free 127.0.0.1 port with a temporary folder and no persistence,
// stopped when the test ends. It never touches another Redis (not the one
// a machine may run on 6379).
//
// The binary is named by the REDIS_SERVER variable, else found as
// redis-server on PATH; without it, tests that need Redis skip with that
// reason.
package redistest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// EnvVar names the variable holding redis-server's path.
const EnvVar = "REDIS_SERVER"

// Server is a running redis-server.
type Server struct {
	Addr string // 127.0.0.1:PORT
	URL  string // redis://127.0.0.1:PORT/0

	cmd    *exec.Cmd
	done   chan struct{}
	output *bytes.Buffer
	once   sync.Once
}

// Start starts a server and stops it when t ends; it skips t when no
// redis-server binary is available.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := os.Getenv(EnvVar)
	if bin == "" {
		p, err := exec.LookPath("redis-server")
		if err != nil {
			t.Skipf("%s is not set and redis-server is not on PATH: no Redis to test against", EnvVar)
		}
		bin = p
	}
	port := faulttest.FreePort(t)
	s := &Server{Addr: "127.0.0.1:" + port, done: make(chan struct{}), output: new(bytes.Buffer)}
	s.URL = "redis://" + s.Addr + "/0"
	s.cmd = exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--dir", t.TempDir(),
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)

	c := s.Client()
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("redis-server exited: %s", s.output)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server does not answer on %s: %v\n%s", s.Addr, err, s.output)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Client returns a client of the server; close it after use.
func (s *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr, DialTimeout: time.Second, MaxRetries: -1})
}

// Set stores each "KEY=VALUE" pair.
func (s *Server) Set(t testing.TB, pairs ...string) {
	t.Helper()
	c := s.Client()
	defer c.Close()
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		if err := c.Set(context.Background(), k, v, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// Keys returns every key of the server's database 0 (for small test
// databases).
func (s *Server) Keys(t testing.TB) []string {
	t.Helper()
	c := s.Client()
	defer c.Close()
	keys, err := c.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// Stop stops the server (once; later calls do nothing).
func (s *Server) Stop() {
	s.once.Do(func() {
		s.cmd.Process.Kill()
		<-s.done
	})
}
