//go:build unix

package loop

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gyro-rpc/gyro/internal/fdcount"
)

// guard bounds every wait in the tests; it is a safety net against hangs,
// never a synchronisation device.
const guard = 20 * time.Second

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// handler adapts functions to Handler and BackpressureHandler; a nil data
// function echoes.
type handler struct {
	open   func(*Conn)
	data   func(*Conn, []byte) int
	closed func(*Conn, error)
	bp     func(*Conn, bool)
}

func (h *handler) OnOpen(c *Conn) {
	if h.open != nil {
		h.open(c)
	}
}

func (h *handler) OnData(c *Conn, in []byte) int {
	if h.data != nil {
		return h.data(c, in)
	}
	c.Write(in)
	return len(in)
}

func (h *handler) OnClose(c *Conn, err error) {
	if h.closed != nil {
		h.closed(c, err)
	}
}

func (h *handler) OnBackpressure(c *Conn, paused bool) {
	if h.bp != nil {
		h.bp(c, paused)
	}
}

type closeEvent struct {
	c   *Conn
	err error
}

// checkLeaks verifies, when the test ends (after all later cleanups), that
// no goroutine and no file descriptor outlived it.
func checkLeaks(t *testing.T) {
	t.Helper()
	before, counted := fdcount.Open()
	t.Cleanup(func() {
		goleak.VerifyNone(t)
		if after, _ := fdcount.Open(); counted && after != before {
			t.Errorf("descriptor leak: %d open before the test, %d after", before, after)
		}
	})
}

// serve runs l on its own goroutine until the test ends, then shuts it down
// and closes it.
func serve(t *testing.T, l *Loop) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	t.Cleanup(func() {
		l.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

func newLoopT(t *testing.T, h Handler, opts Options) *Loop {
	t.Helper()
	l, err := New(h, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func listen(t *testing.T, l *Loop, network, addr string) net.Addr {
	t.Helper()
	a, err := l.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func dial(t *testing.T, a net.Addr) net.Conn {
	t.Helper()
	return dialWith(t, &net.Dialer{}, a)
}

func dialWith(t *testing.T, d *net.Dialer, a net.Addr) net.Conn {
	t.Helper()
	c, err := d.Dial(a.Network(), a.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(guard))
	return c
}

// recv receives from ch or fails the test after the guard time.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("no event within %v", guard)
		panic("unreachable")
	}
}

// onLoop runs fn on the loop goroutine and waits for it.
func onLoop[T any](t *testing.T, l *Loop, fn func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	if err := l.Trigger(func() { ch <- fn() }); err != nil {
		t.Fatal(err)
	}
	return recv(t, ch)
}

// pollUntil steps l (real waits; a test's clock may be fake) until cond
// holds, failing the test after guard.
func pollUntil(t *testing.T, l *Loop, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		if err := l.Poll(100 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
}
