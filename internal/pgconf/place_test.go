package pgconf

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestConnectNamesWhatWasUsed: a database or user the server does not
// know is a configuration error whose message says where the tool
// connected and from which settings, and whose hint names the flag or
// variable that holds the wrong value, not every variable there is.
func TestConnectNamesWhatWasUsed(t *testing.T) {
	admin, err := url.Parse(pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	host, port, user := admin.Hostname(), admin.Port(), admin.User.Username()
	withDB := func(db string) string {
		u := *admin
		u.Path = "/" + db
		return u.String()
	}
	for _, tc := range []struct {
		name      string
		flag      string
		env       map[string]string // DATABASE_URL and POSTGRES_*
		pg        map[string]string // PG* (read by pgx from the process)
		place     string
		hint      string
		notInHint string
	}{
		{"flag", withDB("trial_nosuchdb"), nil, nil,
			"/trial_nosuchdb (from --database-url)", `check the database name "trial_nosuchdb", from --database-url`, "POSTGRES_DB"},
		{"DATABASE_URL", "", map[string]string{"DATABASE_URL": withDB("trial_nosuchdb")}, nil,
			"/trial_nosuchdb (from DATABASE_URL)", `check the database name "trial_nosuchdb", from DATABASE_URL`, "PGDATABASE"},
		{"POSTGRES_DB", "", map[string]string{"POSTGRES_HOST": host, "POSTGRES_PORT": port, "POSTGRES_USER": user, "POSTGRES_DB": "no_such_db_2"}, nil,
			"/no_such_db_2 (from the POSTGRES_* variables)", `check the database name "no_such_db_2", from POSTGRES_DB`, "DATABASE_URL"},
		{"PGDATABASE", "", nil, map[string]string{"PGHOST": host, "PGPORT": port, "PGUSER": user, "PGDATABASE": "no_such_db_3"},
			"/no_such_db_3 (from the PG* variables)", `check the database name "no_such_db_3", from PGDATABASE`, "POSTGRES_DB"},
		{"PGUSER", "", nil, map[string]string{"PGHOST": host, "PGPORT": port, "PGUSER": "no_such_role_4", "PGDATABASE": "postgres"},
			"no_such_role_4@", `check the user "no_such_role_4" and the password: PGUSER and PGPASSWORD`, "POSTGRES_USER"},
		{"user in DATABASE_URL", "", map[string]string{"DATABASE_URL": "postgres://no_such_role_5@" + admin.Host + "/postgres"}, nil,
			"(from DATABASE_URL)", `check the user "no_such_role_5" and the password of DATABASE_URL`, "PGUSER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "PGSERVICE"} {
				t.Setenv(k, tc.pg[k])
			}
			cfg, err := Load(tc.flag, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			conn, err := Connect(context.Background(), cfg)
			if err == nil {
				conn.Close(context.Background())
				t.Fatal("connected")
			}
			hint := exitcode.HintOf(err)
			if exitcode.Code(err) != exitcode.Config || !strings.Contains(err.Error(), tc.place) ||
				!strings.Contains(hint, tc.hint) || strings.Contains(hint, tc.notInHint) {
				t.Errorf("status %d, error %q\nhint %q\nwant %q in the error, %q in the hint and not %q",
					exitcode.Code(err), err, hint, tc.place, tc.hint, tc.notInHint)
			}
		})
	}
}

// TestAtNamesThePlace: a database's answer after connecting carries where
// the tool connected; other errors pass as they are.
func TestAtNamesThePlace(t *testing.T) {
	cfg, err := Load("postgres://arena@db.example.org:6543/arena", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	pe := exitcode.WithHint(exitcode.Config, &pgconn.PgError{Code: "42P01", Message: `relation "api.leaderboard" does not exist`}, "is this the arena's database?")
	got := At(cfg, pe)
	if exitcode.Code(got) != exitcode.Config || exitcode.HintOf(got) != "is this the arena's database?" ||
		!strings.HasPrefix(got.Error(), "arena@db.example.org:6543/arena (from --database-url): ") {
		t.Errorf("%d %q %q", exitcode.Code(got), got, exitcode.HintOf(got))
	}
	other := exitcode.New(exitcode.Config, errors.New("write output: no space left on device"))
	if At(cfg, other) != other || At(cfg, nil) != nil {
		t.Error("At changed an error that is not the database's")
	}
	socket, err := Load("host=/var/run/postgresql user=arena", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p := Place(socket); p != "arena@/var/run/postgresql (socket), database arena (none given: the user's name) (from --database-url)" {
		t.Errorf("Place %q", p)
	}
}

// TestConnectRefusedOnce: pgx tries plain text after TLS (sslmode prefer,
// the default) and joins its attempts' errors with newlines; a refused
// connection is told once, on one line, with a hint to check the server.
func TestConnectRefusedOnce(t *testing.T) {
	port := faulttest.FreePort(t)
	for _, mode := range []string{"", "?sslmode=prefer", "?sslmode=disable"} {
		cfg, err := Load("postgres://nobody@127.0.0.1:"+port+"/x"+mode, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Connect(context.Background(), cfg)
		if err == nil {
			t.Fatal("connected to a closed port")
		}
		msg := err.Error()
		if exitcode.Code(err) != exitcode.Transient || strings.Contains(msg, "\n") ||
			strings.Count(msg, "connection refused") != 1 {
			t.Errorf("%q: status %d, error %q: want transient, one line, the refusal once", mode, exitcode.Code(err), msg)
		}
		if hint := exitcode.HintOf(err); !strings.Contains(hint, "is PostgreSQL running there") || !strings.Contains(hint, "port "+port) {
			t.Errorf("%q: hint %q", mode, hint)
		}
	}
}

// TestJoinedAttemptsKeepDistinctErrors: attempts that failed differently
// are all told, once each, and errors.As still finds the server's answer.
func TestJoinedAttemptsKeepDistinctErrors(t *testing.T) {
	pe := &pgconn.PgError{Code: "28000", Message: `role "x" does not exist`}
	joined := errors.Join(errors.New("tls: handshake failure"), pe, pe)
	err := unwrapConnect(joined)
	if got, want := err.Error(), `tls: handshake failure; : role "x" does not exist (SQLSTATE 28000)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var got *pgconn.PgError
	if !errors.As(err, &got) || got.Code != "28000" {
		t.Errorf("errors.As lost the server's answer: %v", err)
	}
}
