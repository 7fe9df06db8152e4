// Package faulttest starts servers that misbehave, on 127.0.0.1 only, for
// fault tests: a free port, which refuses connections, one that accepts them and
// never answers, one that hangs up at once, one that answers in another
// protocol, one that refuses TLS the way PostgreSQL does. Each stops when its test ends.
// Panics checks that a panic of another goroutine reaches the caller's.
package faulttest

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
)

// FreePort returns a 127.0.0.1 port that nothing listens on (one that
// was free a moment ago): a connection there is refused, and a server a
// test starts may take it.
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return strconv.Itoa(port)
}

// Silent listens on a free 127.0.0.1 port, accepts every connection and
// never writes a byte (it reads and discards what comes), and returns its
// address (host:port).
func Silent(t testing.TB) string {
	return serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// RefusesTLS listens on a free 127.0.0.1 port and answers a PostgreSQL
// SSLRequest with 'N' (no TLS here), as a server without TLS does, then
// stays silent; it returns its address.
func RefusesTLS(t testing.TB) string {
	return serve(t, func(c net.Conn) {
		var req [8]byte
		if _, err := io.ReadFull(c, req[:]); err != nil {
			return
		}
		c.Write([]byte{'N'})
		io.Copy(io.Discard, c)
	})
}

// Hangup listens on a free 127.0.0.1 port and closes every connection as
// soon as it comes; it returns its address.
func Hangup(t testing.TB) string {
	return serve(t, func(c net.Conn) { c.Close() })
}

// NotHTTP listens on a free 127.0.0.1 port, reads the head of a request
// and answers with the banner of another protocol (an SSH server's), then
// hangs up; it returns its address.
func NotHTTP(t testing.TB) string {
	return serve(t, func(c net.Conn) {
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
	})
}

// Panics runs f, which must panic with the *exitcode.Panicked of a panic
// raised in another goroutine (exitcode.Group), and returns it; the stack
// it carries must be that goroutine's, naming where (a function name).
func Panics(t testing.TB, where string, f func()) (p *exitcode.Panicked) {
	t.Helper()
	defer func() {
		v := recover()
		var ok bool
		if p, ok = v.(*exitcode.Panicked); !ok {
			t.Fatalf("panic %v (%T), want an *exitcode.Panicked", v, v)
		}
		if !strings.Contains(string(p.Stack), where) {
			t.Errorf("the stack does not name %s:\n%s", where, p.Stack)
		}
	}()
	f()
	return nil
}

func serve(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go handle(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}
