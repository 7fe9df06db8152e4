package sink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/names"
)

// MaxGetBytes bounds what Get reads (the index): far above any index.
const MaxGetBytes = 64 << 20

// S3API is what the S3 sink needs of an S3 client; *s3.Client satisfies
// it. Errors are the SDK's.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3 stores files in a bucket under a prefix. Create is a conditional put
// (If-None-Match: *): the server refuses to replace an existing key.
type S3 struct {
	api            S3API
	bucket, prefix string // prefix without slashes at either end; may be ""
}

// NewS3 returns the bucket's prefix as an Objects.
func NewS3(api S3API, bucket, prefix string) *S3 {
	return &S3{api: api, bucket: bucket, prefix: strings.Trim(prefix, "/")}
}

// ParseS3URL splits s3://bucket/prefix. Credentials have no place in it
// (the AWS configuration holds them): a URL with a user or password is
// refused, and an error never repeats a value that may hold one.
func ParseS3URL(s string) (bucket, prefix string, err error) {
	shown := fmt.Sprintf("%q", s)
	if strings.Contains(s, "@") {
		shown = "the URL (not shown: it holds an '@', as credentials do)"
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("%s is not an s3://bucket/prefix URL", shown)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		if err := names.Key(prefix); err != nil {
			return "", "", fmt.Errorf("%s is not an s3://bucket/prefix URL: the prefix must be plain folder names (%v)", shown, err)
		}
	}
	return u.Host, prefix, nil
}

// DefaultRequestTimeout bounds one S3 request, from connecting to the
// last byte of the answer, when no other timeout is given; the SDK makes
// up to AWS_MAX_ATTEMPTS (3) attempts.
const DefaultRequestTimeout = 30 * time.Second

// NewS3Client returns a client configured the AWS way (LoadDefaultConfig:
// the standard credential chain, region, AWS_ENDPOINT_URL_S3 and
// AWS_MAX_ATTEMPTS), with endpoint (when not "") and path-style addressing
// (when pathStyle) on top, and each request bounded by timeout
// (DefaultRequestTimeout when 0): an endpoint that accepts the connection
// and never answers fails as a transient error instead of hanging. Without
// a configured region, us-east-1 is used.
func NewS3Client(ctx context.Context, endpoint string, pathStyle bool, timeout time.Duration) (*s3.Client, error) {
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(timeout)))
	if err != nil {
		return nil, exitcode.WithHint(exitcode.Config, fmt.Errorf("S3 configuration: %w", err),
			"check the AWS_* variables and the AWS configuration files")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = pathStyle
	}), nil
}

func (s *S3) String() string {
	if s.prefix == "" {
		return "s3://" + s.bucket
	}
	return "s3://" + s.bucket + "/" + s.prefix
}

// key returns the object key of k under the prefix, or an error when k
// could leave it.
func (s *S3) key(k string) (*string, error) {
	full := k
	if s.prefix != "" {
		full = s.prefix + "/" + k
	}
	if err := checkKey(k); err != nil {
		return nil, err
	}
	if err := checkKey(full); err != nil {
		return nil, err
	}
	return aws.String(full), nil
}

// put stores body under key; with cond "*" only when nothing is there
// (If-None-Match), with an ETag only when that version is there (If-Match).
func (s *S3) put(ctx context.Context, key string, body []byte, m Meta, cond string) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           k,
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(m.ContentType),
		CacheControl:  aws.String(m.CacheControl),
	}
	switch cond {
	case "":
	case "*":
		in.IfNoneMatch = aws.String("*")
	default:
		in.IfMatch = aws.String(cond)
	}
	_, err = s.api.PutObject(ctx, in)
	return err
}

// Create implements Objects.
func (s *S3) Create(ctx context.Context, key string, body []byte, m Meta) (bool, error) {
	err := s.put(ctx, key, body, m, "*")
	if err != nil && httpStatus(err) == 412 {
		return false, nil
	}
	if err != nil {
		return false, classifyS3(err)
	}
	return true, nil
}

// Put implements Objects.
func (s *S3) Put(ctx context.Context, key string, body []byte, m Meta) error {
	return classifyS3(s.put(ctx, key, body, m, ""))
}

// Get implements Objects.
func (s *S3) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, _, found, err := s.get(ctx, key)
	return b, found, err
}

// updateAttempts bounds the optimistic retries of Update.
const updateAttempts = 20

// Update implements Objects with conditional puts: the new content is
// stored only if the version read is still there (If-Match its ETag, or
// If-None-Match when there was none); else it reads and tries again.
func (s *S3) Update(ctx context.Context, key string, m Meta, update func([]byte) ([]byte, error)) error {
	for attempt := 1; ; attempt++ {
		old, etag, found, err := s.get(ctx, key)
		if err != nil {
			return err
		}
		body, err := update(old)
		if err != nil {
			return err
		}
		cond := "*"
		if found {
			cond = etag
		}
		err = s.put(ctx, key, body, m, cond)
		if st := httpStatus(err); (st == 412 || st == 409) && attempt < updateAttempts {
			// Another writer came first: back off a little, differently
			// for each writer, and merge into its version.
			select {
			case <-ctx.Done():
				return exitcode.New(exitcode.Transient, ctx.Err())
			case <-time.After(time.Duration(attempt*(5+rand.IntN(20))) * time.Millisecond):
			}
			continue
		}
		return classifyS3(err)
	}
}

func (s *S3) get(ctx context.Context, key string) ([]byte, string, bool, error) {
	k, err := s.key(key)
	if err != nil {
		return nil, "", false, err
	}
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: k})
	if err != nil {
		// Only S3's own word says the object is missing: a 404 of a
		// server that is not S3, or about a bucket or a user, is not.
		if httpStatus(err) == 404 && s3Code(err, 404) == "NoSuchKey" {
			return nil, "", false, nil
		}
		return nil, "", false, classifyS3(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, MaxGetBytes+1))
	if err != nil {
		return nil, "", false, classifyS3(err)
	}
	if len(b) > MaxGetBytes {
		return nil, "", false, exitcode.Errorf(exitcode.Failure, "%s is larger than %d bytes", key, MaxGetBytes)
	}
	return b, aws.ToString(out.ETag), true, nil
}
