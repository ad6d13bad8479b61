package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/wire"
)

// multicoreServer is gyro's "multicore" server type, on gnet: one event
// loop per core reads and frames requests; calls run on a bounded pool of
// workers, one batch per connection at a time, so replies leave in request
// order and a slow call stalls only its own connection; the pool has
// THREADPOOL_SIZE workers. gnet binds and owns its sockets, so a multicore
// daemon is not drivable by a foreign loop: Sockets is empty and Events
// does nothing. The loops run from New to Close; Shutdown ends RequestLoop
// and Close ends the connections.
type multicoreServer struct {
	d      *Daemon
	eng    gnet.Engine
	ctx    context.Context // base context of every call; canceled by close
	cancel context.CancelFunc
	runErr chan error // gnet.Run's result

	conns sync.Map // *gconn → struct{}, for the ticker

	pool workerPool
	wg   sync.WaitGroup // threaded oneway calls

	stopOnce sync.Once
}

// Back-pressure thresholds: a connection whose replies (queued for gnet or
// in its outbound buffer) exceed maxPendingOut gets no worker until they
// drain; one with maxPendingIn bytes of requests waiting for a worker has
// no more frames taken from gnet's inbound buffer. gnet offers no way to
// stop reading a socket, so its inbound buffer still grows meanwhile.
const (
	maxPendingOut = 1 << 20
	maxPendingIn  = 1 << 20
)

func newMulticoreServer(d *Daemon) (*multicoreServer, error) {
	proto, err := gnetAddr(d.ln.Addr())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &multicoreServer{d: d, ctx: ctx, cancel: cancel, runErr: make(chan error, 1)}
	m.pool.init(max(d.cfg.ThreadPoolSize, 1))
	// gnet binds its own listener: hand the address over. The port was
	// chosen by the first bind, so URIs made from it stay right.
	addr := d.ln.Addr()
	d.ln.Close()
	d.ln = boundListener{addr}
	d.lnFd = -1
	booted := make(chan struct{})
	h := &gnetHandler{m: m, booted: booted}
	go func() {
		m.runErr <- gnet.Run(h, proto,
			gnet.WithMulticore(true),
			gnet.WithReuseAddr(d.cfg.SockReuse),
			gnet.WithTicker(true),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithLogger(gnetLogger{d.log}),
		)
	}()
	select {
	case <-booted:
		return m, nil
	case err := <-m.runErr:
		m.pool.stop(0)
		cancel()
		return nil, fmt.Errorf("engine: %w", err)
	}
}

// gnetAddr turns the address the daemon bound into gnet's URL form.
func gnetAddr(a net.Addr) (string, error) {
	switch a := a.(type) {
	case *net.TCPAddr:
		if a.IP.To4() != nil {
			return "tcp4://" + a.String(), nil
		}
		return "tcp6://" + a.String(), nil
	case *net.UnixAddr:
		return "unix://" + a.Name, nil
	}
	return "", fmt.Errorf("engine: multicore cannot serve a %s listener", a.Network())
}

// boundListener stands in for the listener gnet took over: it keeps the
// address for Addr and LocationStr; closing it is a no-op.
type boundListener struct{ addr net.Addr }

func (boundListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (boundListener) Close() error              { return nil }
func (b boundListener) Addr() net.Addr          { return b.addr }

// gconn is one connection's state. The loop appends complete frames to in;
// one worker at a time owns the session and processes them.
type gconn struct {
	c gnet.Conn
	s *session // owned by the worker holding the connection

	mu        sync.Mutex
	in        []byte // complete frames not yet handed to a worker
	spare     []byte // the worker's previous input buffer, reused
	ferr      error  // a framing error after the frames in in
	scheduled bool   // a worker holds or will hold the connection
	closed    bool   // OnClose ran
	dead      bool   // no more input is taken (error or close pending)
	paused    bool   // input left in gnet's buffer for back-pressure
	loopOwns  bool   // gnet holds output of ours: workers must not write
	drainFn   func() // m.drain(g), made once
	fd        int
	outFree   [][]byte

	probe       wire.Message // the loop's header check
	msg         wire.Message // the worker's parse target
	pendingOut  atomic.Int64 // bytes given to AsyncWrite, not yet written
	outBuffered atomic.Int64 // gnet's outbound buffer, as last seen on the loop
	lastActive  atomic.Int64 // unix nanos of the last read or write
}

type gnetHandler struct {
	gnet.BuiltinEventEngine
	m      *multicoreServer
	booted chan struct{}
}

func (h *gnetHandler) OnBoot(eng gnet.Engine) gnet.Action {
	h.m.eng = eng
	close(h.booted)
	return gnet.None
}

func (h *gnetHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	g := &gconn{c: c, fd: c.Fd()}
	g.drainFn = func() { h.m.drain(g) }
	g.s = newSession(h.m.d, c.RemoteAddr(), h.m.spawn)
	g.lastActive.Store(time.Now().UnixNano())
	c.SetContext(g)
	h.m.conns.Store(g, struct{}{})
	return nil, gnet.None
}

func (h *gnetHandler) OnClose(c gnet.Conn, _ error) gnet.Action {
	g, ok := c.Context().(*gconn)
	if !ok {
		return gnet.None
	}
	h.m.conns.Delete(g)
	g.mu.Lock()
	g.closed, g.dead = true, true
	idle := !g.scheduled
	g.mu.Unlock()
	if idle {
		g.s.closeSession()
	}
	return gnet.None
}

// OnTraffic frames requests with Peek/Discard and hands every complete
// frame of the batch to the worker pool at once.
func (h *gnetHandler) OnTraffic(c gnet.Conn) gnet.Action {
	g := c.Context().(*gconn)
	m := h.m
	g.lastActive.Store(time.Now().UnixNano())
	g.outBuffered.Store(int64(c.OutboundBuffered()))
	g.mu.Lock()
	g.paused = false
	if g.dead {
		g.mu.Unlock()
		c.Discard(c.InboundBuffered())
		return gnet.None
	}
	for {
		if len(g.in) >= maxPendingIn || g.congested() {
			g.paused = true // resumed by the worker, a write callback or the ticker
			break
		}
		hdr, err := c.Peek(wire.HeaderSize)
		if err != nil {
			break // less than a header
		}
		if _, err := wire.ParseInto(&g.probe, hdr, &m.d.wopts); err != nil {
			// a bad header or an oversize frame: everything before it
			// is answered, then the connection closes
			g.ferr, g.dead = err, true
			c.Discard(c.InboundBuffered())
			break
		}
		hd, _ := wire.ParseHeader(hdr)
		size := hd.FrameSize()
		if c.InboundBuffered() < size {
			break // a partial frame: wait for the rest
		}
		frame, err := c.Peek(size)
		if err != nil {
			break
		}
		g.in = append(g.in, frame...)
		c.Discard(size)
	}
	submitted := false
	if g.congested() {
		g.paused = true
	} else if (len(g.in) > 0 || g.ferr != nil) && !g.scheduled {
		g.scheduled = true
		m.pool.submit(g.drainFn)
		submitted = true
	}
	g.mu.Unlock()
	if submitted {
		// let the worker run now: back in epoll_wait, the loop would hold
		// its P in a system call until sysmon takes it away (up to 10 ms
		// on an idle runtime), which is what a single core sees
		runtime.Gosched()
	}
	return gnet.None
}

// OnTick drops connections idle past COMMTIMEOUT (gnet has no deadlines),
// resumes paused connections and runs housekeeping.
func (h *gnetHandler) OnTick() (time.Duration, gnet.Action) {
	m := h.m
	m.d.housekeep()
	ct := m.d.cfg.CommTimeout
	now := time.Now().UnixNano()
	m.conns.Range(func(k, _ any) bool {
		g := k.(*gconn)
		g.mu.Lock()
		busy, paused := g.scheduled, g.paused
		g.mu.Unlock()
		switch {
		case paused && !busy:
			g.c.Wake(nil)
		case ct > 0 && !busy && now-g.lastActive.Load() > int64(ct):
			g.c.Close()
		}
		return true
	})
	return m.tickInterval(), gnet.None
}

func (m *multicoreServer) tickInterval() time.Duration {
	iv := m.d.houseInterval()
	if ct := m.d.cfg.CommTimeout; ct > 0 {
		iv = min(iv, max(ct/4, 10*time.Millisecond))
	}
	return min(iv, 100*time.Millisecond)
}

// drain runs on a worker: it processes the connection's frames until none
// are left, writing replies once per batch (or every flushLimit bytes).
// When the connection's output backs up, the rest of its input goes back
// and the connection gets no worker until the output drains.
func (m *multicoreServer) drain(g *gconn) {
	for {
		g.mu.Lock()
		congested := g.congested()
		if g.closed || (len(g.in) == 0 && g.ferr == nil) || congested {
			g.scheduled = false
			if congested && !g.closed {
				g.paused = true
			}
			closed, paused := g.closed, g.paused
			g.mu.Unlock()
			if closed {
				g.s.closeSession()
			} else if paused && !congested {
				g.c.Wake(nil)
			}
			return
		}
		work := g.in
		g.in, g.spare = g.spare[:0], nil
		ferr := g.ferr
		g.ferr = nil
		g.mu.Unlock()

		for off := 0; ; {
			n, closeAfter, done := m.process(g, work[off:], ferr)
			off += n
			if closeAfter {
				g.mu.Lock()
				g.dead = true
				g.in = g.in[:0]
				g.mu.Unlock()
			}
			m.flush(g, closeAfter)
			if done {
				break
			}
			if g.congested() {
				g.mu.Lock()
				g.in = append(append([]byte(nil), work[off:]...), g.in...)
				if g.ferr == nil {
					g.ferr = ferr
				}
				g.mu.Unlock()
				break
			}
		}
		g.mu.Lock()
		g.spare = work[:0]
		g.mu.Unlock()
	}
}

// flushLimit bounds the replies a worker collects before writing them.
const flushLimit = 256 << 10

// process handles the frames in work, then a trailing framing error. It
// stops early, with done false, once flushLimit bytes of replies wait.
func (m *multicoreServer) process(g *gconn, work []byte, ferr error) (consumed int, closeAfter, done bool) {
	s := g.s
	off := 0
	for off < len(work) {
		if len(s.out) >= flushLimit {
			return off, false, false
		}
		n, err := wire.ParseInto(&g.msg, work[off:], &m.d.wopts)
		if err != nil || n == 0 {
			s.frameError(err)
			return len(work), true, true
		}
		off += n
		if s.handle(m.ctx, &g.msg) {
			return off, true, true
		}
	}
	if ferr != nil {
		s.frameError(ferr)
		return off, true, true
	}
	return off, false, true
}

// congested reports whether the connection's replies back up: queued for
// gnet, or in its outbound buffer as last seen on the loop.
func (g *gconn) congested() bool {
	return g.pendingOut.Load()+g.outBuffered.Load() >= maxPendingOut
}

// flush sends the session's output. While gnet holds none of the
// connection's output, the worker writes to the socket itself: that saves
// waking the loop for every reply. The socket is non-blocking, and g.mu
// keeps OnClose (which runs before gnet closes the descriptor) from
// racing the write. What the kernel does not take goes to AsyncWrite, and
// gnet owns the output until it has written everything.
func (m *multicoreServer) flush(g *gconn, closeAfter bool) {
	s := g.s
	if len(s.out) == 0 {
		if closeAfter {
			g.c.Close()
		}
		return
	}
	out := s.out
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		s.out = s.out[:0]
		return
	}
	if !g.loopOwns {
		n, err := unix.Write(g.fd, out)
		n = max(n, 0)
		if n == len(out) {
			g.mu.Unlock()
			s.out = s.out[:0]
			g.lastActive.Store(time.Now().UnixNano())
			if closeAfter {
				g.c.Close()
			}
			return
		}
		if err != nil && err != unix.EAGAIN && err != unix.EINTR {
			g.mu.Unlock()
			s.out = s.out[:0]
			g.c.Close()
			return
		}
		out = out[n:]
		g.loopOwns = true
	}
	// the loop takes this buffer: give the session another one
	if n := len(g.outFree); n > 0 {
		s.out, g.outFree = g.outFree[n-1][:0], g.outFree[:n-1]
	} else {
		s.out = nil
	}
	size := int64(len(out))
	g.pendingOut.Add(size)
	g.mu.Unlock()
	err := g.c.AsyncWrite(out, func(c gnet.Conn, _ error) error {
		left := g.pendingOut.Add(-size)
		g.lastActive.Store(time.Now().UnixNano())
		g.mu.Lock()
		if len(g.outFree) < 2 {
			g.outFree = append(g.outFree, out[:0])
		}
		ob := c.OutboundBuffered()
		g.outBuffered.Store(int64(ob))
		if left == 0 && ob == 0 {
			g.loopOwns = false
		}
		resume := g.paused && !g.scheduled && !g.congested()
		g.mu.Unlock()
		if closeAfter {
			return c.Close()
		}
		if resume {
			return c.Wake(nil)
		}
		return nil
	})
	if err != nil {
		g.pendingOut.Add(-size)
		g.c.Close()
	}
}

// spawn runs a threaded oneway call off the pool (ONEWAY_THREADED).
func (m *multicoreServer) spawn(fn func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		fn()
	}()
}

// serve waits: gnet's loops already run. It returns after Shutdown or
// once cond turns false (checked every POLLTIMEOUT).
func (m *multicoreServer) serve(cond func() bool) error {
	poll := m.d.cfg.PollTimeout
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for cond() && !m.d.isShutdown() {
		select {
		case <-m.d.shutdown:
		case err := <-m.runErr:
			m.runErr <- err
			if m.d.isShutdown() {
				return nil
			}
			return fmt.Errorf("engine: %w", err)
		case <-t.C:
		}
	}
	return nil
}

// sockets is empty: gnet's descriptors are not drivable by a foreign loop.
func (m *multicoreServer) sockets() []int      { return nil }
func (m *multicoreServer) writeSockets() []int { return nil }

// events does nothing: gnet's loops serve the daemon by themselves.
func (m *multicoreServer) events([]int) error     { return nil }
func (m *multicoreServer) timeout() time.Duration { return m.d.houseInterval() }
func (m *multicoreServer) wake()                  {}

// close waits up to timeout for running calls, then stops gnet (closing
// every connection and the listener) and waits for its goroutines.
func (m *multicoreServer) close(timeout time.Duration) {
	m.stopOnce.Do(func() {
		finished := m.pool.stop(timeout)
		m.cancel()
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			m.eng.Stop(ctx) // polls every 500 ms; Run returning is quicker
		}()
		<-m.runErr
		cancel()
		<-stopped
		if !finished {
			m.pool.stop(timeout)
		}
		waitTimeout(&m.wg, timeout)
	})
}

// workerPool runs jobs on at most size goroutines, started on demand and
// kept while there is work.
type workerPool struct {
	mu      sync.Mutex
	cond    *sync.Cond
	jobs    []func()
	size    int
	running int
	idle    int
	closed  bool
	wg      sync.WaitGroup
}

func (p *workerPool) init(size int) {
	p.size = size
	p.cond = sync.NewCond(&p.mu)
}

func (p *workerPool) submit(fn func()) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.jobs = append(p.jobs, fn)
	if p.idle > 0 {
		p.cond.Signal()
	} else if p.running < p.size {
		p.running++
		p.wg.Add(1)
		go p.work()
	}
	p.mu.Unlock()
}

func (p *workerPool) work() {
	defer p.wg.Done()
	p.mu.Lock()
	for {
		for len(p.jobs) == 0 && !p.closed {
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		if len(p.jobs) == 0 {
			p.running--
			p.mu.Unlock()
			return
		}
		fn := p.jobs[0]
		p.jobs[0] = nil
		p.jobs = p.jobs[1:]
		p.mu.Unlock()
		fn()
		p.mu.Lock()
	}
}

// stop lets queued jobs finish and ends the workers, waiting up to
// timeout; it reports whether they all ended.
func (p *workerPool) stop(timeout time.Duration) bool {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	if timeout <= 0 {
		return true
	}
	return waitTimeout(&p.wg, timeout)
}

// gnetLogger routes gnet's logging to the daemon's slog logger.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }
