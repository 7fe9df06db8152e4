package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// A database that accepts the connection and never answers: the export
// ends within its connect timeout, transient, writing nothing; and a
// server without TLS under sslmode=require is configuration.
func TestExportAgainstFaultyServers(t *testing.T) {
	for _, c := range []struct {
		name, addr, params string
		want               int
	}{
		{"silent", faulttest.Silent(t), "connect_timeout=1", exitcode.Transient},
		{"no TLS", faulttest.RefusesTLS(t), "connect_timeout=2&sslmode=require", exitcode.Config},
	} {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := run(context.Background(), []string{"battles-export", "--database-url",
			"postgres://arena:c2Vj%2FcmV0%2BZm9v@" + c.addr + "/arena?" + c.params}, strings.NewReader(""), &stdout, &stderr)
		if code != c.want {
			t.Errorf("%s: exit %d, want %d: %s", c.name, code, c.want, stderr.String())
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("%s: took %v", c.name, d)
		}
		if stdout.Len() > 0 {
			t.Errorf("%s: wrote %q", c.name, stdout.String())
		}
		if strings.Contains(stderr.String(), "c2Vj") {
			t.Errorf("%s: the password shows: %s", c.name, stderr.String())
		}
	}
}
