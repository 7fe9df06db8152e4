package pgconf

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/jackc/pgx/v5/pgconn"
)

// origin is where the connection settings came from, so that an error
// about one setting names the flag or variable that holds it.
type origin struct {
	conn   string              // the connection string ConnString chose
	source string              // "--database-url", "DATABASE_URL", "the POSTGRES_* variables", "the PG* variables"
	getenv func(string) string // DATABASE_URL and POSTGRES_*; pgx reads the PG* variables itself
}

// settingsHint is the hint of every settings error.
const settingsHint = "check --database-url, DATABASE_URL, the POSTGRES_* and the PG* variables"

// pgEnv is the PG* variable pgx reads for each setting (libpq's names).
var pgEnv = map[string]string{
	"host": "PGHOST", "port": "PGPORT", "database": "PGDATABASE", "user": "PGUSER",
	"password": "PGPASSWORD", "passfile": "PGPASSFILE", "application_name": "PGAPPNAME",
	"connect_timeout": "PGCONNECT_TIMEOUT", "sslmode": "PGSSLMODE", "sslkey": "PGSSLKEY",
	"sslcert": "PGSSLCERT", "sslcertmode": "PGSSLCERTMODE", "sslsni": "PGSSLSNI",
	"sslrootcert": "PGSSLROOTCERT", "sslpassword": "PGSSLPASSWORD", "sslnegotiation": "PGSSLNEGOTIATION",
	"target_session_attrs": "PGTARGETSESSIONATTRS", "service": "PGSERVICE", "servicefile": "PGSERVICEFILE",
	"timezone": "PGTZ", "options": "PGOPTIONS", "min_protocol_version": "PGMINPROTOCOLVERSION",
	"max_protocol_version": "PGMAXPROTOCOLVERSION", "channel_binding": "PGCHANNELBINDING",
	"require_auth": "PGREQUIREAUTH",
}

// postgresEnv is the POSTGRES_* variable behind each setting ConnString
// builds from them.
var postgresEnv = map[string]string{
	"host": "POSTGRES_HOST", "port": "POSTGRES_PORT", "database": "POSTGRES_DB",
	"user": "POSTGRES_USER", "password": "POSTGRES_PASSWORD",
}

// where names the flag or variable that set key, and its value ("" when
// none did: pgx's default).
func (o origin) where(key string) (name, value string) {
	switch o.source {
	case "the POSTGRES_* variables":
		if env, ok := postgresEnv[key]; ok && o.getenv(env) != "" {
			return env, o.getenv(env)
		}
	case "--database-url", "DATABASE_URL":
		if v, ok := connParam(o.conn, key); ok {
			return o.source, v
		}
	}
	if env, ok := pgEnv[key]; ok && os.Getenv(env) != "" {
		return env, os.Getenv(env)
	}
	return o.source, ""
}

// connParam returns the value a connection string (a URL or key=value
// settings) gives key.
func connParam(conn, key string) (string, bool) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", false
		}
		switch key {
		case "port":
			return u.Port(), u.Port() != ""
		case "host":
			return u.Hostname(), u.Hostname() != ""
		case "database":
			key = "dbname"
			if p := strings.TrimPrefix(u.Path, "/"); p != "" {
				return p, true
			}
		}
		q := u.Query()
		return q.Get(key), q.Has(key)
	}
	if key == "database" {
		key = "dbname"
	}
	m := regexp.MustCompile(`(?:^|\s)` + regexp.QuoteMeta(key) + `\s*=\s*('(?:[^'\\]|\\.)*'|\S*)`).FindStringSubmatch(conn)
	if m == nil {
		return "", false
	}
	v := m[1]
	if strings.HasPrefix(v, "'") {
		v = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(strings.Trim(v, "'"))
	}
	return v, true
}

// settingsError is a usage error about one setting: the flag or variable
// that holds it, its value (unless it may be secret) and what is wrong, in
// plain words.
func (o origin) settingsError(key, problem string) error {
	name, value := o.where(key)
	return settingError(name, key, value, problem)
}

// settingError is a usage error about setting key, given value by the
// flag or variable name.
func settingError(name, key, value, problem string) error {
	shown := ""
	if value != "" && !secret(key) {
		shown = fmt.Sprintf(" %q", value)
	}
	subject := key
	if name == pgEnv[key] || name == postgresEnv[key] {
		subject = "" // the variable is the setting
	}
	if subject == "" {
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s%s: %s", name, shown, problem), settingsHint)
	}
	return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s: %s%s: %s", name, subject, shown, problem), settingsHint)
}

func secret(key string) bool {
	return key == "password" || key == "sslpassword"
}

// plainProblems says what a valid value of a setting looks like, for the
// settings pgx refuses with words of its own.
var plainProblems = map[string]string{
	"port":                       "must be a port number from 1 to 65535, one per host",
	"connect_timeout":            "must be a whole number of seconds (0: the default, 10 s)",
	"sslmode":                    "must be one of disable, allow, prefer, require, verify-ca, verify-full",
	"sslcertmode":                "must be one of disable, allow, require",
	"sslnegotiation":             "must be postgres or direct",
	"target_session_attrs":       "must be one of any, read-write, read-only, primary, standby, prefer-standby",
	"channel_binding":            "must be one of disable, prefer, require",
	"min_protocol_version":       "must be a protocol version such as 3.0 or 3.2, not above max_protocol_version",
	"max_protocol_version":       "must be a protocol version such as 3.0 or 3.2, not below min_protocol_version",
	"default_query_exec_mode":    "must be one of cache_statement, cache_describe, describe_exec, exec, simple_protocol",
	"statement_cache_capacity":   "must be a whole number",
	"description_cache_capacity": "must be a whole number",
}

// parseKeys maps the start of pgx's message for a setting it refuses to
// that setting; the TLS settings are told apart by the cause.
var parseKeys = []struct{ prefix, key string }{
	{"invalid port", "port"},
	{"could not match", "port"},
	{"invalid connect_timeout", "connect_timeout"},
	{"invalid sslcertmode", "sslcertmode"},
	{"unknown target_session_attrs", "target_session_attrs"},
	{"failed to read service", "service"},
	{"invalid min_protocol_version", "min_protocol_version"},
	{"invalid max_protocol_version", "max_protocol_version"},
	{"min_protocol_version cannot be greater", "min_protocol_version"},
	{"unknown channel_binding", "channel_binding"},
	{"invalid require_auth", "require_auth"},
	{"cannot parse statement_cache_capacity", "statement_cache_capacity"},
	{"cannot parse description_cache_capacity", "description_cache_capacity"},
	{"invalid default_query_exec_mode", "default_query_exec_mode"},
	{"failed to configure TLS (sslmode", "sslmode"},
	{"failed to configure TLS (unable to read CA", "sslrootcert"},
	{"failed to configure TLS (unable to add CA", "sslrootcert"},
	{"failed to configure TLS (unable to load system certificate pool", "sslrootcert"},
	{"failed to configure TLS (unable to read sslkey", "sslkey"},
	{"failed to configure TLS (failed to decode sslkey", "sslkey"},
	{"failed to configure TLS (unable to find sslpassword", "sslpassword"},
	{"failed to configure TLS (unable to decrypt key", "sslpassword"},
	{"failed to configure TLS (unable to read cert", "sslcert"},
	{"failed to configure TLS (unable to load cert", "sslcert"},
	{`failed to configure TLS (both "sslcert" and "sslkey"`, "sslcert"},
	{"failed to configure TLS (sslnegotiation", "sslnegotiation"},
}

// parseError turns pgx's refusal of the settings into a usage error that
// names the flag or variable at fault and what is wrong, and never repeats
// the connection string (it may hold a password).
func (o origin) parseError(err error) error {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s: the database connection settings do not parse", o.source), settingsHint)
	}
	// pgx's own words, without the connection string.
	bare := *pe
	bare.ConnString = ""
	msg := strings.TrimPrefix(bare.Error(), "cannot parse ``: ")
	var ue *url.Error
	if errors.As(pe, &ue) {
		msg = strings.Replace(msg, ue.Error(), ue.Err.Error(), 1) // url.Error repeats the URL
	}
	switch {
	case strings.HasPrefix(msg, "failed to parse as URL"):
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s is not a valid postgres:// URL: %s", o.source, causeOf(msg)),
			"write it like postgres://user@host:5432/arena?sslmode=require, with reserved characters in the password percent-encoded")
	case strings.HasPrefix(msg, "failed to parse as keyword/value"):
		return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s is neither a postgres:// URL nor key=value settings: %s", o.source, causeOf(msg)),
			"write it like postgres://user@host:5432/arena or host=db port=5432 dbname=arena")
	}
	for _, k := range parseKeys {
		if strings.HasPrefix(msg, k.prefix) {
			problem, ok := plainProblems[k.key]
			if !ok {
				problem = causeOf(msg)
			}
			return o.settingsError(k.key, problem)
		}
	}
	return exitcode.WithHint(exitcode.Usage, fmt.Errorf("%s: invalid database connection settings: %s", o.source, msg), settingsHint)
}

// causeOf is the part of pgx's message in parentheses, else all of it.
func causeOf(msg string) string {
	if i := strings.IndexByte(msg, '('); i >= 0 && strings.HasSuffix(msg, ")") {
		return msg[i+1 : len(msg)-1]
	}
	return msg
}

// serverOptions reads the server settings of a libpq options string
// ("-c statement_timeout=10min -c lock_timeout=5s", "--lock-timeout=5s"):
// name to value, in order. Backslash escapes a space, as libpq does.
func serverOptions(options string) [][2]string {
	var words []string
	var w strings.Builder
	escaped, in := false, false
	for _, r := range options {
		switch {
		case escaped:
			w.WriteRune(r)
			escaped, in = false, true
		case r == '\\':
			escaped = true
		case r == ' ' || r == '\t' || r == '\n':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	var out [][2]string
	for i := 0; i < len(words); i++ {
		var set string
		switch word := words[i]; {
		case word == "-c" && i+1 < len(words):
			i++
			set = words[i]
		case strings.HasPrefix(word, "-c"):
			set = word[2:]
		case strings.HasPrefix(word, "--"):
			set = word[2:]
		default:
			continue
		}
		if k, v, ok := strings.Cut(set, "="); ok {
			out = append(out, [2]string{strings.ReplaceAll(strings.ToLower(k), "-", "_"), v})
		}
	}
	return out
}
