package pgconf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Timeouts are the defaults that give every wait on the database a
// deadline. Each is set the standard PostgreSQL way, which wins over the
// default: connect_timeout in the URL or PGCONNECT_TIMEOUT (whole seconds;
// 0, "wait forever", means the default here); statement_timeout,
// lock_timeout and idle_in_transaction_session_timeout as URL parameters
// (postgres://…/arena?statement_timeout=10min) or in PGOPTIONS
// (-c statement_timeout=10min), in PostgreSQL's units (ms by default; s,
// min, h).
const (
	DefaultConnectTimeout     = 10 * time.Second // the connection and its handshake
	DefaultStatementTimeout   = 5 * time.Minute  // one statement, on the server
	DefaultLockTimeout        = 30 * time.Second // waiting for a lock, on the server
	DefaultIdleInTransaction  = 5 * time.Minute  // a transaction left open by a client that died
	silenceMargin             = 30 * time.Second // see below
	defaultStatementTimeoutMS = int64(DefaultStatementTimeout / time.Millisecond)
)

// serverTimeouts are the server-side settings Config fills in when unset.
var serverTimeouts = []struct {
	name string
	def  time.Duration
}{
	{"statement_timeout", DefaultStatementTimeout},
	{"lock_timeout", DefaultLockTimeout},
	{"idle_in_transaction_session_timeout", DefaultIdleInTransaction},
}

// applyTimeouts sets the defaults above on cfg, and a client-side limit
// on silence: a server that accepts the connection and then never answers
// (hung, or behind a broken network path that keeps the socket open)
// cannot enforce its own statement_timeout, so a read or write that waits
// longer than the statement timeout plus silenceMargin fails, as a
// transient error. With statement_timeout 0 (disabled) there is no such
// limit, and only the job's own deadline (JOB_TIMEOUT_SECONDS) remains.
// A time setting that is not a duration, in the connection string or in
// its options (PGOPTIONS), is a usage error naming where it came from.
func applyTimeouts(cfg *pgx.ConnConfig, o origin) error {
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	options := map[string]string{}
	for _, kv := range serverOptions(cfg.RuntimeParams["options"]) {
		options[kv[0]] = kv[1]
	}
	ms := map[string]int64{}
	for _, t := range serverTimeouts {
		if v, ok := options[t.name]; ok {
			n, err := parseMillis(v)
			if err != nil {
				name, _ := o.where("options")
				return settingError(name, t.name, v, durationProblem)
			}
			ms[t.name] = n
		}
		if v, ok := cfg.RuntimeParams[t.name]; ok {
			n, err := parseMillis(v)
			if err != nil {
				return o.settingsError(t.name, durationProblem)
			}
			ms[t.name] = n
		}
		if _, set := ms[t.name]; !set {
			cfg.RuntimeParams[t.name] = strconv.FormatInt(int64(t.def/time.Millisecond), 10)
		}
	}
	statementMS := defaultStatementTimeoutMS
	if v, ok := ms["statement_timeout"]; ok {
		statementMS = v
	}
	if statementMS > 0 {
		silence := time.Duration(statementMS)*time.Millisecond + silenceMargin
		dial := cfg.DialFunc
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &silenceConn{Conn: c, limit: silence}, nil
		}
	}
	return nil
}

// durationProblem says what a server time setting looks like.
const durationProblem = "is not a duration: write it as PostgreSQL does, in milliseconds (30000) or with a unit (30s, 5min, 1h)"

// parseMillis reads a PostgreSQL time setting: a number of milliseconds,
// or a number with a unit (us, ms, s, min, h, d).
func parseMillis(v string) (int64, error) {
	v = strings.TrimSpace(v)
	i := strings.IndexFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := v, "ms"
	if i >= 0 {
		num, unit = strings.TrimSpace(v[:i]), strings.TrimSpace(v[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("not a duration")
	}
	scale := map[string]float64{"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}[unit]
	if scale == 0 {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	return int64(f * scale), nil
}

// silenceConn fails a read or write that waits longer than limit, while
// keeping the deadlines pgx sets itself (to interrupt a cancelled query):
// the earlier of the two applies.
type silenceConn struct {
	net.Conn
	limit  time.Duration
	mu     sync.Mutex
	rd, wd time.Time // deadlines set by the connection's user
}

func (c *silenceConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rd, c.wd = t, t
	return c.Conn.SetDeadline(t)
}

func (c *silenceConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rd = t
	return c.Conn.SetReadDeadline(t)
}

func (c *silenceConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wd = t
	return c.Conn.SetWriteDeadline(t)
}

// arm sets the underlying deadline for one read or write; it reports
// whether the silence limit (not the user's deadline) is the one set.
func (c *silenceConn) arm(user time.Time, set func(time.Time) error) bool {
	d := time.Now().Add(c.limit)
	if !user.IsZero() && user.Before(d) {
		set(user)
		return false
	}
	set(d)
	return true
}

func (c *silenceConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	mine := c.arm(c.rd, c.Conn.SetReadDeadline)
	c.mu.Unlock()
	n, err := c.Conn.Read(b)
	return n, c.explain(err, mine)
}

func (c *silenceConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	mine := c.arm(c.wd, c.Conn.SetWriteDeadline)
	c.mu.Unlock()
	n, err := c.Conn.Write(b)
	return n, c.explain(err, mine)
}

func (c *silenceConn) explain(err error, mine bool) error {
	var ne net.Error
	if err != nil && mine && errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("no answer from the database server in %s: %w", c.limit, err)
	}
	return err
}
