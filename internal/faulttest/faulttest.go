// Package faulttest starts servers that misbehave, on 127.0.0.1 only, for
// fault tests: one that accepts connections and never answers, one that
// refuses TLS the way PostgreSQL does. Each stops when its test ends.
package faulttest

import (
	"io"
	"net"
	"sync"
	"testing"
)

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
