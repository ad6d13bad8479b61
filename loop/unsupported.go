//go:build !unix

package loop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"
)

// The reactor is built on non-blocking Unix sockets and epoll or poll(2).
// Elsewhere (Windows) the package keeps its API, so code that links it
// compiles everywhere, but New, NewWaker and Poller.Wait fail with an error
// wrapping errors.ErrUnsupported, and the methods of a Loop or Conn (which
// can then not exist, except as a zero value) do nothing or return it.
var errUnsupported = fmt.Errorf("loop: the reactor needs a Unix system (epoll or poll(2)), not %s: %w",
	runtime.GOOS, errors.ErrUnsupported)

// Loop is the reactor; this system has none (see New).
type Loop struct{}

// New returns an error wrapping errors.ErrUnsupported: this system has no
// reactor.
func New(h Handler, opts Options) (*Loop, error) { return nil, errUnsupported }

func (l *Loop) Listen(network, addr string) (net.Addr, error) { return nil, errUnsupported }
func (l *Loop) AddListener(ln net.Listener) (net.Addr, error) { return nil, errUnsupported }
func (l *Loop) AddListenerFD(fd int) (net.Addr, error)        { return nil, errUnsupported }
func (l *Loop) CloseListeners() error                         { return errUnsupported }
func (l *Loop) Trigger(fn func()) error                       { return errUnsupported }
func (l *Loop) Shutdown()                                     {}
func (l *Loop) Run(ctx context.Context) error                 { return errUnsupported }
func (l *Loop) Poll(timeout time.Duration) error              { return errUnsupported }
func (l *Loop) Events(ready []int) error                      { return errUnsupported }
func (l *Loop) Sockets() []int                                { return nil }
func (l *Loop) WriteSockets() []int                           { return nil }
func (l *Loop) Timeout() time.Duration                        { return -1 }
func (l *Loop) NumConns() int                                 { return 0 }
func (l *Loop) Close() error                                  { return nil }

// Conn is a connection of a Loop; this system has none.
type Conn struct{ ctx any }

func (c *Conn) Write(p []byte) (int, error) { return 0, errUnsupported }
func (c *Conn) Close()                      {}
func (c *Conn) Fd() int                     { return -1 }
func (c *Conn) RemoteAddr() net.Addr        { return nil }
func (c *Conn) LocalAddr() net.Addr         { return nil }
func (c *Conn) Loop() *Loop                 { return nil }
func (c *Conn) SetContext(v any)            { c.ctx = v }
func (c *Conn) Context() any                { return c.ctx }
func (c *Conn) SetPartial(bool)             {}
func (c *Conn) OutboundBuffered() int       { return 0 }
func (c *Conn) InboundBuffered() int        { return 0 }
func (c *Conn) Paused() bool                { return false }

// Poller is a set of descriptors to wait on; this system has no poller.
type Poller struct{}

func (p *Poller) Add(fd int, m Interest) error    { return errUnsupported }
func (p *Poller) Modify(fd int, m Interest) error { return errUnsupported }
func (p *Poller) Remove(fd int) error             { return errUnsupported }
func (p *Poller) Len() int                        { return 0 }
func (p *Poller) Wait(timeout time.Duration, ready []Ready) ([]Ready, error) {
	return ready, errUnsupported
}

// Waker wakes a poller; this system has none (see NewWaker).
type Waker struct{}

// NewWaker returns an error wrapping errors.ErrUnsupported.
func NewWaker() (*Waker, error) { return nil, errUnsupported }

func (w *Waker) Fd() int      { return -1 }
func (w *Waker) Wake()        {}
func (w *Waker) Drain()       {}
func (w *Waker) Close() error { return nil }
