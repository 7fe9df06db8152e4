// Package pgconf owns how the tools find and reach the arena's PostgreSQL
// database: which setting wins (flag, DATABASE_URL, POSTGRES_*, PG*), and
// how a database error maps to an exit status (transient, configuration).
// Passwords never appear in what it returns.
package pgconf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// FlagUsage is the --database-url flag's help text.
const FlagUsage = "PostgreSQL connection `URL` (default: DATABASE_URL, else POSTGRES_HOST/PORT/DB/USER/PASSWORD, else the PG* variables)"

// ConnString returns the connection string to use: flagURL if set, else
// DATABASE_URL, else one built from the POSTGRES_* variables that are set,
// else "" (pgx then reads the standard PG* variables and defaults).
// Unset POSTGRES_* parts fall back to the PG* variables and defaults too.
func ConnString(flagURL string, getenv func(string) string) string {
	if flagURL != "" {
		return flagURL
	}
	if u := getenv("DATABASE_URL"); u != "" {
		return u
	}
	var parts []string
	for _, kv := range [][2]string{
		{"host", "POSTGRES_HOST"}, {"port", "POSTGRES_PORT"}, {"dbname", "POSTGRES_DB"},
		{"user", "POSTGRES_USER"}, {"password", "POSTGRES_PASSWORD"},
	} {
		if v := getenv(kv[1]); v != "" {
			parts = append(parts, kv[0]+"="+quote(v))
		}
	}
	return strings.Join(parts, " ")
}

// quote quotes a keyword/value connection string value.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// Load returns the connection settings ConnString chooses, parsed. A
// setting that does not parse is a usage error that names the flag or
// variable holding it (--database-url, DATABASE_URL, POSTGRES_PORT,
// PGSSLMODE, PGOPTIONS, ...) and what is wrong with it, and never repeats
// the connection string (it may hold a password).
func Load(flagURL string, getenv func(string) string) (*pgx.ConnConfig, error) {
	o := origin{source: "the PG* variables", getenv: getenv}
	switch {
	case flagURL != "":
		o.source = "--database-url"
	case getenv("DATABASE_URL") != "":
		o.source = "DATABASE_URL"
	case getenv("POSTGRES_HOST")+getenv("POSTGRES_PORT")+getenv("POSTGRES_DB")+getenv("POSTGRES_USER")+getenv("POSTGRES_PASSWORD") != "":
		o.source = "the POSTGRES_* variables"
	}
	for _, env := range []string{"POSTGRES_PORT", "PGPORT"} {
		if v := getenv(env); v != "" && (o.source == "the POSTGRES_* variables" || env == "PGPORT") {
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
				return nil, exitcode.Errorf(exitcode.Usage, "%s must be a port number from 1 to 65535, got %q", env, v)
			}
		}
	}
	o.conn = ConnString(flagURL, getenv)
	cfg, err := o.config()
	if err == nil {
		remember(cfg, o)
	}
	return cfg, err
}

// Config parses a connection string, as Load does for the one it chooses;
// errors name "the connection settings" as their place.
func Config(connString string) (*pgx.ConnConfig, error) {
	return origin{conn: connString, source: "the connection settings", getenv: os.Getenv}.config()
}

// config parses o's connection string; every wait gets a deadline (see
// Timeouts).
func (o origin) config() (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(o.conn)
	if err != nil {
		return nil, o.parseError(err)
	}
	if err := applyTimeouts(cfg, o); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Describe names a connection for messages: user@host:port/db, no password.
func Describe(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// Connect opens a connection; its error is classified (see Classify).
func Connect(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	// A cancelled context (a signal) cancels the running query on the
	// server too, not only the wait for its answer: a query left running
	// would hold its locks and its work after the tool has gone.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 300 * time.Millisecond}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "22023" || pe.Code == "42704") {
		// The server refuses a setting sent at the start: an unknown
		// parameter, or a value it does not take.
		return nil, exitcode.WithHint(exitcode.Usage,
			fmt.Errorf("the database server refuses a setting of the connection: %s", pe.Message),
			"server settings come from the parameters of --database-url or DATABASE_URL and from PGOPTIONS: correct or remove it")
	}
	if errors.As(err, &pe) && (pe.Code == "3D000" || strings.HasPrefix(pe.Code, "28")) {
		return nil, exitcode.WithHint(exitcode.Config, fmt.Errorf("cannot connect to %s: %w", Place(cfg), unwrapConnect(err)), connectHint(cfg, pe))
	}
	if err != nil && errors.Is(err, syscall.ECONNREFUSED) {
		return nil, exitcode.WithHint(exitcode.Transient, fmt.Errorf("cannot connect to %s: %w", Place(cfg), unwrapConnect(err)),
			fmt.Sprintf("nothing listens on %s port %d: is PostgreSQL running there, and are the host and port right?", cfg.Host, cfg.Port))
	}
	if err != nil {
		return nil, Classify(fmt.Errorf("cannot connect to %s: %w", Place(cfg), unwrapConnect(err)))
	}
	return conn, nil
}

// unwrapConnect drops pgconn's ConnectError wrapper, whose text repeats
// connection settings, keeping the cause. pgx tries each address of the
// host and, with sslmode prefer (the default), TLS and then plain text,
// and joins the errors of its attempts with newlines: the same failure
// twice, as often as not. Those are told once each, on one line.
func unwrapConnect(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		err = ce.Unwrap()
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var errs []error
	var texts []string
	for _, e := range j.Unwrap() {
		if e == nil {
			continue
		}
		if t := strings.ReplaceAll(e.Error(), "\n", "; "); !slices.Contains(texts, t) {
			errs, texts = append(errs, e), append(texts, t)
		}
	}
	switch len(errs) {
	case 0:
		return err
	case 1:
		return errs[0]
	}
	return attempts{errs: errs, text: strings.Join(texts, "; ")}
}

// attempts is the errors of several attempts to connect, distinct ones
// only, told on one line; errors.Is and errors.As see each of them.
type attempts struct {
	errs []error
	text string
}

func (a attempts) Error() string   { return a.text }
func (a attempts) Unwrap() []error { return a.errs }

// Classify gives a database error its exit status:
//   - Config: authentication failed, database, schema, table or column
//     missing, privilege missing, read-only violations;
//   - Transient: the server is unreachable, shutting down, out of
//     connections, the connection was lost, a serialization failure or a
//     deadlock, a timeout;
//   - Failure: anything else the server said (a bug in a query).
//
// An error that already carries an exit status keeps it; nil stays nil.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitcode.Error
	if errors.As(err, &ee) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "28"), // invalid authorization
			pe.Code == "3D000", // database does not exist
			pe.Code == "3F000", // schema does not exist
			pe.Code == "42P01", // table does not exist
			pe.Code == "42703", // column does not exist
			pe.Code == "42501", // insufficient privilege
			pe.Code == "25006": // read-only transaction
			return exitcode.WithHint(exitcode.Config, err, configHint(pe))
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "55P03",                // lock not available (lock_timeout)
			pe.Code == "25P03",                // idle in transaction session timeout
			strings.HasPrefix(pe.Code, "57P"), // admin shutdown, crash shutdown, cannot connect now
			pe.Code == "53300",                // too many connections
			pe.Code == "40001",                // serialization failure
			pe.Code == "40P01",                // deadlock
			pe.Code == "57014":                // query canceled (statement timeout)
			return exitcode.New(exitcode.Transient, err)
		}
		return exitcode.New(exitcode.Failure, err)
	}
	if isTLS(err) {
		return exitcode.WithHint(exitcode.Config, err,
			"check sslmode and the certificates (sslrootcert, PGSSLMODE, PGSSLROOTCERT): a retry will not change them")
	}
	if errors.Is(err, context.Canceled) {
		return exitcode.New(exitcode.Transient, err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, context.DeadlineExceeded) ||
		pgconn.Timeout(err) || pgconn.SafeToRetry(err) {
		return exitcode.New(exitcode.Transient, err)
	}
	// pgx reports a connection that died under it ("conn closed",
	// "unexpected EOF") with errors of its own; everything that is not the
	// server's answer is the connection's fault.
	return exitcode.New(exitcode.Transient, err)
}

func configHint(pe *pgconn.PgError) string {
	switch {
	case strings.HasPrefix(pe.Code, "28"):
		return "check the user and password (--database-url, DATABASE_URL, POSTGRES_USER/POSTGRES_PASSWORD or PGUSER/PGPASSWORD)"
	case pe.Code == "3D000":
		return "check the database name (--database-url, DATABASE_URL, POSTGRES_DB or PGDATABASE)"
	case pe.Code == "42501":
		return "the role needs the privileges listed in the README"
	default:
		return "is this the arena's database, with the api schema in place?"
	}
}

// isTLS reports whether err is a refusal of TLS or a certificate that
// failed verification: settings to fix, not a failure that may pass.
func isTLS(err error) bool {
	return exitcode.IsTLS(err) || strings.Contains(err.Error(), "server refused TLS connection")
}
