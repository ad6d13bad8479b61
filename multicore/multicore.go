package multicore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/gyrotls"
	"github.com/gyro-rpc/gyro/internal/fifo"
	"github.com/gyro-rpc/gyro/internal/spawn"
	"github.com/gyro-rpc/gyro/wire"
)

func init() { engine.RegisterServerType(config.ServerMulticore, New) }

// server is one multicore daemon's server type.
type server struct {
	c      *engine.Core
	cfg    config.Config
	ln     net.Listener
	cli    *gnet.Client
	ctx    context.Context // base context of every call; canceled by Close
	cancel context.CancelFunc
	g      spawn.Group // the accept loop and threaded oneway calls
	pool   workerPool

	conns sync.Map // *gconn → struct{}, for the ticker
	// epoch is when the server started; connections time their activity
	// by its monotonic clock (since): one clock read where time.Now takes
	// two, and immune to the wall clock being set
	epoch time.Time

	stopOnce  sync.Once
	closeOnce sync.Once
	closeErr  error
}

// Back-pressure thresholds: a connection whose replies (queued for gnet or
// in its outbound buffer) exceed maxPendingOut gets no worker until they
// drain; one with maxPendingIn bytes of requests waiting for a worker has
// no more frames taken from gnet's inbound buffer.
const (
	maxPendingOut = 1 << 20
	maxPendingIn  = 1 << 20
)

// acceptBackoff is how long accepting pauses after a failure such as
// running out of file descriptors.
const acceptBackoff = 100 * time.Millisecond

// New starts the multicore server type over ln; engine.New calls it for
// SERVERTYPE "multicore".
func New(c *engine.Core, ln net.Listener) (engine.Server, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{c: c, cfg: c.Config(), ln: ln, ctx: ctx, cancel: cancel, epoch: time.Now()}
	s.pool.init(max(s.cfg.ThreadPoolSize, 1))
	cli, err := gnet.NewClient(s.handler(),
		gnet.WithMulticore(true),
		gnet.WithTicker(true),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(gnetLogger{c.Logger()}),
	)
	if err == nil {
		err = cli.Start()
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("multicore: %w", err)
	}
	s.cli = cli
	s.g.Go(s.acceptLoop)
	return s, nil
}

// acceptLoop accepts clients and enrolls them in gnet's loops. A failed
// accept (out of descriptors, say) is logged and retried after a pause:
// the server never ends because of one.
func (s *server) acceptLoop() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.c.ShuttingDown() {
				return
			}
			s.c.Logger().Warn("accept failed", "error", err)
			if !s.pause() {
				return
			}
			continue
		}
		// gnet takes a duplicate of the descriptor and closes nc
		if _, err := s.cli.EnrollContext(nc, &gconn{}); err != nil {
			// out of descriptors for the duplicate: this client is lost,
			// but the ones queued behind it wait for descriptors to free
			// up instead of being dropped one after another
			s.c.Logger().Warn("cannot serve a connection; pausing accept", "peer", nc.RemoteAddr(), "error", err)
			if !s.pause() {
				return
			}
		}
	}
}

// pause waits acceptBackoff; false means the daemon shut down meanwhile.
func (s *server) pause() bool {
	t := time.NewTimer(acceptBackoff)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.c.Done():
		return false
	}
}

// gconn is one connection's state. The loop appends complete frames to in;
// one worker at a time owns the session and processes them.
type gconn struct {
	c  gnet.Conn
	s  *engine.Session // owned by the worker holding the connection
	fd int

	mu        sync.Mutex
	in        []byte // frames not yet handed to a worker
	spare     []byte // the worker's previous input buffer, reused
	out       []byte // the worker's replies, reused
	scheduled bool   // a worker holds or will hold the connection
	closed    bool   // OnClose ran
	dead      bool   // no more input is taken (error or close pending)
	paused    bool   // input left in gnet's buffer for back-pressure
	loopOwns  bool   // gnet holds output of ours: workers must not write
	drainFn   func() // s.drain(g), made once
	outFree   [][]byte

	tls     *gyrotls.Session // nil without SSL
	plain   []byte           // decrypted input not framed yet (loop only)
	ct      []byte           // the loop's ciphertext to send
	sealed  []byte           // the worker's ciphertext to send
	peerSet bool             // the client's certificates went to s (loop only)

	pendingOut  atomic.Int64 // bytes given to AsyncWrite, not yet written
	outBuffered atomic.Int64 // gnet's outbound buffer, as last seen on the loop
	lastActive  atomic.Int64 // server.since of the last request taken or reply written
	// partialSince is when the request gnet's inbound buffer holds the
	// start of began to arrive (server.since), 0 when it holds none
	partialSince atomic.Int64
	release      func() // gives back the connection's place under the daemon's Limits
}

type handler struct {
	gnet.BuiltinEventEngine
	s *server
}

func (h *handler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	g, ok := c.Context().(*gconn)
	if !ok {
		return nil, gnet.Close
	}
	release, refusal := h.s.c.Admit(c.RemoteAddr())
	if refusal != nil {
		return refusal, gnet.Close
	}
	g.release = release
	g.c, g.fd = c, c.Fd()
	g.drainFn = func() { h.s.drain(g) }
	g.s = h.s.c.NewSession(c.RemoteAddr(), h.s.spawn)
	g.lastActive.Store(h.s.since())
	h.s.conns.Store(g, struct{}{})
	return nil, gnet.None
}

func (h *handler) OnClose(c gnet.Conn, _ error) gnet.Action {
	g, ok := c.Context().(*gconn)
	if !ok || g.s == nil {
		return gnet.None
	}
	g.release()
	h.s.conns.Delete(g)
	g.mu.Lock()
	g.closed, g.dead = true, true
	idle := !g.scheduled
	g.mu.Unlock()
	if idle {
		g.s.Close()
	}
	return gnet.None
}

// OnTraffic frames requests with Peek/Discard and hands every complete
// frame of the batch to the worker pool at once. Bytes that cannot start a
// frame go to the worker too, whose session answers them as Pyro4 does and
// closes the connection.
func (h *handler) OnTraffic(c gnet.Conn) gnet.Action {
	g := c.Context().(*gconn)
	defer g.trackPartial(c, h.s.since(), c.InboundBuffered())
	g.outBuffered.Store(int64(c.OutboundBuffered()))
	return h.frame(g, c)
}

// inbound is where frame takes requests from: gnet's buffer, or the
// decrypted input of a TLS connection.
type inbound interface {
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	InboundBuffered() int
}

func (h *handler) frame(g *gconn, c inbound) gnet.Action {
	s := h.s
	g.mu.Lock()
	g.paused = false
	if g.dead {
		g.mu.Unlock()
		c.Discard(c.InboundBuffered())
		return gnet.None
	}
	// Whole frames are found in one look at everything buffered and
	// copied out together: a pipelining client's read holds many.
	all, _ := c.Peek(c.InboundBuffered())
	take := 0 // bytes of whole frames at the front of all
	for {
		if len(g.in)+take >= maxPendingIn || g.congested() {
			g.paused = true // resumed by the worker, a write callback or the ticker
			break
		}
		rest := all[take:]
		if len(rest) < wire.HeaderSize {
			break // less than a header
		}
		hdr := rest[:wire.HeaderSize]
		if hs := wire.FrameHeaderSize(hdr); hs > len(hdr) {
			if len(rest) < hs {
				break // a Pyro5 client: less than its longer header
			}
			hdr = rest[:hs]
		}
		size, err := wire.FrameLen(hdr, s.c.WireOptions())
		if err != nil {
			// a bad header or an oversize frame: the frames before it
			// are answered, then the session answers this one and closes
			g.in = append(append(g.in, all[:take]...), hdr...)
			take = 0
			g.dead = true
			c.Discard(c.InboundBuffered())
			break
		}
		if len(rest) < size {
			break // a partial frame: wait for the rest
		}
		take += size
	}
	if take > 0 {
		g.in = append(g.in, all[:take]...)
		c.Discard(take)
	}
	submitted := false
	if g.congested() {
		g.paused = true
	} else if len(g.in) > 0 && !g.scheduled {
		g.scheduled = true
		s.pool.submit(g.drainFn)
		submitted = true
	}
	paused := g.paused
	g.mu.Unlock()
	if paused && g.overfull(c, s.c.WireOptions()) {
		s.c.Logger().Debug("closing a connection that sends on while its replies are not read",
			"peer", g.c.RemoteAddr(), "buffered", c.InboundBuffered())
		return gnet.Close
	}
	if submitted {
		// Let the worker run now. gnet yields once itself before it
		// blocks in epoll_wait, and one yield is not enough: once in 61
		// schedules the runtime resumes the yielding goroutine first (its
		// fairness check of the global queue), and on a single core the
		// loop then blocks holding the only P while the worker waits for
		// sysmon to hand that P to another thread. With this yield there
		// are two before any block. Its price is that each reply leaves
		// as soon as its call is done, one write at a time: bench's
		// RESULTS.md has what that costs and why holding replies for
		// one write is left out.
		runtime.Gosched()
	}
	return gnet.None
}

// OnTick drops connections idle past COMMTIMEOUT (gnet has no deadlines),
// resumes paused connections and runs housekeeping.
func (h *handler) OnTick() (time.Duration, gnet.Action) {
	s := h.s
	s.c.Housekeep()
	ct := s.cfg.CommTimeout
	now := s.since()
	s.conns.Range(func(k, _ any) bool {
		g := k.(*gconn)
		g.mu.Lock()
		busy, paused := g.scheduled, g.paused
		g.mu.Unlock()
		switch {
		case ct > 0 && !busy && g.timedOut(now, int64(ct)):
			g.c.Close()
		case paused && !busy:
			g.c.Wake(nil)
		}
		return true
	})
	return s.tickInterval(), gnet.None
}

func (s *server) tickInterval() time.Duration {
	iv := s.c.HousekeepInterval()
	if ct := s.cfg.CommTimeout; ct > 0 {
		iv = min(iv, max(ct/4, 10*time.Millisecond))
	}
	return min(iv, 100*time.Millisecond)
}

// drain runs on a worker: it processes the connection's frames until none
// are left, writing the replies of each Process step at once. When the
// connection's output backs up, the rest of its input goes back and the
// connection gets no worker until the output drains.
func (s *server) drain(g *gconn) {
	for {
		g.mu.Lock()
		congested := g.congested()
		if g.closed || len(g.in) == 0 || congested {
			g.scheduled = false
			if congested && !g.closed {
				g.paused = true
			}
			closed, paused := g.closed, g.paused
			g.mu.Unlock()
			if closed {
				g.s.Close()
			} else if paused && !congested {
				g.c.Wake(nil)
			}
			return
		}
		work := g.in
		g.in, g.spare = g.spare[:0], nil
		g.mu.Unlock()

		for off := 0; off < len(work); {
			n, out, closeAfter := g.s.Process(s.ctx, work[off:], g.out[:0])
			g.out = out
			off += n
			if closeAfter {
				g.mu.Lock()
				g.dead = true
				g.in = g.in[:0]
				g.mu.Unlock()
			}
			s.flush(g, closeAfter)
			if closeAfter || n == 0 {
				break
			}
			if off < len(work) && g.congested() {
				g.mu.Lock()
				g.in = append(append([]byte(nil), work[off:]...), g.in...)
				g.mu.Unlock()
				break
			}
		}
		g.mu.Lock()
		g.spare = work[:0]
		g.mu.Unlock()
	}
}

// congested reports whether the connection's replies back up: queued for
// gnet, or in its outbound buffer as last seen on the loop.
func (g *gconn) congested() bool {
	return g.pendingOut.Load()+g.outBuffered.Load() >= maxPendingOut
}

// flush sends the worker's replies. While gnet holds none of the
// connection's output, the worker writes to the socket itself: that saves
// waking the loop for every reply. The socket is non-blocking, and g.mu
// keeps OnClose (which runs before gnet closes the descriptor) from
// racing the write. What the kernel does not take goes to AsyncWrite, and
// gnet owns the output until it has written everything.
func (s *server) flush(g *gconn, closeAfter bool) {
	if g.tls != nil {
		s.flushTLS(g, closeAfter)
		return
	}
	s.send(g, &g.out, closeAfter)
}

// send writes *buf, or with TLS the ciphertext the session holds, taken
// into *buf under g.mu: the loop and the worker both send records, and
// they must reach the socket in the order the session made them.
func (s *server) send(g *gconn, buf *[]byte, closeAfter bool) {
	g.mu.Lock()
	if g.tls != nil {
		*buf = g.tls.Output((*buf)[:0])
	}
	if len(*buf) == 0 {
		g.mu.Unlock()
		if closeAfter {
			g.c.Close()
		}
		return
	}
	out := *buf
	if g.closed {
		g.mu.Unlock()
		*buf = (*buf)[:0]
		return
	}
	if !g.loopOwns {
		n, err := writeNow(g.fd, out)
		n = max(n, 0)
		if n == len(out) {
			g.mu.Unlock()
			*buf = (*buf)[:0]
			g.lastActive.Store(s.since())
			if closeAfter {
				g.c.Close()
			}
			return
		}
		if err != nil && !wouldBlock(err) {
			g.mu.Unlock()
			*buf = (*buf)[:0]
			g.c.Close()
			return
		}
		out = out[n:]
		g.loopOwns = true
	}
	// the loop takes this buffer: give the worker another one
	if n := len(g.outFree); n > 0 {
		*buf, g.outFree = g.outFree[n-1][:0], g.outFree[:n-1]
	} else {
		*buf = nil
	}
	size := int64(len(out))
	g.pendingOut.Add(size)
	g.mu.Unlock()
	err := g.c.AsyncWrite(out, func(c gnet.Conn, _ error) error {
		left := g.pendingOut.Add(-size)
		g.lastActive.Store(s.since())
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

// since is the time on the server's monotonic clock, in nanoseconds: more
// than 0 from the start, so 0 can mean "none".
func (s *server) since() int64 { return int64(time.Since(s.epoch)) + 1 }

// spawn starts a worker of threaded oneway calls off the pool.
func (s *server) spawn(fn func()) bool { return s.g.Go(fn) }

// Serve waits: gnet's loops already run. It returns after Shutdown or
// once cond turns false (checked every POLLTIMEOUT).
func (s *server) Serve(cond func() bool) error {
	poll := s.cfg.PollTimeout
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for cond() && !s.c.ShuttingDown() {
		select {
		case <-s.c.Done():
		case <-t.C:
		}
	}
	return nil
}

// Stop closes the listener: the accept loop ends and new clients are
// refused; connections are served until Close.
func (s *server) Stop() {
	s.stopOnce.Do(func() { s.ln.Close() })
}

// Close lets running calls finish until ctx is done, then stops gnet
// (closing every connection) and waits for the goroutines it started.
func (s *server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.Stop()
		s.closeErr = s.pool.stop(ctx)
		s.cancel()
		if err := s.cli.Stop(); err != nil {
			s.c.Logger().Debug("stopping gnet", "error", err)
		}
		if err := s.g.Wait(ctx); err != nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// workerIdle is how long a worker may stay idle before it exits, so that
// a burst of work leaves no goroutines behind once it is over.
const workerIdle = time.Second

// workerPool runs jobs on at most size goroutines, started on demand and
// kept while there is work. A timer that runs only while workers exist
// retires, every workerIdle, as many workers as stayed idle for the whole
// period: the dispatch path pays no timer, only a comparison.
type workerPool struct {
	mu      sync.Mutex
	cond    *sync.Cond
	jobs    fifo.Queue[func()] // at most one per connection (gconn.scheduled)
	size    int
	running int
	idle    int
	// waiting counts the idle workers no Signal or Broadcast has woken
	// yet: a worker woken for a job counts as idle until it runs, and a
	// second job submitted meanwhile must not count on it
	waiting int
	idleMin int // fewest idle workers since the last tick
	retire  int // workers asked to exit at the next wake-up without a job
	reaper  *time.Timer
	armed   bool
	idleFor time.Duration
	closed  bool
	g       spawn.Group
}

func (p *workerPool) init(size int) {
	p.size = size
	p.cond = sync.NewCond(&p.mu)
	if p.idleFor == 0 {
		p.idleFor = workerIdle
	}
}

func (p *workerPool) submit(fn func()) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.jobs.Push(fn)
	if p.waiting > 0 {
		p.waiting--
		p.cond.Signal()
	} else if p.running < p.size && p.g.Go(p.work) {
		p.running++
		if !p.armed {
			p.armReaper()
		}
	}
	p.mu.Unlock()
}

// armReaper starts the retirement timer; p.mu is held.
func (p *workerPool) armReaper() {
	p.armed = true
	p.idleMin = p.idle
	if p.reaper == nil {
		p.reaper = time.AfterFunc(p.idleFor, p.reap)
	} else {
		p.reaper.Reset(p.idleFor)
	}
}

// reap retires the workers that were idle for a whole period and keeps the
// timer running while workers remain.
func (p *workerPool) reap() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if n := min(p.idleMin, p.idle) - p.retire; n > 0 {
		p.retire += n
		p.waiting = 0
		p.cond.Broadcast()
	}
	p.idleMin = p.idle
	if p.running-p.retire > 0 {
		p.reaper.Reset(p.idleFor)
	} else {
		p.armed = false
	}
}

func (p *workerPool) work() {
	p.mu.Lock()
	for {
		for p.jobs.Len() == 0 && !p.closed && p.retire == 0 {
			p.idle++
			p.waiting++
			p.cond.Wait()
			p.idle--
			p.idleMin = min(p.idleMin, p.idle)
		}
		fn, ok := p.jobs.Pop()
		if !ok {
			if p.retire > 0 {
				p.retire--
			}
			p.running--
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		fn()
		p.mu.Lock()
	}
}

// stop lets queued jobs finish and ends the workers, waiting until ctx is
// done at most.
func (p *workerPool) stop(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	if p.reaper != nil {
		p.reaper.Stop()
	}
	p.waiting = 0
	p.cond.Broadcast()
	p.mu.Unlock()
	return p.g.Wait(ctx)
}

// gnetLogger routes gnet's logging to the daemon's slog logger.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }
