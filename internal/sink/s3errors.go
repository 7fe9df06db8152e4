package sink

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
)

// The hints of S3 errors, by what a person has to check.
const (
	hintEndpoint = "check --s3-endpoint (AWS_ENDPOINT_URL_S3): it must be an S3 server that takes conditional writes (If-None-Match, If-Match)"
	hintRegion   = "the bucket is in another region or behind another endpoint: set AWS_REGION to the bucket's region, or check --s3-endpoint (AWS_ENDPOINT_URL_S3)"
	hintDenied   = "check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and that they may read and write the bucket's prefix"
	hintBucket   = "check the bucket of --s3 (SNAPSHOT_S3_URI) and the endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3)"
	hintRefused  = "nothing listens at the S3 endpoint: is the server running there, and is --s3-endpoint (AWS_ENDPOINT_URL_S3) right?"
	hintClock    = "this machine's clock is off by more than 15 minutes: S3 refuses its signatures until it is set right"
	hintTLS      = "check the endpoint's scheme (http:// or https://) and its certificate (AWS_CA_BUNDLE): a retry will not change them"
	hintNoCreds  = "give the AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role)"
)

// httpStatus is the HTTP status of the answer behind an S3 error, 0 when
// there was none.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// s3Code is the S3 error code of the answer ("NoSuchBucket"), "" when the
// answer held none: the SDK then makes one from the status's text.
func s3Code(err error, status int) string {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	code := ae.ErrorCode()
	if code == "UnknownError" || status != 0 && code == strings.ReplaceAll(http.StatusText(status), " ", "") {
		return ""
	}
	return code
}

// classifyS3 gives an S3 error its exit status (README, exit statuses):
//   - configuration (4): an endpoint that does not answer as S3 does (a
//     redirect, 405, 501, an answer that is not S3's), a wrong region, a
//     missing bucket, refused credentials or permission, no credentials,
//     TLS that fails, a clock S3 refuses, a full server (507);
//   - transient (5): no answer (connection refused or lost, a timeout,
//     DNS), a server error other than those above, throttling (429,
//     SlowDown), a request timeout (408, RequestTimeout), a conflict with
//     another writer (409, 412);
//   - internal failure (1): an S3 answer that says the request was
//     malformed (InvalidArgument, MalformedXML, ...), and a request the
//     SDK could not build.
//
// An error that already carries an exit status keeps it; nil stays nil.
func classifyS3(err error) error {
	var ee *exitcode.Error
	if err == nil || errors.As(err, &ee) {
		return err
	}
	st := httpStatus(err)
	code := s3Code(err, st)
	switch {
	case st == 0:
		return classifyNoAnswer(err)
	case configCodes[code] == hintRegion || st == 301 || st == 307 || st == 308:
		return exitcode.WithHint(exitcode.Config, err, regionHint(err))
	case configCodes[code] != "":
		return exitcode.WithHint(exitcode.Config, err, configCodes[code])
	case st == 400:
		return classify400(err, code)
	case st == 401 || st == 403:
		return exitcode.WithHint(exitcode.Config, err, hintDenied)
	case st == 408 || st == 409 || st == 412 || st == 425 || st == 429:
		return exitcode.New(exitcode.Transient, err)
	case st == 507:
		return exitcode.WithHint(exitcode.Config, err, "the S3 server has no room left for the files")
	case st == 501 || st == 505 || st == 506 || st == 508 || st == 510 || st == 511:
		return exitcode.WithHint(exitcode.Config, err, hintEndpoint)
	case st >= 500:
		return exitcode.New(exitcode.Transient, err)
	}
	// Any other answer (another redirect or 4xx, a success that is not
	// S3's): a server that is not the S3 endpoint, or one that refuses
	// what S3 takes.
	return exitcode.WithHint(exitcode.Config, err, hintEndpoint)
}

// configCodes are the S3 error codes of settings to fix, whatever their
// status, with their hints.
var configCodes = map[string]string{
	"AuthorizationHeaderMalformed": hintRegion, "IllegalLocationConstraintException": hintRegion,
	"InvalidRegion": hintRegion, "PermanentRedirect": hintRegion,
	"InvalidAccessKeyId": hintDenied, "SignatureDoesNotMatch": hintDenied, "ExpiredToken": hintDenied,
	"InvalidToken": hintDenied, "TokenRefreshRequired": hintDenied, "AuthorizationQueryParametersError": hintDenied,
	"InvalidSecurity": hintDenied, "MissingSecurityHeader": hintDenied, "AccessDenied": hintDenied,
	"AllAccessDisabled": hintDenied, "AccountProblem": hintDenied, "XAdminUserNotFound": hintDenied,
	"InvalidBucketName": hintBucket, "NoSuchBucket": hintBucket,
	"RequestTimeTooSkewed": hintClock,
	"NotImplemented":       hintEndpoint, "MethodNotAllowed": hintEndpoint,
}

// classify400 tells apart the causes of a 400 that configCodes does not
// name.
func classify400(err error, code string) error {
	switch code {
	case "":
		// Not an S3 answer: a web server or a proxy.
		return exitcode.WithHint(exitcode.Config, err, hintEndpoint)
	case "RequestTimeout", "IncompleteBody", "SlowDown", "OperationAborted", "ConditionalRequestConflict":
		return exitcode.New(exitcode.Transient, err)
	}
	// S3 says the request itself is malformed: ours to fix.
	return exitcode.New(exitcode.Failure, err)
}

// regionHint is the hint of an answer that says the bucket is elsewhere:
// it names the bucket's region when S3 does.
func regionHint(err error) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if region := re.Response.Header.Get("X-Amz-Bucket-Region"); region != "" {
			return fmt.Sprintf("the bucket is in region %s: set AWS_REGION=%s, or check --s3-endpoint (AWS_ENDPOINT_URL_S3)", region, region)
		}
	}
	return hintRegion
}

// classifyNoAnswer classifies an S3 error without an HTTP answer: TLS
// that fails, no credentials, an endpoint that cannot be used, a request
// that could not be built; otherwise the endpoint could not be reached or
// stopped answering.
func classifyNoAnswer(err error) error {
	var se *smithy.SerializationError
	msg := err.Error()
	switch {
	case exitcode.IsTLS(err) || strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return exitcode.WithHint(exitcode.Config, err, hintTLS)
	case strings.Contains(msg, "malformed HTTP"):
		// Something answers that does not speak HTTP: another service's
		// port.
		return exitcode.WithHint(exitcode.Config, err, hintEndpoint)
	case strings.Contains(msg, "get identity:"):
		// No credentials: none given, or their service (IMDS, SSO, STS)
		// does not give any here.
		return exitcode.WithHint(exitcode.Config, err, hintNoCreds)
	case strings.Contains(msg, "resolve endpoint") || strings.Contains(msg, "failed to resolve service endpoint"):
		return exitcode.WithHint(exitcode.Config, err, hintEndpoint)
	case errors.As(err, &se):
		return exitcode.New(exitcode.Failure, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		// Transient (the server may be starting), but worth a look.
		return exitcode.WithHint(exitcode.Transient, err, hintRefused)
	}
	return exitcode.New(exitcode.Transient, err)
}
