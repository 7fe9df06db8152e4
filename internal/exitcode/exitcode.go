// Package exitcode owns the exit statuses that the three tools share and
// the error type that carries one from deep inside a tool up to main.
//
// The statuses are a contract with scripts (the entrypoint retries only on
// Transient) and are listed in every tool's --help and in the README.
package exitcode

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"syscall"
)

// The exit statuses. Their numbers never change.
const (
	OK        = 0 // success
	Failure   = 1 // an unexpected internal failure (a bug)
	Usage     = 2 // bad flags, arguments or environment variables
	BadInput  = 3 // the input stream is malformed, cut short or violates a rule
	Config    = 4 // configuration: authentication, missing schema, table or permission
	Transient = 5 // a failure that may pass: connection refused or lost, timeouts; worth one retry
	Partial   = 6 // some leaderboards failed, the others were published
)

// A tool stopped by SIGINT or SIGTERM exits 128 plus the signal's number,
// 130 or 143, as a shell reports a process killed by it (clix.Stopped).

// BrokenPipe is the status of a tool whose stdout was closed by its reader
// (a pipe into head): 128 plus SIGPIPE's number, as a shell reports a
// process killed by it, so that a pipe's stages tell a reader that quit
// from a failure. The tools catch SIGPIPE (clix.Main) and end with it by
// themselves: rank and battles-export quietly, having written nothing
// partial; snapshot-publish only after the whole publish, saying that its
// summary was lost.
const BrokenPipe = 141

// Help is the paragraph each tool's --help prints about exit statuses.
const Help = `EXIT STATUS:
   0  success
   1  internal failure (a bug: please report it)
   2  usage error: bad flag, argument or environment variable
   3  bad input: malformed, cut short or inconsistent stream (for
      snapshot-publish, also every leaderboard held back by the guard)
   4  configuration error: authentication, missing schema, table or
      privilege, TLS, a read-only, full or forbidden folder, S3 refusing
      the endpoint, the bucket or the credentials
   5  transient failure (unreachable, connection lost, a timeout): worth a retry
   6  partial failure: some leaderboards failed or were held back, the
      others were published
   130, 143  stopped by SIGINT or SIGTERM, within a second, nothing partial written
   141  stdout closed by its reader (a pipe into head): nothing else went
        wrong; snapshot-publish still publishes everything, then says
        that its summary lines could not be written`

// Error is an error with the exit status it should end the process with,
// and an optional hint printed on a line of its own. A Quiet error ends
// the tool without a message on a terminal (a reader that quit: see
// BrokenPipe); JSON logs still record it.
type Error struct {
	Code  int
	Err   error
	Hint  string
	Quiet bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New wraps err with code. A nil err gives nil.
func New(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Errorf formats an error carrying code.
func Errorf(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// WithHint wraps err with code and a hint for the user.
func WithHint(code int, err error, hint string) error {
	return &Error{Code: code, Err: err, Hint: hint}
}

// Code returns the exit status for err: OK for nil, the code of the
// outermost *Error in its chain, else Failure.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failure
}

// IsQuiet reports whether err's outermost *Error is Quiet.
func IsQuiet(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Quiet
}

// HintOf returns the first hint found in err's chain, or "".
func HintOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Hint != "" {
			return e.Hint
		}
		err = e.Err
	}
	return ""
}

// WriteError classifies a failure to write output (what: "output",
// "summary"): a reader that closed the pipe (EPIPE) is a quiet BrokenPipe;
// a full disk or quota, a read-only or forbidden place is the machine's
// configuration (Config), with a hint; anything else is a Failure.
func WriteError(what string, err error) error {
	err = fmt.Errorf("write %s: %w", what, err)
	if errors.Is(err, syscall.EPIPE) {
		return &Error{Code: BrokenPipe, Err: err, Quiet: true}
	}
	for _, e := range []error{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EROFS, syscall.EACCES, syscall.EPERM} {
		if errors.Is(err, e) {
			return WithHint(Config, err, "write the output where there is room and permission (another folder or disk)")
		}
	}
	return New(Failure, err)
}

// IsTLS reports whether err is a TLS failure that a retry will not
// change: a certificate that does not verify (unknown authority, wrong
// host name, expired or invalid), an alert from the server, or an answer
// that is not TLS at all. The databases and S3 alike report it as
// configuration.
func IsTLS(err error) bool {
	var (
		cv  *tls.CertificateVerificationError
		rh  tls.RecordHeaderError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		alt tls.AlertError
	)
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &ua) || errors.As(err, &he) ||
		errors.As(err, &ci) || errors.As(err, &alt)
}
