// Package pgtest gives tests their own scratch PostgreSQL databases, made
// from testdata/schema.sql and dropped when the test ends.
//
// The server is named by TEST_DATABASE_URL (a URL of a role that may create
// databases and roles); without it, tests that need a database skip with
// that reason. scripts/test.sh sets it, so nothing is skipped there.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the variable holding the administrative connection URL.
const EnvVar = "TEST_DATABASE_URL"

// AdminURL returns TEST_DATABASE_URL or skips t.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvVar)
	if u == "" {
		t.Skipf("%s is not set: no PostgreSQL to test against (scripts/test.sh sets it)", EnvVar)
	}
	return u
}

// RepoFile returns the path of a file given relative to the repository
// root (the folder holding go.mod).
func RepoFile(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// NewDB creates an empty scratch database, loads testdata/schema.sql and
// then each file of extra (paths relative to the repository root) into it,
// and returns its URL. The database is dropped when t ends.
func NewDB(t testing.TB, extra ...string) string {
	t.Helper()
	admin := AdminURL(t)
	name := "arena_test_" + RandomSuffix()
	Exec(t, admin, "CREATE DATABASE "+name)
	DropAtCleanup(t, admin, name)
	dbURL := WithDatabase(t, admin, name)
	for _, f := range append([]string{"testdata/schema.sql"}, extra...) {
		sql, err := os.ReadFile(RepoFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		Exec(t, dbURL, string(sql))
	}
	return dbURL
}

// DropAtCleanup drops the database name, through the server at admin,
// when t ends, whoever is still connected to it.
func DropAtCleanup(t testing.TB, admin, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop scratch database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop scratch database %s: %v", name, err)
		}
	})
}

// WithDatabase returns base with its database replaced by name.
func WithDatabase(t testing.TB, base, name string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", EnvVar, err)
	}
	u.Path = "/" + name
	return u.String()
}

// WithUser returns base with its user and password replaced.
func WithUser(t testing.TB, base, user, password string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

// Exec runs sql (one or more statements, no parameters) on the database at
// dbURL and fails t on error.
func Exec(t testing.TB, dbURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("exec: %v\n%.300s", err, sql)
	}
}

// Connect opens a connection closed when t ends.
func Connect(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// NewRole creates a login role with a random name and no privileges,
// dropped (with what it owns) when t ends, and returns its name.
func NewRole(t testing.TB, dbURL string) string {
	t.Helper()
	role := "arena_role_" + RandomSuffix()
	Exec(t, dbURL, fmt.Sprintf("CREATE ROLE %s LOGIN", role))
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return // the database is gone with its grants; the role is dropped below
		}
		conn.Exec(ctx, "DROP OWNED BY "+role)
		conn.Close(ctx)
		conn, err = pgx.Connect(ctx, AdminURL(t))
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	})
	return role
}

// RandomSuffix returns 12 random lowercase hex digits.
func RandomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
