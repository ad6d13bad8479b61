package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/loop"
	"github.com/gyro-rpc/gyro/wire"
)

// multiplexServer is Pyro4's "multiplex" server type on gyro's reactor: one
// goroutine runs every call, one at a time, for every connection; only
// threaded oneway calls leave it. Unlike Pyro4's, the handshake is not
// synchronous, so a client that connects and stays silent stalls nobody.
type multiplexServer struct {
	d   *Daemon
	l   *loop.Loop
	ctx context.Context
	// cancel ends the context of calls; close cancels it.
	cancel context.CancelFunc
	wg     sync.WaitGroup // threaded oneway calls
	// spawned is set (on the loop goroutine) when a step started threaded
	// oneway calls; see yield.
	spawned bool
}

func newMultiplexServer(d *Daemon) (*multiplexServer, error) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &multiplexServer{d: d, ctx: ctx, cancel: cancel}
	l, err := loop.New(m, loop.Options{
		// Pyro4's multiplex server times out only half-received messages
		ReadTimeout:  d.cfg.CommTimeout,
		Tick:         d.housekeep,
		TickInterval: d.houseInterval(),
		Logger:       d.log,
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("engine: %w", err)
	}
	if _, err := l.AddListener(d.ln); err != nil {
		l.Close()
		cancel()
		return nil, fmt.Errorf("engine: %w", err)
	}
	m.l = l
	return m, nil
}

// mxConn is a connection's state on the loop: its session and the message
// it parses into, reused for every request.
type mxConn struct {
	s   *session
	msg wire.Message
}

func (m *multiplexServer) OnOpen(c *loop.Conn) {
	c.SetContext(&mxConn{s: newSession(m.d, c.RemoteAddr(), m.spawn)})
}

func (m *multiplexServer) OnData(c *loop.Conn, in []byte) int {
	mc := c.Context().(*mxConn)
	s := mc.s
	n, err := wire.ParseInto(&mc.msg, in, &m.d.wopts)
	if err != nil {
		s.frameError(err)
		if len(s.out) > 0 {
			c.Write(s.out)
			s.out = s.out[:0]
		}
		c.Close()
		return len(in)
	}
	if n == 0 {
		return 0 // a partial frame: wait for the rest
	}
	closeAfter := s.handle(m.ctx, &mc.msg)
	if len(s.out) > 0 {
		c.Write(s.out) // queued; the loop flushes after the event batch
		s.out = s.out[:0]
	}
	if closeAfter {
		c.Close()
	}
	return n
}

func (m *multiplexServer) OnClose(c *loop.Conn, err error) {
	if mc, ok := c.Context().(*mxConn); ok {
		mc.s.closeSession()
	}
}

// spawn runs a threaded oneway call off the loop (ONEWAY_THREADED).
func (m *multiplexServer) spawn(fn func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		fn()
	}()
	m.spawned = true
}

func (m *multiplexServer) serve(cond func() bool) error {
	for cond() && !m.d.isShutdown() {
		if err := m.l.Poll(m.d.cfg.PollTimeout); err != nil {
			if m.d.isShutdown() {
				return nil
			}
			return err
		}
		m.yield()
	}
	return nil
}

// yield lets the oneway calls a step started run before the loop blocks
// in epoll_wait again: there the loop goroutine would keep its P in a
// system call until sysmon takes it away, which on one core (GOMAXPROCS=1)
// leaves them waiting and costs a thread handoff for each batch. (Within
// a step, the session yields every yieldEvery of them.)
func (m *multiplexServer) yield() {
	if m.spawned {
		m.spawned = false
		runtime.Gosched()
	}
}

func (m *multiplexServer) sockets() []int      { return m.l.Sockets() }
func (m *multiplexServer) writeSockets() []int { return m.l.WriteSockets() }
func (m *multiplexServer) events(ready []int) error {
	err := m.l.Events(ready)
	m.yield()
	return err
}
func (m *multiplexServer) timeout() time.Duration { return m.l.Timeout() }
func (m *multiplexServer) wake()                  { m.l.Shutdown() }

func (m *multiplexServer) close(timeout time.Duration) {
	m.l.Close()
	m.cancel()
	waitTimeout(&m.wg, timeout)
}
