package pgconf

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A database error names where the tool connected and the flag or
// variables that chose it, so that a wrong database, user or password is
// fixed in the right place: Load remembers where each configuration came
// from (origins), and Connect and At use it.

// origins maps a configuration Load returned to where its settings came
// from.
var origins sync.Map // *pgx.ConnConfig → origin

func remember(cfg *pgx.ConnConfig, o origin) { origins.Store(cfg, o) }

func originOf(cfg *pgx.ConnConfig) (origin, bool) {
	v, ok := origins.Load(cfg)
	if !ok {
		return origin{}, false
	}
	return v.(origin), true
}

// Place names where cfg connects and which settings chose it:
// "arena@db.example.org:5432/arena (from DATABASE_URL)", or, on a Unix
// socket, "arena@/var/run/postgresql (socket), database arena (from the
// PG* variables)". No password.
func Place(cfg *pgx.ConnConfig) string {
	db := cfg.Database
	if db == "" {
		db = cfg.User + " (none given: the user's name)"
	}
	where := fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, db)
	if strings.HasPrefix(cfg.Host, "/") {
		where = fmt.Sprintf("%s@%s (socket), database %s", cfg.User, cfg.Host, db)
	}
	if o, ok := originOf(cfg); ok {
		where += " (from " + o.source + ")"
	}
	return where
}

// At returns err, a database's answer or a failed connection to it, with
// the place cfg connects to in front of its message (Place), keeping its
// exit status and hint; any other error is returned as it is, and so is a
// quiet one (a reader that quit the tool's stdout: not the database's).
func At(cfg *pgx.ConnConfig, err error) error {
	var pe *pgconn.PgError
	var ne net.Error
	if err == nil || exitcode.IsQuiet(err) || !(errors.As(err, &pe) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err)) {
		return err
	}
	return &exitcode.Error{Code: exitcode.Code(err), Err: fmt.Errorf("%s: %w", Place(cfg), err), Hint: exitcode.HintOf(err)}
}

// connectHint is the hint for a server's refusal at connection time, naming
// the flag or variable that holds the setting to check.
func connectHint(cfg *pgx.ConnConfig, pe *pgconn.PgError) string {
	o, ok := originOf(cfg)
	if !ok {
		return configHint(pe)
	}
	switch {
	case pe.Code == "3D000":
		name, value := o.where("database")
		if value == "" {
			return fmt.Sprintf("no setting names the database, so the user name %q was used: name it in --database-url, DATABASE_URL, POSTGRES_DB or PGDATABASE", cfg.User)
		}
		return fmt.Sprintf("check the database name %q, from %s", value, name)
	case strings.HasPrefix(pe.Code, "28"):
		switch o.source {
		case "--database-url", "DATABASE_URL":
			return fmt.Sprintf("check the user %q and the password of %s (else PGPASSWORD or ~/.pgpass)", cfg.User, o.source)
		case "the POSTGRES_* variables":
			return fmt.Sprintf("check the user %q and the password: POSTGRES_USER and POSTGRES_PASSWORD (else PGUSER, PGPASSWORD or ~/.pgpass)", cfg.User)
		}
		return fmt.Sprintf("check the user %q and the password: PGUSER and PGPASSWORD or ~/.pgpass (or set DATABASE_URL)", cfg.User)
	}
	return configHint(pe)
}
