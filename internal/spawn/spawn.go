package spawn

import (
	"context"
	"sync"
	"sync/atomic"
)

// Group runs goroutines and waits for them. The zero value is ready to use.
// Starting and ending a goroutine costs one atomic operation each, not a
// lock: a server starts one per threaded oneway call.
type Group struct {
	// state is the running count shifted left by one, with bit 0 set once
	// the group is closed.
	state atomic.Int64

	mu   sync.Mutex
	idle chan struct{} // made by Wait, closed when the last goroutine ends
}

const closedBit = 1

// Go runs fn on a new goroutine and reports true, or reports false and
// does nothing once Close was called.
func (g *Group) Go(fn func()) bool {
	for {
		s := g.state.Load()
		if s&closedBit != 0 {
			return false
		}
		if g.state.CompareAndSwap(s, s+2) {
			break
		}
	}
	go func() {
		defer g.done()
		fn()
	}()
	return true
}

func (g *Group) done() {
	if g.state.Add(-2) == closedBit { // the last one, after Close
		g.mu.Lock()
		if g.idle != nil {
			close(g.idle)
			g.idle = nil
		}
		g.mu.Unlock()
	}
}

// Running reports how many goroutines of the group have not returned.
func (g *Group) Running() int { return int(g.state.Load() >> 1) }

// Close refuses new goroutines from now on. It does not wait.
func (g *Group) Close() { g.state.Or(closedBit) }

// Wait closes the group and waits until every goroutine has returned or
// ctx is done, whichever comes first; it returns ctx.Err() in the latter
// case. Waiting spawns nothing, so an expired ctx leaves nothing behind.
func (g *Group) Wait(ctx context.Context) error {
	g.mu.Lock()
	// under mu, so the last goroutine's done cannot look for idle between
	// this count and idle's creation
	if g.state.Or(closedBit)>>1 == 0 {
		g.mu.Unlock()
		return nil
	}
	if g.idle == nil {
		g.idle = make(chan struct{})
	}
	idle := g.idle
	g.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
