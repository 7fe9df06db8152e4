package exitcode

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// Panicked is a panic caught in a goroutine, with that goroutine's stack.
// Raised again in the goroutine that waits for it (Group.Wait), it ends a
// tool as an internal failure (status 1, clix.Run) with the stack of the
// goroutine that panicked, never with Go's own status 2, which the README
// gives to usage errors.
type Panicked struct {
	Value any
	Stack []byte
}

func (p *Panicked) Error() string { return fmt.Sprintf("internal error: panic: %v", p.Value) }

// Group runs goroutines and waits for them. The first panic of any of
// them is raised again, as a *Panicked, in the goroutine that calls Wait,
// after all have returned; Panicked tells the others that one did, so
// that they may stop early. The zero Group is ready to use.
type Group struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	p    *Panicked
	done chan struct{} // closed at the first panic
	once sync.Once
}

// Go runs f on a new goroutine of the group.
func (g *Group) Go(f func()) {
	g.init()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer g.Catch()
		f()
	}()
}

// Catch, deferred in a goroutine the group does not start, records its
// panic as the group's.
func (g *Group) Catch() {
	if v := recover(); v != nil {
		g.record(v, debug.Stack())
	}
}

func (g *Group) init() { g.once.Do(func() { g.done = make(chan struct{}) }) }

func (g *Group) record(v any, stack []byte) {
	g.init()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.p == nil {
		if p, ok := v.(*Panicked); ok {
			g.p = p // raised again from a group inside this one
		} else {
			g.p = &Panicked{Value: v, Stack: stack}
		}
		close(g.done)
	}
}

// Panicked returns a channel closed when a goroutine of the group panics.
func (g *Group) Panicked() <-chan struct{} {
	g.init()
	return g.done
}

// Wait waits for the group's goroutines, then raises the first panic of
// one of them again.
func (g *Group) Wait() {
	g.wg.Wait()
	g.mu.Lock()
	p := g.p
	g.mu.Unlock()
	if p != nil {
		panic(p)
	}
}
