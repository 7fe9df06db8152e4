package sink

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
)

// Dir stores files in a local folder: each is written to a temporary file
// in its destination folder, synced, then renamed into place (or, for
// Create, hard-linked, which fails rather than replace an existing file),
// and the folder is synced.
type Dir struct{ root string }

// NewDir returns the folder root as an Objects, creating it if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, classifyFS(err)
	}
	return &Dir{root: root}, nil
}

func (d *Dir) String() string { return "dir:" + d.root }

func (d *Dir) path(key string) string { return filepath.Join(d.root, filepath.FromSlash(key)) }

// Create implements Objects.
func (d *Dir) Create(ctx context.Context, key string, body []byte, _ Meta) (bool, error) {
	dst := d.path(key)
	if _, err := os.Lstat(dst); err == nil {
		return false, nil
	}
	tmp, err := d.writeTemp(dst, body)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, classifyFS(err)
	}
	return true, classifyFS(syncDir(filepath.Dir(dst)))
}

// Put implements Objects.
func (d *Dir) Put(ctx context.Context, key string, body []byte, _ Meta) error {
	dst := d.path(key)
	tmp, err := d.writeTemp(dst, body)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return classifyFS(err)
	}
	return classifyFS(syncDir(filepath.Dir(dst)))
}

// Get implements Objects.
func (d *Dir) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := os.ReadFile(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, classifyFS(err)
	}
	return b, true, nil
}

// Update implements Objects: it holds an exclusive lock (flock, released
// by the kernel if the process dies) on the folder that holds key while it
// reads, updates and replaces the file. The lock is on the folder itself,
// so that nothing but the published files is left in it.
func (d *Dir) Update(ctx context.Context, key string, m Meta, update func([]byte) ([]byte, error)) error {
	dst := d.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return classifyFS(err)
	}
	lock, err := os.Open(filepath.Dir(dst))
	if err != nil {
		return classifyFS(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return classifyFS(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	old, _, err := d.Get(ctx, key)
	if err != nil {
		return err
	}
	body, err := update(old)
	if err != nil {
		return err
	}
	return d.Put(ctx, key, body, m)
}

// writeTemp writes body to a synced temporary file next to dst.
func (d *Dir) writeTemp(dst string, body []byte) (string, error) {
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", classifyFS(err)
	}
	f, err := os.CreateTemp(dir, "."+strings.TrimSuffix(filepath.Base(dst), filepath.Ext(dst))+".*.tmp")
	if err != nil {
		return "", classifyFS(err)
	}
	_, err = f.Write(body)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", classifyFS(err)
	}
	return f.Name(), nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// classifyFS gives a file system error its exit status: a missing
// permission is configuration, anything else an internal failure.
func classifyFS(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrPermission) {
		return exitcode.WithHint(exitcode.Config, err, "check the --dir folder's permissions")
	}
	return exitcode.New(exitcode.Failure, fmt.Errorf("%w", err))
}
