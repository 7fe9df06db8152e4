package sink

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// fakeClient is an S3 client of endpoint with one attempt per request,
// so that a status the SDK retries is seen at once.
func fakeClient(t *testing.T, endpoint string) *s3.Client {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	client, err := NewS3Client(context.Background(), endpoint, true, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// answering is a fake endpoint on 127.0.0.1 that answers every request
// with status, header and body.
func answering(t *testing.T, status int, header map[string]string, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		strings.NewReader(body).WriteTo(w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

var statusName = map[int]string{exitcode.Failure: "internal failure", exitcode.Config: "configuration", exitcode.Transient: "transient"}

// TestS3StatusClasses: every HTTP status an endpoint that is not an S3
// server may answer gets the class the README gives it: configuration
// for an endpoint that is not S3 (redirects, 4xx, 501 and the like),
// transient for server errors, throttling, timeouts and conflicts.
func TestS3StatusClasses(t *testing.T) {
	want := map[int]int{}
	for st := 300; st < 600; st++ {
		if http.StatusText(st) == "" || st == 304 {
			continue // 304 has no body, and no S3 request asks for it
		}
		want[st] = exitcode.Config
	}
	for _, st := range []int{408, 409, 412, 425, 429, 500, 502, 503, 504} {
		want[st] = exitcode.Transient
	}
	page := "<!DOCTYPE html><html><body><h1>Not here</h1></body></html>"
	for st, class := range want {
		t.Run(fmt.Sprint(st), func(t *testing.T) {
			objs := NewS3(fakeClient(t, answering(t, st, map[string]string{"Content-Type": "text/html"}, page)), "arena", "lb")
			err := objs.Put(context.Background(), "overall/latest.json", []byte("{}"), Meta{ContentType: TypeJSON})
			if got := exitcode.Code(err); got != class {
				t.Errorf("PUT answered %d: %s (%v), want %s", st, statusName[got], err, statusName[class])
			}
			if st == 404 {
				return // GET: a missing object
			}
			_, _, err = objs.Get(context.Background(), "index.json")
			if got := exitcode.Code(err); got != class {
				t.Errorf("GET answered %d: %s (%v), want %s", st, statusName[got], err, statusName[class])
			}
		})
	}
}

// s3Error is an S3 error document.
func s3Error(code string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>fake</Message><RequestId>1</RequestId></Error>`
}

// TestS3CodeClasses: what an S3 server says in its error codes decides
// where the status alone does not.
func TestS3CodeClasses(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		header map[string]string
		class  int
		hint   string
	}{
		{400, "InvalidArgument", nil, exitcode.Failure, ""},
		{400, "MalformedXML", nil, exitcode.Failure, ""},
		{400, "RequestTimeout", nil, exitcode.Transient, ""},
		{400, "AuthorizationHeaderMalformed", nil, exitcode.Config, "AWS_REGION"},
		{400, "InvalidAccessKeyId", nil, exitcode.Config, "credentials"},
		{400, "ExpiredToken", nil, exitcode.Config, "credentials"},
		{400, "InvalidBucketName", nil, exitcode.Config, "bucket"},
		{403, "AccessDenied", nil, exitcode.Config, "credentials"},
		{403, "SignatureDoesNotMatch", nil, exitcode.Config, "credentials"},
		{403, "RequestTimeTooSkewed", nil, exitcode.Config, "clock"},
		{404, "NoSuchBucket", nil, exitcode.Config, "bucket"},
		{301, "PermanentRedirect", map[string]string{"X-Amz-Bucket-Region": "eu-west-3"}, exitcode.Config, "AWS_REGION=eu-west-3"},
		{409, "OperationAborted", nil, exitcode.Transient, ""},
		{412, "PreconditionFailed", nil, exitcode.Transient, ""},
		{501, "NotImplemented", nil, exitcode.Config, "conditional writes"},
		{503, "SlowDown", nil, exitcode.Transient, ""},
		{500, "InternalError", nil, exitcode.Transient, ""},
		{507, "XMinioStorageFull", nil, exitcode.Config, "room"},
	} {
		t.Run(fmt.Sprint(tc.status, tc.code), func(t *testing.T) {
			header := map[string]string{"Content-Type": "application/xml"}
			for k, v := range tc.header {
				header[k] = v
			}
			objs := NewS3(fakeClient(t, answering(t, tc.status, header, s3Error(tc.code))), "arena", "lb")
			err := objs.Put(context.Background(), "overall/latest.json", []byte("{}"), Meta{ContentType: TypeJSON})
			if got := exitcode.Code(err); got != tc.class {
				t.Errorf("%s: %v (%v), want %s", statusName[got], err, exitcode.Code(err), statusName[tc.class])
			}
			if !strings.Contains(exitcode.HintOf(err), tc.hint) {
				t.Errorf("hint %q, want one that says %q", exitcode.HintOf(err), tc.hint)
			}
		})
	}
}

// TestS3NoAnswerClasses: without an HTTP answer, a connection refused or
// cut is transient; TLS that fails and missing credentials are
// configuration.
func TestS3NoAnswerClasses(t *testing.T) {
	put := func(t *testing.T, client *s3.Client) error {
		return NewS3(client, "arena", "lb").Put(context.Background(), "overall/latest.json", []byte("{}"), Meta{})
	}
	t.Run("refused", func(t *testing.T) {
		err := put(t, fakeClient(t, "http://127.0.0.1:"+faulttest.FreePort(t)))
		if exitcode.Code(err) != exitcode.Transient || !strings.Contains(exitcode.HintOf(err), "nothing listens at the S3 endpoint") {
			t.Errorf("connection refused: %v (hint %q)", err, exitcode.HintOf(err))
		}
	})
	t.Run("cut", func(t *testing.T) {
		if err := put(t, fakeClient(t, "http://"+faulttest.Hangup(t))); exitcode.Code(err) != exitcode.Transient {
			t.Errorf("connection cut: %v", err)
		}
	})
	t.Run("not http", func(t *testing.T) {
		// A GET: a PUT may still be sending its body when the answer
		// comes, and fail writing it.
		_, _, err := NewS3(fakeClient(t, "http://"+faulttest.NotHTTP(t)), "arena", "lb").Get(context.Background(), "index.json")
		if exitcode.Code(err) != exitcode.Config {
			t.Errorf("a port that does not speak HTTP: %v", err)
		}
	})
	t.Run("https to an http server", func(t *testing.T) {
		url := answering(t, 200, nil, "")
		err := put(t, fakeClient(t, strings.Replace(url, "http://", "https://", 1)))
		if exitcode.Code(err) != exitcode.Config || !strings.Contains(exitcode.HintOf(err), "scheme") {
			t.Errorf("https to http: %v (hint %q)", err, exitcode.HintOf(err))
		}
	})
	t.Run("certificate not trusted", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		srv.TLS = &tls.Config{}
		srv.StartTLS()
		defer srv.Close()
		if err := put(t, fakeClient(t, srv.URL)); exitcode.Code(err) != exitcode.Config {
			t.Errorf("untrusted certificate: %v", err)
		}
	})
	t.Run("http to an https server", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		defer srv.Close()
		if err := put(t, fakeClient(t, strings.Replace(srv.URL, "https://", "http://", 1))); exitcode.Code(err) != exitcode.Config {
			t.Errorf("http to https: %v", err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		fakeClient(t, "") // the settings of the others, then none
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		client, err := NewS3Client(context.Background(), answering(t, 200, nil, ""), true, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := put(t, client); exitcode.Code(err) != exitcode.Config || !strings.Contains(exitcode.HintOf(err), "AWS_ACCESS_KEY_ID") {
			t.Errorf("no credentials: %v (hint %q)", err, exitcode.HintOf(err))
		}
	})
}
