package pgconf

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/pgtest"
)

// clearPG unsets every PG* variable pgx reads, for the test (pgx reads
// PGSSLCERTMODE set to "" as a value).
func clearPG(t *testing.T) {
	for _, env := range pgEnv {
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
}

// TestSettingsErrorsNameTheirPlace: every setting that does not parse, from
// any place the settings come from, is a usage error that names the flag
// or variable holding it and what is wrong, and never shows a password.
func TestSettingsErrorsNameTheirPlace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flag    string            // --database-url
		env     map[string]string // DATABASE_URL, POSTGRES_*
		pg      map[string]string // PG* (read by pgx from the process)
		message string            // regular expression
	}{
		{"url that does not parse", "postgres://u:hunter2@[bad/db", nil, nil,
			`^--database-url is not a valid postgres:// URL: end of string reached when looking for matching "\]"`},
		{"keyword settings that do not parse", "", map[string]string{"DATABASE_URL": "host=db password='hunter2"}, nil,
			`^DATABASE_URL is neither a postgres:// URL nor key=value settings: unterminated quoted string`},
		{"port in keyword settings", "", map[string]string{"DATABASE_URL": "host=db port=fifty password=hunter2"}, nil,
			`^DATABASE_URL: port "fifty": must be a port number from 1 to 65535`},
		{"PGPORT", "", nil, map[string]string{"PGPORT": "x"},
			`^PGPORT "x": must be a port number from 1 to 65535`},
		{"connect_timeout in the URL", "postgres://u:hunter2@h/db?connect_timeout=soon", nil, nil,
			`^--database-url: connect_timeout "soon": must be a whole number of seconds`},
		{"PGCONNECT_TIMEOUT", "postgres://u:hunter2@h/db", nil, map[string]string{"PGCONNECT_TIMEOUT": "-3"},
			`^PGCONNECT_TIMEOUT "-3": must be a whole number of seconds`},
		{"the URL wins over PGCONNECT_TIMEOUT", "", map[string]string{"DATABASE_URL": "postgres://h/db?connect_timeout=x"}, map[string]string{"PGCONNECT_TIMEOUT": "5"},
			`^DATABASE_URL: connect_timeout "x": must be`},
		{"sslmode in the URL", "", map[string]string{"DATABASE_URL": "postgres://h/db?sslmode=always"}, nil,
			`^DATABASE_URL: sslmode "always": must be one of disable, allow, prefer, require, verify-ca, verify-full$`},
		{"PGSSLMODE", "", map[string]string{"POSTGRES_HOST": "db", "POSTGRES_PASSWORD": "hunter2"}, map[string]string{"PGSSLMODE": "Require"},
			`^PGSSLMODE "Require": must be one of`},
		{"PGSSLROOTCERT", "postgres://h/db?sslmode=verify-full", nil, map[string]string{"PGSSLROOTCERT": "/nonexistent/ca.pem"},
			`^PGSSLROOTCERT "/nonexistent/ca.pem": unable to read CA file: open /nonexistent/ca.pem: no such file or directory$`},
		{"PGTARGETSESSIONATTRS", "postgres://h/db", nil, map[string]string{"PGTARGETSESSIONATTRS": "writable"},
			`^PGTARGETSESSIONATTRS "writable": must be one of any, read-write`},
		{"PGSERVICE", "", nil, map[string]string{"PGSERVICE": "arena", "PGSERVICEFILE": "/nonexistent/pg_service.conf"},
			`^PGSERVICE "arena": failed to read service file: /nonexistent/pg_service.conf$`},
		{"default_query_exec_mode in the URL", "postgres://h/db?default_query_exec_mode=fast", nil, nil,
			`^--database-url: default_query_exec_mode "fast": must be one of cache_statement`},
		{"statement_timeout in the URL", "postgres://u:hunter2@h/db?statement_timeout=soon", nil, nil,
			`^--database-url: statement_timeout "soon": is not a duration: write it as PostgreSQL does`},
		{"lock_timeout in keyword settings", "", map[string]string{"DATABASE_URL": "host=h lock_timeout='5 fortnights'"}, nil,
			`^DATABASE_URL: lock_timeout "5 fortnights": is not a duration`},
		{"statement_timeout in PGOPTIONS", "postgres://h/db", nil, map[string]string{"PGOPTIONS": "-c statement_timeout=soon"},
			`^PGOPTIONS: statement_timeout "soon": is not a duration`},
		{"idle timeout in PGOPTIONS's long form", "", map[string]string{"POSTGRES_HOST": "db"}, map[string]string{"PGOPTIONS": "--idle-in-transaction-session-timeout=-1"},
			`^PGOPTIONS: idle_in_transaction_session_timeout "-1": is not a duration`},
		{"lock_timeout in the URL's options", "", map[string]string{"DATABASE_URL": "postgres://h/db?options=-c%20lock_timeout%3Dlater"}, nil,
			`^DATABASE_URL: lock_timeout "later": is not a duration`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearPG(t)
			for k, v := range tc.pg {
				t.Setenv(k, v)
			}
			_, err := Load(tc.flag, env(tc.env))
			if err == nil {
				t.Fatal("no error")
			}
			if exitcode.Code(err) != exitcode.Usage {
				t.Errorf("status %d, want %d (usage): %v", exitcode.Code(err), exitcode.Usage, err)
			}
			if !regexp.MustCompile(tc.message).MatchString(err.Error()) {
				t.Errorf("message %q\nwant     %s", err, tc.message)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(exitcode.HintOf(err), "hunter2") {
				t.Errorf("the password is in %q", err)
			}
		})
	}
}

// TestValidSettingsStillLoad: the checks above refuse nothing PostgreSQL
// takes, and a statement_timeout given in PGOPTIONS sets the limit on
// silence as one in the URL does.
func TestValidSettingsStillLoad(t *testing.T) {
	clearPG(t)
	t.Setenv("PGOPTIONS", `-c statement_timeout=2min --lock-timeout=5s -c search_path=api\ ,public`)
	t.Setenv("PGSSLMODE", "disable")
	t.Setenv("PGCONNECT_TIMEOUT", "3")
	cfg, err := Load("", env(map[string]string{"DATABASE_URL": "postgres://u@h/db?idle_in_transaction_session_timeout=1h&application_name=job"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"statement_timeout", "lock_timeout"} {
		if _, set := cfg.RuntimeParams[name]; set {
			t.Errorf("%s set beside PGOPTIONS: %v", name, cfg.RuntimeParams)
		}
	}
	if cfg.RuntimeParams["idle_in_transaction_session_timeout"] != "1h" {
		t.Errorf("runtime params %v", cfg.RuntimeParams)
	}
	got := serverOptions(`-c statement_timeout=2min --lock-timeout=5s -csearch_path=api\ x -X`)
	want := [][2]string{{"statement_timeout", "2min"}, {"lock_timeout", "5s"}, {"search_path", "api x"}}
	if len(got) != len(want) {
		t.Fatalf("options %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("option %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// TestServerRefusesASetting: a server setting PostgreSQL does not know, or
// a value it does not take, is the settings' fault (usage), not a bug.
func TestServerRefusesASetting(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	clearPG(t)
	for _, tc := range []struct{ url, pgoptions, word string }{
		{dbURL + sep(dbURL) + "no_such_setting=1", "", "no_such_setting"},
		{dbURL + sep(dbURL) + "work_mem=lots", "", "work_mem"},
		{dbURL, "-c enable_seqscan=maybe", "enable_seqscan"},
	} {
		t.Setenv("PGOPTIONS", tc.pgoptions)
		cfg, err := Load(tc.url, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Connect(context.Background(), cfg)
		if exitcode.Code(err) != exitcode.Usage || !strings.Contains(err.Error(), tc.word) || !strings.Contains(exitcode.HintOf(err), "PGOPTIONS") {
			t.Errorf("%s %s: status %d: %v", tc.url, tc.pgoptions, exitcode.Code(err), err)
		}
	}
}
