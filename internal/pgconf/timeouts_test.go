package pgconf

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

func TestDefaultTimeouts(t *testing.T) {
	t.Setenv("PGCONNECT_TIMEOUT", "")
	t.Setenv("PGOPTIONS", "")
	cfg, err := Config("postgres://u@h/db")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnectTimeout != DefaultConnectTimeout {
		t.Errorf("connect timeout %v, want %v", cfg.ConnectTimeout, DefaultConnectTimeout)
	}
	for name, want := range map[string]string{"statement_timeout": "300000", "lock_timeout": "30000", "idle_in_transaction_session_timeout": "300000"} {
		if got := cfg.RuntimeParams[name]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// The standard ways win.
	t.Setenv("PGCONNECT_TIMEOUT", "3")
	cfg, _ = Config("postgres://u@h/db?statement_timeout=2min&lock_timeout=5s")
	if cfg.ConnectTimeout != 3*time.Second || cfg.RuntimeParams["statement_timeout"] != "2min" || cfg.RuntimeParams["lock_timeout"] != "5s" {
		t.Errorf("settings from PGCONNECT_TIMEOUT and the URL: %v %v", cfg.ConnectTimeout, cfg.RuntimeParams)
	}
	cfg, _ = Config("postgres://u@h/db?connect_timeout=0")
	if cfg.ConnectTimeout != DefaultConnectTimeout {
		t.Errorf("connect_timeout=0 (forever) gives %v, want the default", cfg.ConnectTimeout)
	}
	t.Setenv("PGOPTIONS", "-c statement_timeout=1h")
	cfg, _ = Config("postgres://u@h/db")
	if _, set := cfg.RuntimeParams["statement_timeout"]; set {
		t.Errorf("statement_timeout set beside PGOPTIONS: %v", cfg.RuntimeParams)
	}
	if _, err := Config("postgres://u@h/db?statement_timeout=soon"); exitcode.Code(err) != exitcode.Usage || strings.Contains(err.Error(), "u@h") {
		t.Errorf("bad statement_timeout: %v", err)
	}
	for in, want := range map[string]int64{"1500": 1500, "2s": 2000, "1.5 min": 90000, "1h": 3600000, "0": 0} {
		if got, err := parseMillis(in); err != nil || got != want {
			t.Errorf("parseMillis(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

// A server that accepts the connection and never answers: connecting
// fails within the connect timeout, as a transient error.
func TestConnectToSilentServer(t *testing.T) {
	addr := faulttest.Silent(t)
	for _, mode := range []string{"disable", "prefer", "require"} {
		cfg, err := Config("postgres://arena:s3cret@" + addr + "/arena?connect_timeout=1&sslmode=" + mode)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = Connect(context.Background(), cfg)
		if exitcode.Code(err) != exitcode.Transient {
			t.Errorf("sslmode=%s: %v, want a transient error", mode, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("sslmode=%s: connecting took %v with connect_timeout=1", mode, d)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the password shows: %v", err)
		}
	}
}

// sslmode=require against a server without TLS is configuration, not a
// failure worth a retry.
func TestTLSRefusedIsConfiguration(t *testing.T) {
	addr := faulttest.RefusesTLS(t)
	cfg, err := Config("postgres://arena@" + addr + "/arena?connect_timeout=2&sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Connect(context.Background(), cfg)
	if exitcode.Code(err) != exitcode.Config || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("TLS refused: status %d, %v; want %d", exitcode.Code(err), err, exitcode.Config)
	}
}

// A certificate that does not verify is configuration too (the test
// server's certificate is self-signed).
func TestCertificateFailureIsConfiguration(t *testing.T) {
	admin := pgtest.AdminURL(t)
	conn := pgtest.Connect(t, admin)
	var ssl string
	if err := conn.QueryRow(context.Background(), "SHOW ssl").Scan(&ssl); err != nil || ssl != "on" {
		t.Skipf("the test server has no TLS (ssl = %q)", ssl)
	}
	cfg, err := Config(strings.Replace(admin, "sslmode=disable", "sslmode=verify-full", 1) + sep(admin) + "sslrootcert=system")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Connect(context.Background(), cfg)
	if exitcode.Code(err) != exitcode.Config {
		t.Errorf("unverified certificate: status %d, %v; want %d", exitcode.Code(err), err, exitcode.Config)
	}
}

func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// The server's own deadlines: a statement or a lock wait that takes too
// long ends as a transient error.
func TestStatementAndLockTimeouts(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	ctx := context.Background()
	cfg, err := Config(dbURL + sep(dbURL) + "statement_timeout=200&lock_timeout=200")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "SELECT pg_sleep(3)")
	if err = Classify(err); exitcode.Code(err) != exitcode.Transient {
		t.Errorf("statement timeout: %v", err)
	}
	holder := pgtest.Connect(t, dbURL)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE api.leaderboard_snapshot IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "SELECT count(*) FROM api.leaderboard_snapshot")
	if err = Classify(err); exitcode.Code(err) != exitcode.Transient {
		t.Errorf("lock timeout: %v", err)
	}
	// The defaults are in force on a connection made without settings.
	plain, err := Config(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Connect(ctx, plain)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	var st, lt string
	if err := c2.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')").Scan(&st, &lt); err != nil || st != "5min" || lt != "30s" {
		t.Errorf("statement_timeout %q, lock_timeout %q (%v); want 5min, 30s", st, lt, err)
	}
}

// A server that goes silent after the connection: a read fails after the
// silence limit, and a deadline pgx sets (to interrupt a cancelled query)
// still applies.
func TestSilenceConn(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	c := &silenceConn{Conn: client, limit: 100 * time.Millisecond}
	start := time.Now()
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), "no answer from the database server in 100ms") {
		t.Errorf("read from a silent server: %v", err)
	}
	if exitcode.Code(Classify(err)) != exitcode.Transient {
		t.Errorf("silence is not transient: %v", Classify(err))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("read waited %v", d)
	}
	c.limit = time.Hour
	c.SetDeadline(time.Now().Add(50 * time.Millisecond))
	start = time.Now()
	if _, err := c.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "no answer") {
		t.Errorf("read past the user's deadline: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the user's deadline was not kept: read waited %v", d)
	}
}
