package engine

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/internal/spawn"
	"github.com/gyro-rpc/gyro/loop"
)

// multiplexServer is Pyro4's "multiplex" server type on gyro's reactor: one
// goroutine runs every call, one at a time, for every connection; only
// threaded oneway calls leave it. Unlike Pyro4's, the handshake is not
// synchronous, so a client that connects and stays silent stalls nobody.
type multiplexServer struct {
	c   *Core
	l   *loop.Loop
	ln  net.Listener // the loop serves a duplicate of it; Stop closes both
	ctx context.Context
	// cancel ends the context of calls; Close cancels it.
	cancel context.CancelFunc
	g      spawn.Group // workers of threaded oneway calls
	out    []byte      // replies of the connection being served, reused
	// stopped is set by Stop once the listeners' close is queued.
	stopped atomic.Bool
}

func newMultiplexServer(c *Core, ln net.Listener) (Server, error) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &multiplexServer{c: c, ln: ln, ctx: ctx, cancel: cancel}
	var h loop.Handler = m
	if c.tls != nil {
		h = &multiplexTLS{m: m}
	}
	l, err := loop.New(h, loop.Options{
		// COMMTIMEOUT as on every server type (limits.go): a
		// request must be complete within it of its first byte, and a
		// connection with nothing in progress is closed after it of
		// silence (Pyro4's multiplex server has only the former)
		ReadTimeout:  c.cfg.CommTimeout,
		IdleTimeout:  c.cfg.CommTimeout,
		Tick:         c.Housekeep,
		TickInterval: c.HousekeepInterval(),
		Logger:       c.log,
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("engine: %w", err)
	}
	if _, err := l.AddListener(ln); err != nil {
		l.Close()
		cancel()
		return nil, fmt.Errorf("engine: %w", err)
	}
	m.l = l
	return m, nil
}

func (m *multiplexServer) OnOpen(c *loop.Conn) {
	release, refusal := m.c.Admit(c.RemoteAddr())
	if refusal != nil {
		c.Write(refusal)
		c.Close()
		return
	}
	s := m.c.NewSession(c.RemoteAddr(), m.g.Go)
	s.release = release
	c.SetContext(s)
}

func (m *multiplexServer) OnData(c *loop.Conn, in []byte) int {
	s := c.Context().(*Session)
	n, out, closeAfter := s.Process(m.ctx, in, m.out[:0])
	if len(out) > 0 {
		c.Write(out) // copied and queued; the loop flushes after the step
	}
	m.out = out
	if closeAfter {
		c.Close()
		return len(in)
	}
	return n
}

func (m *multiplexServer) OnClose(c *loop.Conn, err error) {
	if s, ok := c.Context().(*Session); ok {
		s.Close()
	}
}

func (m *multiplexServer) Serve(cond func() bool) error {
	for cond() && !m.stopped.Load() {
		if err := m.l.Poll(m.c.cfg.PollTimeout); err != nil {
			if m.stopped.Load() {
				break
			}
			return err
		}
		m.yield()
	}
	if m.stopped.Load() {
		// Stop queued the listeners' close before it set stopped, so one
		// more step runs it even when this loop saw stopped between two
		// polls (an error only means Close got there first and closed them)
		m.l.Poll(0)
	}
	return nil
}

// yield gives the processor to the process's other goroutines once a
// step: the workers that run the oneway calls the step queued, and the
// collector's background mark worker. The loop goroutine otherwise keeps
// its P until it blocks in epoll_wait, and there in a system call until
// sysmon takes it away: on one core (GOMAXPROCS=1) the workers would wait,
// at a thread handoff per batch, and the collector would mark only
// through the assists the loop's allocations pay, which spreads a cycle's
// marking, and the write barrier with it, over most of the cycle. A yield
// with nothing else to run costs little. (Within a step, the session
// yields every yieldEvery oneways.)
//
// It yields twice: once in 61 schedules the runtime resumes the goroutine
// that yielded before the others (its fairness check of the global run
// queue), and the loop would then block with what the step made runnable
// (oneway workers, goroutines a call woke) still waiting for sysmon. That
// check cannot take the loop first twice in a row.
func (m *multiplexServer) yield() {
	runtime.Gosched()
	runtime.Gosched()
}

func (m *multiplexServer) Sockets() []int      { return m.l.Sockets() }
func (m *multiplexServer) WriteSockets() []int { return m.l.WriteSockets() }
func (m *multiplexServer) Events(ready []int) error {
	err := m.l.Events(ready)
	m.yield()
	return err
}
func (m *multiplexServer) Timeout() time.Duration { return m.l.Timeout() }

// Stop closes the listener on the loop's next step (at once when called
// from a call) and makes Serve return.
func (m *multiplexServer) Stop() {
	m.ln.Close()
	m.l.Trigger(func() { m.l.CloseListeners() })
	m.stopped.Store(true)
	m.l.Shutdown()
}

func (m *multiplexServer) Close(ctx context.Context) error {
	m.ln.Close()
	m.l.Close()
	m.cancel()
	return m.g.Wait(ctx)
}
