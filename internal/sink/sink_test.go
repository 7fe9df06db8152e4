package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/s3test"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// doc is a snapshot document as far as the sinks read one: its stamp.
func doc(id string, at time.Time, v int) []byte {
	return []byte(fmt.Sprintf(`{"snapshot_identifier":%q,"published_at":%q,"v":%d}`+"\n", id, at.Format(time.RFC3339), v))
}

// exercise runs the layout contract against objs; read returns a stored
// file's bytes straight from the backing store ("" when absent).
func exercise(t *testing.T, objs Objects, read func(key string) string) {
	ctx := context.Background()
	s := New(objs)
	doc1, svg1 := doc("snapshot_1", t0, 1), []byte("<svg>1</svg>")
	if err := s.Publish(ctx, "overall", "snapshot_1", doc1, svg1); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"overall/snapshot_1.json": string(doc1), "overall/snapshot_1.svg": string(svg1),
		"overall/latest.json": string(doc1), "overall/latest.svg": string(svg1),
	} {
		if got := read(key); got != want {
			t.Errorf("%s holds %q, want %q", key, got, want)
		}
	}
	// The same snapshot again is fine (a rerun after a partial failure),
	// and its pictures are redrawn: a fixed drawing replaces a broken one.
	redrawn := []byte("<svg>fixed drawing</svg>")
	pairs := Extra{Suffix: "pairs.json", Body: []byte(`{"pairs":[]}`), ContentType: TypeJSON}
	heat := Extra{Suffix: "observed.svg", Body: []byte("<svg>heat</svg>"), ContentType: TypeSVG}
	if err := s.Publish(ctx, "overall", "snapshot_1", doc1, redrawn, pairs, heat); err != nil {
		t.Errorf("republishing the same document: %v", err)
	}
	for key, want := range map[string]string{
		"overall/snapshot_1.svg": string(redrawn), "overall/latest.svg": string(redrawn),
		"overall/snapshot_1.pairs.json": string(pairs.Body), "overall/snapshot_1.observed.svg": string(heat.Body),
	} {
		if got := read(key); got != want {
			t.Errorf("%s holds %q, want %q", key, got, want)
		}
	}
	// An extra document is immutable like the document.
	other := pairs
	other.Body = []byte(`{"pairs":[1]}`)
	if err := s.Publish(ctx, "overall", "snapshot_1", doc1, redrawn, other); exitcode.Code(err) != exitcode.BadInput {
		t.Errorf("overwriting an immutable pairs document: %v", err)
	}
	if got := read("overall/snapshot_1.pairs.json"); got != string(pairs.Body) {
		t.Errorf("the immutable pairs document was replaced: %q", got)
	}
	// A different document under the same identifier is refused, and
	// latest stays.
	err := s.Publish(ctx, "overall", "snapshot_1", doc("snapshot_1", t0, 2), svg1)
	if err == nil || !strings.Contains(err.Error(), "exists with different content") || exitcode.Code(err) != exitcode.BadInput {
		t.Errorf("overwriting an immutable document: %v", err)
	}
	if got := read("overall/snapshot_1.json"); got != string(doc1) {
		t.Errorf("the immutable document was replaced: %q", got)
	}
	if got := read("overall/latest.json"); got != string(doc1) {
		t.Errorf("latest moved to a refused document: %q", got)
	}
	doc2, svg2 := doc("snapshot_2", t0.Add(time.Hour), 2), []byte("<svg>2</svg>")
	if err := s.Publish(ctx, "overall", "snapshot_2", doc2, svg2); err != nil {
		t.Fatal(err)
	}
	if got := read("overall/latest.json"); got != string(doc2) {
		t.Errorf("latest is %q after a new snapshot", got)
	}
	// An older snapshot (a backfill) is stored, and latest stays.
	doc0 := doc("snapshot_0", t0.Add(-24*time.Hour), 0)
	if err := s.Publish(ctx, "overall", "snapshot_0", doc0, []byte("<svg>0</svg>")); err != nil {
		t.Fatal(err)
	}
	if read("overall/snapshot_0.json") != string(doc0) || read("overall/snapshot_0.svg") != "<svg>0</svg>" {
		t.Errorf("the older snapshot's files were not stored")
	}
	if read("overall/latest.json") != string(doc2) || read("overall/latest.svg") != string(svg2) {
		t.Errorf("an older snapshot moved latest back: %q %q", read("overall/latest.json"), read("overall/latest.svg"))
	}

	// The index keeps leaderboards a run did not publish.
	a := snapshot.IndexEntry{Leaderboard: "overall", Identifier: "snapshot_2"}
	b := snapshot.IndexEntry{Leaderboard: "genomics", Identifier: "snapshot_1"}
	if err := s.WriteIndex(ctx, []snapshot.IndexEntry{a, b}, t0); err != nil {
		t.Fatal(err)
	}
	a.Identifier = "snapshot_3"
	if err := s.WriteIndex(ctx, []snapshot.IndexEntry{a}, t0); err != nil {
		t.Fatal(err)
	}
	var idx snapshot.Index
	if err := json.Unmarshal([]byte(read("index.json")), &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Leaderboards) != 2 || idx.Leaderboards[0] != b || idx.Leaderboards[1] != a {
		t.Errorf("index %+v", idx.Leaderboards)
	}
}

func TestDir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "out")
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, d, func(key string) string {
		b, _ := os.ReadFile(filepath.Join(root, key))
		return string(b)
	})
	if d.String() != "dir:"+root {
		t.Errorf("String() = %q", d)
	}
	// No temporary file is left behind.
	filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if strings.HasSuffix(p, ".tmp") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func TestDirPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores folder permissions")
	}
	root := t.TempDir()
	os.Chmod(root, 0o500)
	defer os.Chmod(root, 0o700)
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := New(d).Publish(context.Background(), "x", "s", []byte("{}"), nil); exitcode.Code(err) != exitcode.Config {
		t.Errorf("writing to a read-only folder: %v", err)
	}
}

// A FIFO, a folder or a socket where the layout has a file is refused at
// once: opening a FIFO to read it would wait for a writer forever.
func TestDirNotAFile(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	os.MkdirAll(filepath.Join(root, "overall", "latest.json"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(root, "index.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "overall", "index.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for key, want := range map[string]string{
		"index.json":          "index.json is a named pipe (FIFO), not a file",
		"overall/index.json":  "overall/index.json is a named pipe (FIFO), not a file",
		"overall/latest.json": "overall/latest.json is a folder, not a file",
	} {
		done := make(chan error, 1)
		go func() {
			_, _, err := d.Get(ctx, key)
			if err == nil {
				err = d.Update(ctx, key, Meta{}, func(b []byte) ([]byte, error) { return b, nil })
			}
			done <- err
		}()
		select {
		case err := <-done:
			if exitcode.Code(err) != exitcode.Config || !strings.Contains(err.Error(), want) {
				t.Errorf("Get(%s) = %v (status %d), want configuration (4) saying %q", key, err, exitcode.Code(err), want)
			}
		case <-time.After(time.Minute):
			t.Fatalf("Get(%s) still waits after a minute", key)
		}
	}
	// The site and the index read those files: publishing says so too.
	err = New(d).Publish(ctx, "overall", "snapshot_2025-06-01_12-00-00", doc("snapshot_2025-06-01_12-00-00", t0, 1), nil)
	if exitcode.Code(err) != exitcode.Config {
		t.Errorf("Publish with a FIFO in the layout: %v", err)
	}
}

func TestParseS3URL(t *testing.T) {
	for in, want := range map[string][2]string{
		"s3://bucket": {"bucket", ""}, "s3://bucket/": {"bucket", ""}, "s3://b/p/q/": {"b", "p/q"},
	} {
		b, p, err := ParseS3URL(in)
		if err != nil || b != want[0] || p != want[1] {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v", in, b, p, err)
		}
	}
	for _, in := range []string{"", "bucket/x", "http://b/p", "s3:///p", "s3://b/p?x=1"} {
		if _, _, err := ParseS3URL(in); err == nil {
			t.Errorf("ParseS3URL(%q) accepted", in)
		}
	}
}

func s3Reader(t *testing.T, srv *s3test.Server, prefix string) func(string) string {
	return func(key string) string {
		b, _ := os.ReadFile(filepath.Join(srv.Dir, srv.Bucket, prefix, key))
		return string(b)
	}
}

// s3Client starts a private S3 server and returns a client configured, as
// in production, from the environment alone: the endpoint comes from
// AWS_ENDPOINT_URL_S3, read by the SDK itself.
func s3Client(t *testing.T) (*s3test.Server, *s3.Client) {
	srv := s3test.Start(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	client, err := NewS3Client(context.Background(), "", true, 0)
	if err != nil {
		t.Fatal(err)
	}
	return srv, client
}

func TestS3(t *testing.T) {
	srv, client := s3Client(t)
	objs := NewS3(client, srv.Bucket, "/arena/v1/")
	if objs.String() != "s3://arena/arena/v1" {
		t.Errorf("String() = %q", objs)
	}
	exercise(t, objs, s3Reader(t, srv, "arena/v1"))

	out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("arena/v1/overall/snapshot_1.json")})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if aws.ToString(out.ContentType) != TypeJSON || aws.ToString(out.CacheControl) != CacheImmutable {
		t.Errorf("immutable document: Content-Type %q, Cache-Control %q", aws.ToString(out.ContentType), aws.ToString(out.CacheControl))
	}
	out, err = client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("arena/v1/overall/latest.svg")})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if aws.ToString(out.ContentType) != TypeSVG || aws.ToString(out.CacheControl) != CacheLatest {
		t.Errorf("latest chart: Content-Type %q, Cache-Control %q", aws.ToString(out.ContentType), aws.ToString(out.CacheControl))
	}
}

func TestS3StoppedBeforeLatest(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	s := New(NewS3(srv.Client(), srv.Bucket, "p"))
	read := s3Reader(t, srv, "p")
	old, new := doc("snapshot_1", t0, 1), doc("snapshot_2", t0.Add(time.Hour), 2)
	if err := s.Publish(ctx, "overall", "snapshot_1", old, []byte("<svg/>")); err != nil {
		t.Fatal(err)
	}
	s.BeforeLatest = srv.Stop
	err := s.Publish(ctx, "overall", "snapshot_2", new, []byte("<svg/>"))
	if exitcode.Code(err) != exitcode.Transient {
		t.Fatalf("publishing to a stopped server: %v (status %d), want transient", err, exitcode.Code(err))
	}
	if got := read("overall/latest.json"); got != string(old) {
		t.Errorf("latest is %q, want the old one", got)
	}
	if got := read("overall/snapshot_2.json"); got != string(new) {
		t.Errorf("the immutable document is %q", got)
	}
}

func TestS3Errors(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	if _, err := New(NewS3(srv.Client(), "no-such-bucket", "")).objs.Create(ctx, "k", []byte("x"), Meta{}); exitcode.Code(err) != exitcode.Config {
		t.Errorf("missing bucket: %v (status %d), want configuration", err, exitcode.Code(err))
	}
	badClient := s3.New(s3.Options{BaseEndpoint: aws.String(srv.Endpoint), Region: srv.Region, UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, "wrong-secret-0123456789", "")})
	if err := NewS3(badClient, srv.Bucket, "").Put(ctx, "k", []byte("x"), Meta{}); exitcode.Code(err) != exitcode.Config {
		t.Errorf("wrong secret: %v (status %d), want configuration", err, exitcode.Code(err))
	}
	for name, client := range map[string]*s3.Client{
		"unknown access key": s3.New(s3.Options{BaseEndpoint: aws.String(srv.Endpoint), Region: srv.Region, UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("nobody", srv.SecretKey, "")}),
		"another region": s3.New(s3.Options{BaseEndpoint: aws.String(srv.Endpoint), Region: "ap-south-2", UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")}),
	} {
		objs := NewS3(client, srv.Bucket, "")
		if err := objs.Put(ctx, "k", []byte("x"), Meta{}); exitcode.Code(err) != exitcode.Config {
			t.Errorf("%s: PUT: %v (status %d), want configuration", name, err, exitcode.Code(err))
		}
		if _, _, err := objs.Get(ctx, "index.json"); exitcode.Code(err) != exitcode.Config {
			t.Errorf("%s: GET: %v (status %d), want configuration", name, err, exitcode.Code(err))
		}
	}
	if _, found, err := NewS3(srv.Client(), srv.Bucket, "").Get(ctx, "absent"); found || err != nil {
		t.Errorf("absent key: %v %v", found, err)
	}
}

// Writers of the index at the same moment keep every one's line: none is
// lost to another's read-merge-write.
func concurrentIndexWriters(t *testing.T, objs Objects) {
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			line := snapshot.IndexEntry{Leaderboard: fmt.Sprintf("board-%d", i), Identifier: "snapshot_1"}
			errs <- New(objs).WriteIndex(context.Background(), []snapshot.IndexEntry{line}, t0)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, _, err := objs.Get(context.Background(), "index.json")
	if err != nil {
		t.Fatal(err)
	}
	var idx snapshot.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Leaderboards) != writers {
		t.Errorf("index holds %d leaderboards, want %d: %s", len(idx.Leaderboards), writers, b)
	}
	if d, ok := objs.(*Dir); ok {
		entries, _ := os.ReadDir(d.path)
		if len(entries) != 1 || entries[0].Name() != "index.json" {
			t.Errorf("the folder holds %v, want only index.json", entries)
		}
	}
}

func TestIndexConcurrentWritersDir(t *testing.T) {
	dir, err := NewDir(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	concurrentIndexWriters(t, dir)
}

func TestIndexConcurrentWritersS3(t *testing.T) {
	srv, client := s3Client(t)
	concurrentIndexWriters(t, NewS3(client, srv.Bucket, "concurrent"))
}
