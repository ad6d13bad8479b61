package engine

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/internal/spawn"
	"github.com/gyro-rpc/gyro/wire"
)

// threadServer is Pyro4's "thread" server type: an accept loop and one
// goroutine per connection for its lifetime, at most THREADPOOL_SIZE.
type threadServer struct {
	c      *Core
	ln     net.Listener
	lnFd   int
	slots  chan struct{}
	ctx    context.Context // base context of every call; canceled by Close
	cancel context.CancelFunc
	g      spawn.Group // connections and threaded oneway calls

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	stopped bool
}

func newThreadServer(c *Core, ln net.Listener) (Server, error) {
	ctx, cancel := context.WithCancel(context.Background())
	return &threadServer{
		c:      c,
		ln:     ln,
		lnFd:   listenerFd(ln),
		slots:  make(chan struct{}, c.cfg.ThreadPoolSize),
		ctx:    ctx,
		cancel: cancel,
		conns:  make(map[net.Conn]struct{}),
	}, nil
}

type deadliner interface{ SetDeadline(time.Time) error }

func (t *threadServer) Serve(cond func() bool) error {
	for cond() && !t.c.ShuttingDown() {
		t.c.Housekeep()
		err := t.accept(t.c.cfg.PollTimeout)
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case t.c.ShuttingDown():
		case errors.Is(err, net.ErrClosed):
			return ErrClosed
		default:
			// out of descriptors and the like: the listener is still
			// there, so back off instead of spinning, and keep serving
			t.c.log.Warn("accept failed", "error", err)
			t.backoff()
		}
	}
	if t.c.ShuttingDown() {
		t.stopConns()
	}
	return nil
}

// acceptBackoff is how long accepting pauses after a failure such as
// running out of file descriptors.
const acceptBackoff = 100 * time.Millisecond

func (t *threadServer) backoff() {
	timer := time.NewTimer(acceptBackoff)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-t.c.Done():
	}
}

// accept waits up to timeout for one client and starts serving it.
func (t *threadServer) accept(timeout time.Duration) error {
	if dl, ok := t.ln.(deadliner); ok && timeout > 0 {
		dl.SetDeadline(time.Now().Add(timeout))
	}
	nc, err := t.ln.Accept()
	if err != nil {
		return err
	}
	if t.c.ShuttingDown() {
		nc.Close()
		return nil
	}
	t.serveConn(nc)
	return nil
}

// listenSockets and acceptReady are the thread type's part in a foreign
// loop, as Pyro4's: the loop watches the listener, and each readiness
// accepts one client, who is then served by its own goroutine. The type is
// not Driven: its connections are not the loop's, so it cannot be combined.
func (t *threadServer) listenSockets() []int {
	if t.c.ShuttingDown() || t.lnFd < 0 {
		return nil
	}
	return []int{t.lnFd}
}

// acceptReady accepts one client when the listener is among the ready
// descriptors: it is readable, so Accept returns at once; the POLLTIMEOUT
// bound only guards against a spurious wakeup.
func (t *threadServer) acceptReady(ready []int) error {
	for _, fd := range ready {
		if fd != t.lnFd || t.c.ShuttingDown() {
			continue
		}
		err := t.accept(t.c.cfg.PollTimeout)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil
		}
		return err
	}
	return nil
}

// Stop closes the listener, which also interrupts a blocked Accept.
func (t *threadServer) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		t.ln.Close()
	}
}

func (t *threadServer) serveConn(nc net.Conn) {
	release, refusal := t.c.Admit(nc.RemoteAddr())
	if refusal != nil {
		refuseNow(nc, refusal)
		return
	}
	select {
	case t.slots <- struct{}{}:
	default:
		// every worker is busy: answer the CONNECT as Pyro4 does, off the
		// accept path so a silent client cannot stall it
		if !t.g.Go(func() { defer release(); t.refuse(nc) }) {
			release()
			nc.Close()
		}
		return
	}
	t.mu.Lock()
	t.conns[nc] = struct{}{}
	t.mu.Unlock()
	ok := t.g.Go(func() {
		defer func() { <-t.slots; release() }()
		t.run(nc)
	})
	if !ok {
		<-t.slots
		release()
		t.forget(nc)
		nc.Close()
	}
}

func (t *threadServer) forget(nc net.Conn) {
	t.mu.Lock()
	delete(t.conns, nc)
	t.mu.Unlock()
}

func (t *threadServer) refuse(nc net.Conn) {
	defer nc.Close()
	nc = t.c.tlsWrap(nc) // the refusal goes over TLS too, as Pyro4's
	timeout := t.c.cfg.CommTimeout
	if timeout <= 0 {
		timeout = t.c.cfg.PollTimeout
	}
	nc.SetDeadline(time.Now().Add(timeout))
	nc.Write(t.c.refuse(nc, "no free workers, increase server threadpool size"))
}

// readChunk is the size of a connection's input buffer; a frame larger
// than that grows it for as long as the frame takes.
const readChunk = 16 << 10

// run serves one connection until it closes, fails, idles past
// COMMTIMEOUT, or the daemon shuts down. It reads what the client sent,
// answers every complete request of it with one write, and reads again: a
// lone call is answered at once, pipelined calls cost one write per read.
func (t *threadServer) run(nc net.Conn) {
	s := t.c.NewSession(nc.RemoteAddr(), t.g.Go)
	defer func() {
		s.Close()
		nc.Close()
		t.forget(nc)
	}()
	rw, ok := t.secure(nc, s)
	if !ok {
		return
	}
	c := &threadConn{t: t, nc: nc, s: s, w: rw, buf: make([]byte, 0, readChunk), consumed: true}
	if r := rawServer(rw); r != nil { // rw is nc unless TLS wraps it
		c.w = r
		r.serve(c)
		return
	}
	for {
		if !c.ready() {
			return
		}
		k, rerr := rw.Read(c.buf[len(c.buf):cap(c.buf)])
		if c.handle(k) || rerr != nil {
			return
		}
	}
}

// connServer serves a connection with a read loop of its own instead of
// run's, writing the replies itself: rawServer's rawIO (rawio_unix.go).
type connServer interface {
	io.Writer
	serve(c *threadConn)
}

// threadConn is the state of a connection the thread type serves, shared
// by run's read loop and rawIO's.
type threadConn struct {
	t        *threadServer
	nc       net.Conn
	s        *Session
	w        io.Writer
	buf, out []byte
	consumed bool // a request was consumed since the read deadline was set
}

// ready prepares a read: it reports false once the daemon shuts down.
//
// COMMTIMEOUT counts from the first byte of a request, not from the last
// read, so a trickling client cannot hold the connection (the rule is in
// limits.go). The deadline goes first, the shutdown check second:
// stopConns sets a past deadline after marking shutdown, so either this
// check sees the shutdown or the read sees that deadline.
func (c *threadConn) ready() bool {
	if ct := c.t.c.cfg.CommTimeout; ct > 0 && (len(c.buf) == 0 || c.consumed) {
		c.nc.SetReadDeadline(time.Now().Add(ct))
	}
	c.consumed = false
	return !c.t.c.ShuttingDown()
}

// handle answers the complete requests in c.buf, which a read has just
// grown by k bytes, and reports whether the connection is to be closed.
func (c *threadConn) handle(k int) (closeConn bool) {
	t := c.t
	c.buf = c.buf[:len(c.buf)+k]
	for {
		n, out, closeAfter := c.s.Process(t.ctx, c.buf, c.out[:0])
		c.out = out
		if len(out) > 0 {
			if ct := t.c.cfg.CommTimeout; ct > 0 {
				c.nc.SetWriteDeadline(time.Now().Add(ct))
			}
			if _, err := c.w.Write(out); err != nil {
				return true
			}
		}
		if closeAfter {
			return true
		}
		c.consumed = c.consumed || n > 0
		c.buf = t.compact(c.buf, n)
		// Process stops at FlushLimit bytes of replies: go on with the
		// requests already here before reading more
		if size, _ := wire.FrameLen(c.buf, &t.c.wopts); n == 0 || size == 0 || size > len(c.buf) {
			return false
		}
	}
}

// compact drops the consumed bytes and makes room for more of the frame
// that is buffered in part (its size was checked by Process), doubling
// the buffer as it fills.
func (t *threadServer) compact(buf []byte, n int) []byte {
	rest := copy(buf, buf[n:])
	buf = buf[:rest]
	need := readChunk
	if size, err := wire.FrameLen(buf, &t.c.wopts); err == nil && size > need {
		// grow with the bytes that arrive, not with what the header
		// claims: a lying header must not cost its full size at once
		need = min(size, max(2*len(buf), readChunk))
	}
	if cap(buf) < need {
		grown := make([]byte, len(buf), need)
		copy(grown, buf)
		return grown
	}
	if cap(buf) > readChunk && need == readChunk {
		// a large frame is done: give its memory back
		small := make([]byte, len(buf), readChunk)
		copy(small, buf)
		return small
	}
	return buf
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

func (t *threadServer) Close(ctx context.Context) error {
	t.Stop()
	t.stopConns()
	err := t.g.Wait(ctx)
	if err != nil {
		// calls are still running: close their connections under them
		t.mu.Lock()
		for nc := range t.conns {
			closeUnder(nc)
		}
		t.mu.Unlock()
	}
	t.cancel()
	return err
}

// closeUnder ends nc under the call its goroutine runs: the client sees
// the connection end now, and the goroutine's next read or write fails,
// after which run closes nc. A socket is shut down rather than closed:
// one served inside a RawConn read (rawIO.serve) stays open until that
// read returns, and Close would wait for it, that is for the call.
func closeUnder(nc net.Conn) {
	if hc, ok := nc.(interface {
		CloseRead() error
		CloseWrite() error
	}); ok {
		hc.CloseRead()
		hc.CloseWrite()
		return
	}
	nc.Close()
}
