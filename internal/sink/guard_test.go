package sink

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/faulttest"
)

// hostileKeys are keys that must never be written, in any sink.
var hostileKeys = []string{
	"../escaped.json", "../../escaped/latest.json", "a/../../escaped.json", "/etc/escaped.json", "./x.json",
	"a/./x.json", "a//x.json", "a/", "", ".", "..", `..\escaped.json`, "a\x00b/x.json", "a/b\n.json",
}

// outside lists what exists under parent apart from root itself.
func outside(t *testing.T, parent, root string) []string {
	var found []string
	filepath.WalkDir(parent, func(p string, e fs.DirEntry, err error) error {
		if strings.HasPrefix(root+string(filepath.Separator), p+string(filepath.Separator)) || strings.HasPrefix(p, root+string(filepath.Separator)) {
			return nil
		}
		found = append(found, p)
		return nil
	})
	return found
}

func TestDirRefusesKeysOutsideTheFolder(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	root := filepath.Join(parent, "site", "out")
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range hostileKeys {
		if _, err := d.Create(ctx, key, []byte("x"), Meta{}); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Create(%q) = %v, want a refusal", key, err)
		}
		if err := d.Put(ctx, key, []byte("x"), Meta{}); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Put(%q) = %v, want a refusal", key, err)
		}
		if _, _, err := d.Get(ctx, key); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Get(%q) = %v, want a refusal", key, err)
		}
		if err := d.Update(ctx, key, Meta{}, func([]byte) ([]byte, error) { return []byte("x"), nil }); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Update(%q) = %v, want a refusal", key, err)
		}
	}
	// A link planted in the folder does not lead out of it.
	escape := filepath.Join(parent, "elsewhere")
	os.Mkdir(escape, 0o755)
	if err := os.Symlink(escape, filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "linked/latest.json", []byte("x"), Meta{}); err == nil {
		t.Errorf("Put through a link to %s succeeded", escape)
	} else if c := exitcode.Code(err); c != exitcode.Config {
		t.Errorf("Put through a link: status %d (%v), want %d", c, err, exitcode.Config)
	}
	os.Remove(filepath.Join(root, "linked"))
	os.Remove(escape)
	if got := outside(t, parent, root); len(got) > 0 {
		t.Errorf("written outside the folder: %v", got)
	}
}

func TestPublishRefusesSlugsThatAreNotLeaderboards(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	root := filepath.Join(parent, "out")
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	s := New(d)
	for _, slug := range []string{"..", ".", "../../escaped", "index.json", "index.html", "runs", "held", "a/b", "", "Gene Therapy"} {
		if err := s.Publish(ctx, slug, "snapshot_1", []byte("{}"), []byte("<svg/>")); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Publish(%q) = %v, want a refusal", slug, err)
		}
	}
	for _, id := range []string{"latest", "../x", ".hidden", "", "a/b"} {
		if err := s.Publish(ctx, "overall", id, []byte("{}"), []byte("<svg/>")); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Publish(overall, %q) = %v, want a refusal", id, err)
		}
	}
	if got := outside(t, parent, root); len(got) > 0 {
		t.Errorf("written outside the folder: %v", got)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) > 0 {
		t.Errorf("refused publications left %v", entries)
	}
}

// keyRecorder is an S3API that records the keys asked for.
type keyRecorder struct{ keys []string }

func (k *keyRecorder) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	k.keys = append(k.keys, aws.ToString(in.Key))
	return &s3.PutObjectOutput{}, nil
}

func (k *keyRecorder) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	k.keys = append(k.keys, aws.ToString(in.Key))
	return nil, fmt.Errorf("not here")
}

func TestS3RefusesKeysOutsideThePrefix(t *testing.T) {
	ctx := context.Background()
	rec := &keyRecorder{}
	objs := NewS3(rec, "bucket", "arena/v1")
	for _, key := range hostileKeys {
		if _, err := objs.Create(ctx, key, []byte("x"), Meta{}); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Create(%q) = %v, want a refusal", key, err)
		}
		if _, _, err := objs.Get(ctx, key); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Get(%q) = %v, want a refusal", key, err)
		}
		if err := objs.Update(ctx, key, Meta{}, func([]byte) ([]byte, error) { return nil, nil }); exitcode.Code(err) != exitcode.BadInput {
			t.Errorf("Update(%q) = %v, want a refusal", key, err)
		}
	}
	if err := New(objs).Publish(ctx, "../escaped", "snapshot_1", []byte("{}"), nil); exitcode.Code(err) != exitcode.BadInput {
		t.Errorf("Publish(../escaped) = %v", err)
	}
	if len(rec.keys) > 0 {
		t.Errorf("keys sent to S3: %q", rec.keys)
	}
	// A prefix that is not plain folder names is refused too.
	if _, _, err := NewS3(rec, "bucket", "a/../..").Get(ctx, "index.json"); exitcode.Code(err) != exitcode.BadInput {
		t.Errorf("prefix a/../..: %v", err)
	}
	for _, u := range []string{"s3://bucket/../x", "s3://bucket/a/../../x", "s3://bucket/a//b", `s3://bucket/a\..\b`,
		"s3://AKIAEXAMPLE:s3cret@bucket/prefix", "s3://s3cret@bucket"} {
		_, _, err := ParseS3URL(u)
		if err == nil {
			t.Errorf("ParseS3URL(%q) accepted", u)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseS3URL(%q) shows the secret: %v", u, err)
		}
	}
}

func TestClassifyFS(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EROFS}, exitcode.Config},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES}, exitcode.Config},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, exitcode.Config},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}, exitcode.Config},
		{&fs.PathError{Op: "open", Path: "x", Err: syscall.ENOTDIR}, exitcode.Config},
		{&fs.PathError{Op: "write", Path: "x", Err: syscall.EIO}, exitcode.Failure},
	} {
		if got := exitcode.Code(classifyFS(c.err)); got != c.want {
			t.Errorf("classifyFS(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// FuzzDirKey writes under any key and checks that nothing appears outside
// the folder.
func FuzzDirKey(f *testing.F) {
	for _, k := range append(hostileKeys, "overall/latest.json", "index.json", "a/b/c.json") {
		f.Add(k)
	}
	parent := f.TempDir()
	root := filepath.Join(parent, "out")
	d, err := NewDir(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string) {
		ctx := context.Background()
		d.Put(ctx, key, []byte("x"), Meta{})
		d.Create(ctx, key+".c", []byte("x"), Meta{})
		if got := outside(t, parent, root); len(got) > 0 {
			t.Fatalf("key %q wrote outside the folder: %v", key, got)
		}
	})
}

// TestDirKillLoop kills a publishing process again and again at random
// moments, then checks that every published file is whole and that the
// next run leaves no temporary file behind.
func TestDirKillLoop(t *testing.T) {
	if dir := os.Getenv("SINK_KILL_LOOP_DIR"); dir != "" {
		killLoopWriter(dir)
		return
	}
	if testing.Short() {
		t.Skip("kill loop skipped in -short mode")
	}
	root := filepath.Join(t.TempDir(), "out")
	stale := 0
	for i := 0; i < 12; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDirKillLoop$")
		cmd.Env = append(os.Environ(), "SINK_KILL_LOOP_DIR="+root)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(40+i*7) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		stale += len(temporaries(root))
	}
	t.Logf("%d temporary files left by 12 killed writers", stale)
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if tmp := temporaries(root); len(tmp) > 0 {
		t.Errorf("temporary files left after a new run opened the folder: %v", tmp)
	}
	// Every published file is whole.
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if e != nil && e.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			if len(b) != killLoopSize || b[0] != '{' || b[len(b)-1] != '}' {
				t.Errorf("%s is not whole (%d bytes)", p, len(b))
			}
		}
		return nil
	})
	// A temporary file of a writer at work is not taken away from it.
	unlock, err := d.lock("overall", syscall.LOCK_SH)
	if err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(root, "overall", ".latest.live"+tempSuffix)
	os.WriteFile(live, []byte("x"), 0o644)
	if _, err := NewDir(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live writer's temporary file was removed: %v", err)
	}
	unlock()
}

const killLoopSize = 1 << 20

func killLoopWriter(root string) {
	d, err := NewDir(root)
	if err != nil {
		panic(err)
	}
	body := bytes.Repeat([]byte("x"), killLoopSize)
	body[0], body[len(body)-1] = '{', '}'
	ctx := context.Background()
	for i := 0; ; i++ {
		for _, slug := range []string{"overall", "genomics"} {
			d.Create(ctx, fmt.Sprintf("%s/snapshot_%d.json", slug, i), body, Meta{})
			d.Put(ctx, slug+"/latest.json", body, Meta{})
		}
		d.Update(ctx, "index.json", Meta{}, func([]byte) ([]byte, error) { return body, nil })
	}
}

func temporaries(root string) []string {
	var tmp []string
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if strings.HasSuffix(p, tempSuffix) {
			tmp = append(tmp, p)
		}
		return nil
	})
	return tmp
}

// An S3 endpoint that accepts the connection and never answers: each
// request ends after the timeout, as a transient error.
func TestS3SilentEndpoint(t *testing.T) {
	addr := faulttest.Silent(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
	client, err := NewS3Client(context.Background(), "http://"+addr, true, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	objs := NewS3(client, "arena", "lb")
	start := time.Now()
	if _, _, err := objs.Get(context.Background(), "index.json"); exitcode.Code(err) != exitcode.Transient {
		t.Errorf("Get from a silent endpoint: %v, want a transient error", err)
	}
	if err := objs.Put(context.Background(), "overall/latest.json", []byte("{}"), Meta{}); exitcode.Code(err) != exitcode.Transient {
		t.Errorf("Put to a silent endpoint: %v, want a transient error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("two requests of 2 attempts of 300ms took %v", d)
	}
}
