package exitcode

import (
	"strings"
	"sync/atomic"
	"testing"
)

func crashInWorker() { panic("boom") }

// A panic in one goroutine of a group is raised again in the one that
// waits, with the stack of the goroutine that panicked, after the others
// have returned; they can see it and stop early.
func TestGroupRaisesPanicInWaiter(t *testing.T) {
	var g Group
	var stopped atomic.Int32
	for range 3 {
		g.Go(func() {
			<-g.Panicked()
			stopped.Add(1)
		})
	}
	g.Go(crashInWorker)
	defer func() {
		p, ok := recover().(*Panicked)
		if !ok || p.Value != "boom" || !strings.Contains(string(p.Stack), "crashInWorker") {
			t.Fatalf("recovered %#v", p)
		}
		if stopped.Load() != 3 {
			t.Errorf("%d of 3 goroutines returned before the panic was raised again", stopped.Load())
		}
		if p.Error() != "internal error: panic: boom" || Code(p) != Failure {
			t.Errorf("error %q, status %d", p.Error(), Code(p))
		}
	}()
	g.Wait()
	t.Fatal("Wait returned")
}

// Without a panic, Wait waits and returns.
func TestGroupWaits(t *testing.T) {
	var g Group
	var n atomic.Int32
	for range 4 {
		g.Go(func() { n.Add(1) })
	}
	g.Wait()
	if n.Load() != 4 {
		t.Errorf("%d of 4 ran", n.Load())
	}
}
