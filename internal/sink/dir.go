package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/names"
)

// Dir stores files in a local folder: each is written to a temporary file
// in its destination folder, synced, then renamed into place (or, for
// Create, hard-linked, which fails rather than replace an existing file),
// and the folder is synced.
//
// No key leaves the folder: every key is checked (names.Key: relative,
// no "." or ".." segment, no empty segment, no backslash or control
// character) and every file is opened through an os.Root, which also
// refuses symbolic links that point outside the folder.
//
// A writer holds a shared lock (flock) on the folder it writes into for
// as long as its temporary file exists. NewDir removes the temporaries
// that writers killed midway left behind, in each folder whose exclusive
// lock it gets (no writer is there).
type Dir struct {
	path string
	root *os.Root
}

// NewDir returns the folder root as an Objects, creating it if needed,
// and removes stale temporary files from it and its leaderboard folders.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		// The folder cannot be made where it was asked for: the place's
		// fault, never a bug.
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EEXIST) {
			return nil, exitcode.WithHint(exitcode.Usage, err, "name a folder, or a path where one can be created")
		}
		if c := classifyFS(err); exitcode.Code(c) != exitcode.Failure {
			return nil, c
		}
		return nil, exitcode.WithHint(exitcode.Config, err, "publish to a folder that can be created here (this file system takes no new folders)")
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, classifyFS(err)
	}
	d := &Dir{path: root, root: r}
	if err := d.cleanTemporaries(); err != nil {
		r.Close()
		return nil, err
	}
	return d, nil
}

// Close releases the folder.
func (d *Dir) Close() error { return d.root.Close() }

func (d *Dir) String() string { return "dir:" + d.path }

// check refuses a key that could name anything outside the folder.
func checkKey(key string) error {
	if err := names.Key(key); err != nil {
		return exitcode.New(exitcode.BadInput, fmt.Errorf("refused: %v", err))
	}
	return nil
}

// Create implements Objects.
func (d *Dir) Create(ctx context.Context, key string, body []byte, _ Meta) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	if _, err := d.root.Lstat(key); err == nil {
		return false, nil
	}
	unlock, err := d.lock(path.Dir(key), syscall.LOCK_SH)
	if err != nil {
		return false, err
	}
	defer unlock()
	tmp, err := d.writeTemp(key, body)
	if err != nil {
		return false, err
	}
	defer d.root.Remove(tmp)
	if err := d.root.Link(tmp, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, classifyFS(err)
	}
	return true, classifyFS(d.syncDir(path.Dir(key)))
}

// Put implements Objects.
func (d *Dir) Put(ctx context.Context, key string, body []byte, _ Meta) error {
	if err := checkKey(key); err != nil {
		return err
	}
	unlock, err := d.lock(path.Dir(key), syscall.LOCK_SH)
	if err != nil {
		return err
	}
	defer unlock()
	return d.put(key, body)
}

// put replaces key by a temporary file; the caller holds a lock on its
// folder.
func (d *Dir) put(key string, body []byte) error {
	tmp, err := d.writeTemp(key, body)
	if err != nil {
		return err
	}
	if err := d.root.Rename(tmp, key); err != nil {
		d.root.Remove(tmp)
		return classifyFS(err)
	}
	return classifyFS(d.syncDir(path.Dir(key)))
}

// Get implements Objects.
func (d *Dir) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	b, err := d.readFile(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, classifyFS(err)
	}
	return b, true, nil
}

// readFile reads the regular file key. Anything else standing at key is
// refused without waiting: opening a FIFO for reading would wait for a
// writer forever, and reading a device might never end.
func (d *Dir) readFile(key string) ([]byte, error) {
	f, err := d.root.OpenFile(key, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		what := "not a regular file"
		switch t := st.Mode().Type(); {
		case t&fs.ModeDir != 0:
			what = "a folder"
		case t&fs.ModeNamedPipe != 0:
			what = "a named pipe (FIFO)"
		case t&fs.ModeSocket != 0:
			what = "a socket"
		case t&fs.ModeDevice != 0:
			what = "a device"
		}
		return nil, exitcode.WithHint(exitcode.Config, fmt.Errorf("%s is %s, not a file", key, what),
			"remove what stands where the --dir layout has a file")
	}
	return io.ReadAll(f)
}

// Update implements Objects: it holds an exclusive lock (flock, released
// by the kernel if the process dies) on the folder that holds key while it
// reads, updates and replaces the file. The lock is on the folder itself,
// so that nothing but the published files is left in it.
func (d *Dir) Update(ctx context.Context, key string, m Meta, update func([]byte) ([]byte, error)) error {
	if err := checkKey(key); err != nil {
		return err
	}
	unlock, err := d.lock(path.Dir(key), syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	old, _, err := d.Get(ctx, key)
	if err != nil {
		return err
	}
	body, err := update(old)
	if err != nil {
		return err
	}
	return d.put(key, body)
}

// lock creates the folder dir (a key's folder, "." for the root) and
// takes a flock of kind how on it; unlock releases it.
func (d *Dir) lock(dir string, how int) (unlock func(), err error) {
	if err := d.root.MkdirAll(dir, 0o755); err != nil {
		return nil, classifyFS(err)
	}
	f, err := d.root.Open(dir)
	if err != nil {
		return nil, classifyFS(err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, classifyFS(err)
	}
	return func() { f.Close() }, nil
}

// tempSuffix ends the name of every temporary file; temporaries start
// with a dot, so that no published name is ever one.
const tempSuffix = ".tmp"

// writeTemp writes body to a synced temporary file next to key and
// returns the temporary's key.
func (d *Dir) writeTemp(key string, body []byte) (string, error) {
	base := strings.TrimSuffix(path.Base(key), path.Ext(key))
	var f *os.File
	var tmp string
	for attempt := 0; ; attempt++ {
		tmp = path.Join(path.Dir(key), fmt.Sprintf(".%s.%08x%s", base, rand.Uint32(), tempSuffix))
		var err error
		f, err = d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || attempt == 100 {
			return "", classifyFS(err)
		}
	}
	_, err := f.Write(body)
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
		d.root.Remove(tmp)
		return "", classifyFS(err)
	}
	return tmp, nil
}

func (d *Dir) syncDir(dir string) error {
	f, err := d.root.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// cleanTemporaries removes the temporary files of writers that died,
// from the root and the folders right under it. A folder whose
// exclusive lock is held elsewhere (a writer at work) is left as it is.
func (d *Dir) cleanTemporaries() error {
	entries, err := fs.ReadDir(d.root.FS(), ".")
	if err != nil {
		return classifyFS(err)
	}
	dirs := []string{"."}
	for _, e := range entries {
		if e.IsDir() && names.Segment(e.Name()) == nil {
			dirs = append(dirs, e.Name())
		}
	}
	for _, dir := range dirs {
		f, err := d.root.Open(dir)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			list, _ := f.ReadDir(-1)
			for _, e := range list {
				if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, ".") && strings.HasSuffix(n, tempSuffix) {
					if err := d.root.Remove(path.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
						f.Close()
						return classifyFS(err)
					}
				}
			}
		}
		f.Close()
	}
	return nil
}

// classifyFS gives a file system error its exit status: a missing
// permission, a read-only file system, a full disk or quota, a path that
// leads through a file or out of the folder are configuration (a person
// must act; a retry would not help); anything else an internal failure.
func classifyFS(err error) error {
	if err == nil || exitcode.Code(err) != exitcode.Failure {
		return err
	}
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return exitcode.WithHint(exitcode.Config, err, "check the --dir folder's permissions and that it is writable")
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return exitcode.WithHint(exitcode.Config, err, "the disk (or quota) holding the --dir folder is full")
	case errors.Is(err, syscall.ENOTDIR), strings.Contains(err.Error(), "path escapes from parent"):
		return exitcode.WithHint(exitcode.Config, err, "a file or a link outside the folder stands where the --dir layout needs a folder")
	}
	return exitcode.New(exitcode.Failure, fmt.Errorf("%w", err))
}
