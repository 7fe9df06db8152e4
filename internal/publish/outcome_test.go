package publish

import (
	"errors"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
)

// Partial (6) says that something was published; a run that published
// nothing ends with the status of its gravest failure.
func TestOutcome(t *testing.T) {
	bad := exitcode.New(exitcode.BadInput, errors.New("bad record"))
	full := exitcode.New(exitcode.Config, errors.New("no space left on device"))
	lost := exitcode.New(exitcode.Transient, errors.New("connection lost"))
	bug := exitcode.New(exitcode.Failure, errors.New("bug"))
	for _, c := range []struct {
		name          string
		failures, idx []error
		published     int
		want          int
	}{
		{"nothing failed", nil, nil, 3, exitcode.OK},
		{"one bad record, others published", []error{bad}, nil, 2, exitcode.Partial},
		{"only bad records", []error{bad, bad}, nil, 0, exitcode.BadInput},
		{"disk full, nothing published", []error{full, full}, nil, 0, exitcode.Config},
		{"disk full and a bad record, nothing published", []error{bad, full}, nil, 0, exitcode.Config},
		{"lost, nothing published", []error{lost, lost}, nil, 0, exitcode.Transient},
		{"lost and a bad record", []error{lost, bad}, nil, 0, exitcode.BadInput},
		{"a bug among them", []error{lost, bug, full}, nil, 0, exitcode.Failure},
		{"lost, some published", []error{lost}, nil, 1, exitcode.Partial},
		{"only the index, disk full", nil, []error{full}, 2, exitcode.Config},
		{"only the index, bad", nil, []error{bad}, 2, exitcode.Partial},
	} {
		if got := exitcode.Code(outcome(c.failures, c.idx, c.published)); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
}
