package pgconf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/jackc/pgx/v5/pgconn"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConnStringPrecedence(t *testing.T) {
	all := map[string]string{
		"DATABASE_URL":      "postgres://u@h/db",
		"POSTGRES_HOST":     "pghost",
		"POSTGRES_PORT":     "6543",
		"POSTGRES_DB":       "arena",
		"POSTGRES_USER":     "job",
		"POSTGRES_PASSWORD": `s3cr'et\x`,
	}
	if got := ConnString("postgres://flag/db", env(all)); got != "postgres://flag/db" {
		t.Errorf("flag: %q", got)
	}
	if got := ConnString("", env(all)); got != "postgres://u@h/db" {
		t.Errorf("DATABASE_URL: %q", got)
	}
	delete(all, "DATABASE_URL")
	got := ConnString("", env(all))
	if want := `host='pghost' port='6543' dbname='arena' user='job' password='s3cr\'et\\x'`; got != want {
		t.Errorf("POSTGRES_*: %q, want %q", got, want)
	}
	cfg, err := Config(got)
	if err != nil || cfg.Password != `s3cr'et\x` || cfg.Host != "pghost" || cfg.Port != 6543 || cfg.Database != "arena" {
		t.Fatalf("parsed %+v, %v", cfg, err)
	}
	if d := Describe(cfg); d != "job@pghost:6543/arena" || strings.Contains(d, "s3cr") {
		t.Errorf("Describe: %q", d)
	}
	if got := ConnString("", env(nil)); got != "" {
		t.Errorf("nothing set: %q (pgx then reads PG*)", got)
	}
}

func TestConfigErrorHidesPassword(t *testing.T) {
	_, err := Config("postgres://u:hunter2@host:notaport/db")
	if err == nil || strings.Contains(err.Error(), "hunter2") || exitcode.Code(err) != exitcode.Usage {
		t.Fatalf("err %v (status %d)", err, exitcode.Code(err))
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{&pgconn.PgError{Code: "28P01"}, exitcode.Config},
		{&pgconn.PgError{Code: "3D000"}, exitcode.Config},
		{&pgconn.PgError{Code: "42P01"}, exitcode.Config},
		{&pgconn.PgError{Code: "42501"}, exitcode.Config},
		{fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P01"}), exitcode.Transient},
		{&pgconn.PgError{Code: "08006"}, exitcode.Transient},
		{&pgconn.PgError{Code: "40001"}, exitcode.Transient},
		{&pgconn.PgError{Code: "22P02"}, exitcode.Failure},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, exitcode.Transient},
		{io.ErrUnexpectedEOF, exitcode.Transient},
		{context.DeadlineExceeded, exitcode.Transient},
		{exitcode.New(exitcode.Usage, errors.New("kept")), exitcode.Usage},
	} {
		if got := exitcode.Code(Classify(tc.err)); got != tc.want {
			t.Errorf("%v: status %d, want %d", tc.err, got, tc.want)
		}
	}
	if Classify(nil) != nil {
		t.Error("nil is not an error")
	}
}
