package engine

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/wire"
)

// threadServer is Pyro4's "thread" server type: an accept loop and one
// goroutine per connection for its lifetime, at most THREADPOOL_SIZE.
type threadServer struct {
	d      *Daemon
	slots  chan struct{}
	ctx    context.Context // base context of every call; canceled by Close
	cancel context.CancelFunc

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup // connection and threaded-oneway goroutines
}

func newThreadServer(d *Daemon) *threadServer {
	ctx, cancel := context.WithCancel(context.Background())
	return &threadServer{
		d:      d,
		slots:  make(chan struct{}, d.cfg.ThreadPoolSize),
		ctx:    ctx,
		cancel: cancel,
		conns:  make(map[net.Conn]struct{}),
	}
}

type deadliner interface{ SetDeadline(time.Time) error }

func (t *threadServer) serve(cond func() bool) error {
	for cond() && !t.d.isShutdown() {
		t.d.housekeep()
		err := t.accept(t.d.cfg.PollTimeout)
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case t.d.isShutdown():
		case errors.Is(err, net.ErrClosed):
			return ErrClosed
		default:
			t.d.log.Warn("accept failed", "error", err)
		}
	}
	if t.d.isShutdown() {
		t.stopConns()
	}
	return nil
}

// accept waits up to timeout for one client and starts serving it.
func (t *threadServer) accept(timeout time.Duration) error {
	if dl, ok := t.d.ln.(deadliner); ok && timeout > 0 {
		dl.SetDeadline(time.Now().Add(timeout))
	}
	nc, err := t.d.ln.Accept()
	if err != nil {
		return err
	}
	if t.d.isShutdown() {
		nc.Close()
		return nil
	}
	t.serveConn(nc)
	return nil
}

func (t *threadServer) sockets() []int { return []int{t.d.lnFd} }

func (t *threadServer) writeSockets() []int { return nil }

func (t *threadServer) timeout() time.Duration { return t.d.houseInterval() }

// events accepts one client when the listener is among the ready
// descriptors: it is readable, so Accept returns at once; the POLLTIMEOUT
// bound only guards against a spurious wakeup.
func (t *threadServer) events(ready []int) error {
	for _, fd := range ready {
		if fd != t.d.lnFd {
			continue
		}
		err := t.accept(t.d.cfg.PollTimeout)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil
		}
		return err
	}
	return nil
}

// wake interrupts a blocked Accept so the loop sees a shutdown.
func (t *threadServer) wake() {
	if dl, ok := t.d.ln.(deadliner); ok {
		dl.SetDeadline(time.Unix(1, 0))
	}
}

func (t *threadServer) serveConn(nc net.Conn) {
	select {
	case t.slots <- struct{}{}:
	default:
		// every worker is busy: answer the CONNECT as Pyro4 does, off the
		// accept path so a silent client cannot stall it
		t.spawn(func() { t.refuse(nc) })
		return
	}
	t.mu.Lock()
	t.conns[nc] = struct{}{}
	t.mu.Unlock()
	t.spawn(func() {
		defer func() { <-t.slots }()
		t.run(nc)
	})
}

func (t *threadServer) spawn(fn func()) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		fn()
	}()
}

func (t *threadServer) refuse(nc net.Conn) {
	defer nc.Close()
	timeout := t.d.cfg.CommTimeout
	if timeout <= 0 {
		timeout = t.d.cfg.PollTimeout
	}
	nc.SetDeadline(time.Now().Add(timeout))
	s := newSession(t.d, nc.RemoteAddr(), nil)
	m, err := wire.ReadMessage(nc, &t.d.wopts)
	var seq uint16
	if err == nil && m.Type == wire.MsgConnect {
		seq = m.Seq
	}
	s.connectFail(seq, failSerializer, "no free workers, increase server threadpool size", nil)
	nc.Write(s.out)
}

// run serves one connection until it closes, fails, idles past
// COMMTIMEOUT, or the daemon shuts down.
func (t *threadServer) run(nc net.Conn) {
	s := newSession(t.d, nc.RemoteAddr(), t.spawn)
	defer func() {
		s.closeSession()
		nc.Close()
		t.mu.Lock()
		delete(t.conns, nc)
		t.mu.Unlock()
	}()
	ct := t.d.cfg.CommTimeout
	fr := frameReader{br: bufio.NewReaderSize(nc, 16<<10), opts: &t.d.wopts}
	for {
		// the deadline goes first, the shutdown check second: stopConns
		// sets a past deadline after marking shutdown, so either this
		// check sees the shutdown or the read sees that deadline
		if ct > 0 {
			nc.SetReadDeadline(time.Now().Add(ct))
		}
		if t.d.isShutdown() {
			return
		}
		m, err := fr.next()
		if err != nil {
			s.frameError(err)
			if len(s.out) > 0 {
				nc.Write(s.out)
			}
			return
		}
		closeAfter := s.handle(t.ctx, m)
		if len(s.out) > 0 {
			if ct > 0 {
				nc.SetWriteDeadline(time.Now().Add(ct))
			}
			_, err = nc.Write(s.out)
			s.out = s.out[:0]
			if err != nil {
				return
			}
		}
		if closeAfter {
			return
		}
	}
}

// stopConns ends idle connections now; busy ones finish their call, send
// the reply and then close (run's loop sees the shutdown).
func (t *threadServer) stopConns() {
	t.mu.Lock()
	for nc := range t.conns {
		nc.SetReadDeadline(time.Unix(1, 0))
	}
	t.mu.Unlock()
}

// close stops every connection and waits up to timeout for their
// goroutines; past it, connections are closed under running calls.
func (t *threadServer) close(timeout time.Duration) {
	t.stopConns()
	if !waitTimeout(&t.wg, timeout) {
		t.mu.Lock()
		for nc := range t.conns {
			nc.Close()
		}
		t.mu.Unlock()
	}
	t.cancel()
}

func waitTimeout(wg *sync.WaitGroup, timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// frameReader reads a connection's frames. A frame that fits in the
// buffer is parsed in place into one reused Message, as the reactors do:
// no allocation per call, and the message is valid until the next read
// (the session copies what a call keeps). Anything else (a frame larger
// than the buffer, a bad header, an error or the end of the stream) goes
// through wire.ReadMessage, which owns its memory and the error rules.
type frameReader struct {
	br   *bufio.Reader
	m    wire.Message
	opts *wire.Options
}

func (r *frameReader) next() (*wire.Message, error) {
	if hb, err := r.br.Peek(wire.HeaderSize); err == nil {
		h, err := wire.ParseHeader(hb)
		if err == nil && r.opts.CheckSize(h) == nil && h.FrameSize() <= r.br.Size() {
			if buf, err := r.br.Peek(h.FrameSize()); err == nil {
				n, err := wire.ParseInto(&r.m, buf, r.opts)
				r.br.Discard(n)
				return &r.m, err
			}
		}
	}
	return wire.ReadMessage(r.br, r.opts)
}
