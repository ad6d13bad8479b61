//go:build unix

package loop

import "sync"

// Waker wakes a goroutine blocked in a poller from any other goroutine: it
// is the loop's own wakeup descriptor (an eventfd on Linux, a self-pipe
// elsewhere), for callers that run a poller of their own, such as package
// combine. Watch Fd for readability; Wake makes it readable until Drain.
type Waker struct {
	mu     sync.Mutex // keeps Close from closing the descriptor under Wake
	w      waker
	closed bool
}

// NewWaker opens a wakeup descriptor, non-blocking and close-on-exec.
func NewWaker() (*Waker, error) {
	w, err := newWaker()
	if err != nil {
		return nil, err
	}
	return &Waker{w: w}, nil
}

// Fd returns the descriptor to watch for readability. Do not read, write or
// close it.
func (w *Waker) Fd() int { return w.w.rfd }

// Wake makes Fd readable. It never blocks, is safe from any goroutine, and
// does nothing after Close. Wakes before a Drain coalesce into one.
func (w *Waker) Wake() {
	w.mu.Lock()
	if !w.closed {
		w.w.wake()
	}
	w.mu.Unlock()
}

// Drain consumes the pending wakes, so Fd stops being readable until the
// next Wake. Call it from the goroutine that waits on Fd, after it was
// reported readable; a Wake racing with Drain is either consumed by it or
// makes Fd readable again.
func (w *Waker) Drain() {
	w.mu.Lock()
	if !w.closed {
		w.w.drain()
	}
	w.mu.Unlock()
}

// Close releases the descriptor(s). Later calls do nothing.
func (w *Waker) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return w.w.close()
}
