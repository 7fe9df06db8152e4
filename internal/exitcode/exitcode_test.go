package exitcode

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

// TestWriteError: output that cannot be written for want of room or
// permission is configuration, not a bug.
func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{&fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}, Config},
		{fmt.Errorf("flush: %w", syscall.EDQUOT), Config},
		{&fs.PathError{Op: "write", Path: "out", Err: syscall.EROFS}, Config},
		{&fs.PathError{Op: "open", Path: "out", Err: syscall.EACCES}, Config},
		{errors.New("short write"), Failure},
		{&fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}, BrokenPipe},
	} {
		err := WriteError("output", tc.err)
		if Code(err) != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%v: status %d, want %d (%v)", tc.err, Code(err), tc.want, err)
		}
		if IsQuiet(err) != (tc.want == BrokenPipe) {
			t.Errorf("%v: quiet %v", tc.err, IsQuiet(err))
		}
		if tc.want == Config && HintOf(err) == "" {
			t.Errorf("%v: no hint", tc.err)
		}
	}
}
