//go:build unix

package loop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/bytebufferpool"
	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/internal/sockio"
)

const (
	acceptBatch   = 64                     // accepts per listener per step, for fairness
	acceptBackoff = 100 * time.Millisecond // pause after EMFILE and friends
	noDeadline    = math.MaxInt64
)

type listener struct {
	fd     int
	addr   net.Addr
	tcp    bool
	unlink string // unix socket file created by Listen, removed on Close
	paused bool   // accept backoff after EMFILE and friends
}

// Loop is a single-threaded, non-blocking reactor. Create it with New, add
// listeners, then drive it with Run, or step by step with Poll or
// Sockets/Events. See the package documentation for the threading rules.
type Loop struct {
	h    Handler
	bp   BackpressureHandler
	log  *slog.Logger
	poll *poller
	wk   waker

	// Loop-goroutine state.
	buf          []byte
	ready        []Ready
	conns        []*Conn // indexed by fd
	nconns       int
	lns          []*listener
	dirty        []*Conn
	timers       timerHeap
	maxWrite     int
	lowWater     int
	idle         int64
	readTimeout  int64
	backlog      int
	tick         func()
	tickEvery    int64
	nextTick     int64
	acceptResume int64 // when listeners resume after a backoff; 0: not paused
	now          int64 // nanoseconds since epoch, refreshed once per step
	epoch        time.Time
	clock        func() time.Time

	runMu sync.Mutex // held while Run, Poll, Events or Close executes
	done  bool       // closed; guarded by runMu

	trigMu   sync.Mutex // guards trigs, spare, closed and the waker's fds
	trigs    []func()
	spare    []func()
	closed   bool
	hasTrig  atomic.Bool
	woken    atomic.Bool // the waker has been signalled and not drained
	shutdown atomic.Bool
}

// bufPool holds connections' input leftovers and pending output.
var bufPool bytebufferpool.Pool

// New creates a Loop: a poller (epoll on Linux) and a wakeup descriptor
// (eventfd on Linux, a pipe elsewhere).
func New(h Handler, opts Options) (*Loop, error) {
	return newLoop(h, opts, time.Now)
}

func newLoop(h Handler, opts Options, clock func() time.Time) (*Loop, error) {
	if h == nil {
		return nil, errors.New("loop: nil Handler")
	}
	if opts.ReadBufferSize < 0 || opts.IdleTimeout < 0 || opts.ReadTimeout < 0 ||
		opts.TickInterval < 0 || opts.Backlog < 0 {
		return nil, errors.New("loop: negative option")
	}
	l := &Loop{
		h:           h,
		log:         opts.Logger,
		idle:        int64(opts.IdleTimeout),
		readTimeout: int64(opts.ReadTimeout),
		tick:        opts.Tick,
		tickEvery:   int64(opts.TickInterval),
		backlog:     opts.Backlog,
		maxWrite:    opts.MaxWriteBuffer,
		clock:       clock,
	}
	l.bp, _ = h.(BackpressureHandler)
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	size := opts.ReadBufferSize
	if size == 0 {
		size = DefaultReadBufferSize
	}
	l.buf = make([]byte, size)
	switch {
	case l.maxWrite == 0:
		l.maxWrite = DefaultMaxWriteBuffer
	case l.maxWrite < 0:
		l.maxWrite = 0 // unlimited
	}
	l.lowWater = l.maxWrite / 2
	if l.tickEvery == 0 {
		l.tickEvery = int64(DefaultTickInterval)
	}
	if l.backlog == 0 {
		l.backlog = DefaultBacklog
	}
	l.epoch = clock()
	l.nextTick = l.tickEvery

	var err error
	if l.poll, err = openPoller(); err != nil {
		return nil, fmt.Errorf("loop: %w", err)
	}
	if l.wk, err = newWaker(); err != nil {
		l.poll.close()
		return nil, fmt.Errorf("loop: %w", err)
	}
	if err := l.poll.add(l.wk.rfd, Readable); err != nil {
		l.wk.close()
		l.poll.close()
		return nil, fmt.Errorf("loop: %w", err)
	}
	return l, nil
}

func (l *Loop) nanotime() int64 { return int64(l.clock().Sub(l.epoch)) }

// Trigger arranges for fn to run on the loop goroutine during the next step
// and wakes the loop (or the foreign loop watching Sockets). It is safe to
// call from any goroutine, including the loop's own; functions run in the
// order they were triggered. It returns ErrClosed, and drops fn, once the
// loop is closed.
func (l *Loop) Trigger(fn func()) error {
	l.trigMu.Lock()
	defer l.trigMu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.trigs = append(l.trigs, fn)
	l.hasTrig.Store(true)
	l.wakeLocked()
	return nil
}

// Shutdown makes Run return (now, or immediately when it is next called).
// It is safe to call from any goroutine and does not close anything; Poll
// and Events keep working until Close.
func (l *Loop) Shutdown() {
	l.shutdown.Store(true)
	l.trigMu.Lock()
	if !l.closed {
		l.woken.Store(true)
		l.wk.wake() // unconditionally: stopping must not hinge on the flag
	}
	l.trigMu.Unlock()
}

func (l *Loop) wake() {
	l.trigMu.Lock()
	l.wakeLocked()
	l.trigMu.Unlock()
}

func (l *Loop) wakeLocked() {
	// Holding trigMu keeps Close from closing (and the kernel from reusing)
	// the waker's descriptor underneath us.
	if !l.closed && l.woken.CompareAndSwap(false, true) {
		l.wk.wake()
	}
}

// Run drives the loop until Shutdown is called or ctx is done; a stop is
// not an error, so it returns nil in both cases, as engine's Daemon.Serve
// does. Run does not close the loop; call Close afterwards.
func (l *Loop) Run(ctx context.Context) error {
	if !l.runMu.TryLock() {
		return ErrRunning
	}
	defer l.runMu.Unlock()
	if l.done {
		return ErrClosed
	}
	stop := context.AfterFunc(ctx, l.wake)
	defer stop()
	for {
		if l.shutdown.Load() {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if err := l.step(-1); err != nil {
			return err
		}
	}
}

// Poll performs one step: it waits up to timeout for readiness (a negative
// timeout waits indefinitely; the wait is always cut short by the next
// timer, the next Tick and Trigger), then processes the ready descriptors,
// triggered functions and expired timers, and flushes pending output. It
// returns ErrRunning while Run, Poll or Events executes elsewhere, ErrClosed
// after Close, and otherwise only a failure of the poller itself.
func (l *Loop) Poll(timeout time.Duration) error {
	if !l.runMu.TryLock() {
		return ErrRunning
	}
	defer l.runMu.Unlock()
	if l.done {
		return ErrClosed
	}
	return l.step(timeout)
}

// Events processes exactly the given descriptors, as reported ready by a
// foreign event loop, without waiting: a listener accepts what is pending,
// a connection reads once and flushes its output, the wakeup descriptor
// runs the triggered functions. Descriptors that are not the loop's are
// ignored, and a descriptor that is not actually ready costs one failed
// non-blocking system call. Events then runs expired timers and the Tick,
// like Poll, and flushes pending output. The sets returned by Sockets and
// WriteSockets may change. It returns ErrRunning or ErrClosed like Poll.
func (l *Loop) Events(ready []int) error {
	if !l.runMu.TryLock() {
		return ErrRunning
	}
	defer l.runMu.Unlock()
	if l.done {
		return ErrClosed
	}
	l.now = l.nanotime()
	for _, fd := range ready {
		l.dispatch(fd, true, true)
	}
	l.endStep()
	return nil
}

// Sockets returns the descriptors a foreign loop must watch for
// readability: the wakeup descriptor (readable when Trigger or Shutdown was
// called), the listeners, and every connection the loop currently reads
// from. Connections paused by back-pressure or closing are left out (they
// would be reported readable again and again). Call it again after every
// Events: accepts and closes change the set. Like Events, it must be called
// from the goroutine driving the loop.
func (l *Loop) Sockets() []int {
	fds := make([]int, 0, 1+len(l.lns)+l.nconns)
	fds = append(fds, l.wk.rfd)
	for _, ln := range l.lns {
		if !ln.paused {
			fds = append(fds, ln.fd)
		}
	}
	for _, c := range l.conns {
		if c != nil && c.state == stateOpen && !c.paused {
			fds = append(fds, c.fd)
		}
	}
	return fds
}

// WriteSockets returns the connections with output the kernel did not yet
// accept. A foreign loop should watch them for writability and pass them to
// Events when writable; otherwise their output only progresses when Events
// is called for other reasons.
func (l *Loop) WriteSockets() []int {
	var fds []int
	for _, c := range l.conns {
		if c != nil && c.pending() > 0 {
			fds = append(fds, c.fd)
		}
	}
	return fds
}

// Timeout reports how long a foreign loop may block before calling Events
// (possibly with no descriptors) so that timers and the Tick run on time;
// -1 means no timer is pending.
func (l *Loop) Timeout() time.Duration {
	return time.Duration(l.untilNext(l.nanotime()))
}

// NumConns reports the number of open connections. Call it from the loop
// goroutine.
func (l *Loop) NumConns() int { return l.nconns }

// Close closes every listener and connection (their OnClose gets ErrClosed),
// the poller and the wakeup descriptor, and removes unix socket files that
// Listen created. If Run is executing, Close makes it return and waits for
// it, so Close must not be called from a Handler, a Tick or a triggered
// function (use Shutdown there). Close is idempotent.
func (l *Loop) Close() error {
	l.Shutdown()
	l.runMu.Lock()
	defer l.runMu.Unlock()
	if l.done {
		return nil
	}
	l.done = true
	var errs []error
	for _, ln := range l.lns {
		if err := l.closeListener(ln); err != nil {
			errs = append(errs, err)
		}
	}
	l.lns = nil
	for _, c := range l.conns {
		if c != nil {
			l.finish(c, ErrClosed)
		}
	}
	l.conns = nil
	l.dirty = nil
	l.timers = nil

	l.trigMu.Lock()
	l.closed = true
	l.trigs, l.spare = nil, nil
	if err := l.wk.close(); err != nil {
		errs = append(errs, err)
	}
	l.trigMu.Unlock()
	if err := l.poll.close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (l *Loop) closeListener(ln *listener) error {
	_ = l.poll.del(ln.fd)
	err := unix.Close(ln.fd)
	if ln.unlink != "" {
		_ = os.Remove(ln.unlink)
	}
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// step is one iteration of Run/Poll.
func (l *Loop) step(timeout time.Duration) error {
	l.now = l.nanotime()
	msec := -1
	d := l.untilNext(l.now)
	if timeout >= 0 && (d < 0 || int64(timeout) < d) {
		d = int64(timeout)
	}
	if d >= 0 {
		// Round up so a timer due in 0.4ms does not spin with 0ms waits.
		msec = int(min((d+int64(time.Millisecond)-1)/int64(time.Millisecond), math.MaxInt32))
	}
	var err error
	l.ready, err = l.poll.wait(msec, l.ready[:0])
	if err != nil {
		return fmt.Errorf("loop: %w", err)
	}
	l.now = l.nanotime()
	for _, ev := range l.ready {
		l.dispatch(ev.Fd, ev.Read, ev.Write)
	}
	l.endStep()
	return nil
}

// endStep runs what follows the I/O of every step: triggered functions,
// timers, the Tick, and then the flush of all output produced meanwhile.
func (l *Loop) endStep() {
	l.runTriggers()
	l.runTimers()
	for i := 0; i < len(l.dirty); i++ { // settle may append
		c := l.dirty[i]
		l.dirty[i] = nil
		c.dirty = false
		if c.state != stateClosed {
			l.settle(c)
		}
	}
	l.dirty = l.dirty[:0]
}

func (l *Loop) dispatch(fd int, r, w bool) {
	if fd == l.wk.rfd {
		// Drain, then clear: a wake racing in between finds woken still
		// set and skips its write, but its function was queued before and
		// runs in this step's runTriggers. The other order could let the
		// drain swallow that write and leave woken set with nothing to
		// read, and every later Trigger would skip waking the loop.
		l.wk.drain()
		l.woken.Store(false)
		return
	}
	if fd >= 0 && fd < len(l.conns) {
		if c := l.conns[fd]; c != nil {
			if w && c.pending() > 0 {
				l.markDirty(c)
			}
			if r && c.state == stateOpen && !c.paused {
				l.read(c)
			}
			return
		}
	}
	for _, ln := range l.lns {
		if ln.fd == fd {
			if !ln.paused {
				l.accept(ln)
			}
			return
		}
	}
}

func (l *Loop) runTriggers() {
	if !l.hasTrig.Load() {
		return
	}
	l.trigMu.Lock()
	fns := l.trigs
	l.trigs, l.spare = l.spare[:0], nil
	l.hasTrig.Store(false)
	l.trigMu.Unlock()
	for i, fn := range fns {
		fns[i] = nil
		fn()
	}
	l.trigMu.Lock()
	if !l.closed {
		l.spare = fns[:0]
	}
	l.trigMu.Unlock()
}

// untilNext returns the nanoseconds until the next timer, Tick or accept
// resumption is due (0 if overdue), or -1 if none is pending.
func (l *Loop) untilNext(now int64) int64 {
	next := int64(noDeadline)
	if len(l.timers) > 0 {
		next = l.timers[0].hkey
	}
	if l.tick != nil {
		next = min(next, l.nextTick)
	}
	if l.acceptResume > 0 {
		next = min(next, l.acceptResume)
	}
	if next == noDeadline {
		return -1
	}
	return max(next-now, 0)
}

// runTimers closes expired connections, resumes accepting after a backoff,
// and calls the Tick. Heap keys are lower bounds of the real deadlines
// (activity only pushes a deadline later without touching the heap), so an
// entry that fires early is re-keyed instead.
func (l *Loop) runTimers() {
	now := l.now
	for len(l.timers) > 0 && l.timers[0].hkey <= now {
		c := l.timers[0]
		d := c.deadline(l)
		switch {
		case d == noDeadline:
			l.timers.remove(c)
		case d > now:
			c.hkey = d
			l.timers.fix(c)
		default:
			l.timers.remove(c)
			err := ErrIdleTimeout
			if c.readDeadline != 0 && c.readDeadline <= now {
				err = ErrReadTimeout
			}
			l.abort(c, err)
		}
	}
	if l.acceptResume > 0 && now >= l.acceptResume {
		l.resumeAccept()
	}
	if l.tick != nil && now >= l.nextTick {
		l.nextTick = now + l.tickEvery
		l.tick()
	}
}

// schedule makes sure c's heap key is not later than its deadline.
func (l *Loop) schedule(c *Conn) {
	d := c.deadline(l)
	if d == noDeadline {
		return // a stale entry, if any, is dropped when it fires
	}
	if c.hidx < 0 {
		c.hkey = d
		l.timers.push(c)
	} else if d < c.hkey {
		c.hkey = d
		l.timers.fix(c)
	}
}

func (l *Loop) accept(ln *listener) {
	for range acceptBatch {
		fd, sa, err := accept(ln.fd)
		if err != nil {
			switch err {
			case unix.EAGAIN:
				return
			case unix.EINTR, unix.ECONNABORTED, unix.EPROTO:
				continue
			}
			// Out of descriptors or memory: the listener stays readable,
			// so stop watching it for a while instead of spinning.
			l.log.Warn("loop: accept failed; pausing listeners",
				"addr", ln.addr, "err", os.NewSyscallError("accept", err), "backoff", acceptBackoff)
			l.pauseAccept()
			return
		}
		l.open(fd, sa, ln)
	}
}

func (l *Loop) pauseAccept() {
	for _, ln := range l.lns {
		if !ln.paused {
			ln.paused = true
			_ = l.poll.mod(ln.fd, 0)
		}
	}
	l.acceptResume = l.now + int64(acceptBackoff)
}

func (l *Loop) resumeAccept() {
	l.acceptResume = 0
	for _, ln := range l.lns {
		if ln.paused {
			ln.paused = false
			if err := l.poll.mod(ln.fd, Readable); err != nil {
				l.log.Error("loop: re-arming listener", "addr", ln.addr, "err", err)
			}
		}
	}
}

func (l *Loop) open(fd int, sa unix.Sockaddr, ln *listener) {
	if ln.tcp {
		// Request/response traffic: never hold back a small reply.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	if err := l.poll.add(fd, Readable); err != nil {
		unix.Close(fd)
		l.log.Error("loop: registering connection", "err", err)
		return
	}
	c := &Conn{
		l:          l,
		fd:         fd,
		listener:   ln,
		remote:     sockaddrToAddr(sa),
		mask:       Readable,
		lastActive: l.now,
		hidx:       -1,
	}
	if fd >= len(l.conns) {
		l.conns = append(l.conns, make([]*Conn, fd+1-len(l.conns))...)
	}
	l.conns[fd] = c
	l.nconns++
	if l.idle > 0 {
		l.schedule(c)
	}
	l.h.OnOpen(c)
}

func (l *Loop) read(c *Conn) {
	n, err := sockio.Read(c.fd, l.buf)
	switch {
	case n > 0:
		l.deliver(c, l.buf[:n])
	case n == 0 && err == nil:
		l.closeConn(c, io.EOF)
	case err == unix.EAGAIN || err == unix.EINTR:
	default:
		l.abort(c, os.NewSyscallError("read", err))
	}
}

// deliver hands c's input to the handler. data (nil to re-deliver only the
// leftover) may alias the loop's read buffer.
func (l *Loop) deliver(c *Conn, data []byte) {
	in := data
	buffered := c.in != nil
	if buffered {
		c.in.B = append(c.in.B, data...)
		in = c.in.B
	}
	consumed := 0
	for len(in) > 0 && c.state == stateOpen {
		if l.maxWrite > 0 && c.pending() > l.maxWrite {
			l.pause(c)
			break
		}
		n := l.h.OnData(c, in)
		if n < 0 || n > len(in) {
			panic(fmt.Sprintf("loop: Handler.OnData consumed %d of %d bytes", n, len(in)))
		}
		if n == 0 {
			break
		}
		consumed += n
		in = in[n:]
	}
	if consumed > 0 {
		// OnData may have run a long call: idleness counts from its end
		l.now = l.nanotime()
		c.lastActive = l.now
	}
	if c.state == stateClosed {
		return // finish released the buffers
	}
	switch {
	case len(in) == 0 || c.state != stateOpen:
		c.releaseIn()
	case buffered:
		if consumed > 0 {
			c.in.B = c.in.B[:copy(c.in.B, in)]
		}
	default:
		c.in = bufPool.Get()
		c.in.B = append(c.in.B[:0], in...)
	}
	if l.readTimeout > 0 {
		switch {
		case (c.in == nil && !c.partial) || c.paused:
			// Nothing half-received, or the wait is ours, not the peer's.
			c.readDeadline = 0
		case consumed > 0 || c.readDeadline == 0:
			// A new partial message started with this input.
			c.readDeadline = l.now + l.readTimeout
			l.schedule(c)
		}
	}
}

func (l *Loop) pause(c *Conn) {
	if c.paused {
		return
	}
	c.paused = true
	c.readDeadline = 0
	l.markDirty(c) // drop EPOLLIN at the end of the step
	if l.bp != nil {
		l.bp.OnBackpressure(c, true)
	}
}

func (l *Loop) markDirty(c *Conn) {
	if !c.dirty {
		c.dirty = true
		l.dirty = append(l.dirty, c)
	}
}

// settle flushes c's output, applies back-pressure, finishes a graceful
// close and brings c's poller registration up to date.
func (l *Loop) settle(c *Conn) {
	for {
		if c.pending() > 0 {
			if err := l.flush(c); err != nil {
				l.abort(c, err)
				return
			}
		}
		if c.state == stateOpen && !c.paused && l.maxWrite > 0 && c.pending() > l.maxWrite {
			l.pause(c) // output produced outside OnData, e.g. by Trigger
		}
		if c.paused && c.pending() <= l.lowWater {
			c.paused = false
			if l.bp != nil {
				l.bp.OnBackpressure(c, false)
			}
			if c.state == stateOpen && c.in != nil {
				// Input read before the pause is not readable any more:
				// deliver it now.
				l.deliver(c, nil)
				if c.state == stateClosed {
					return
				}
				continue
			}
		}
		break
	}
	if c.state == stateClosed {
		return
	}
	if c.state == stateClosing && c.pending() == 0 {
		l.finish(c, c.err)
		return
	}
	var m Interest
	if c.state == stateOpen && !c.paused {
		m |= Readable
	}
	if c.pending() > 0 {
		m |= Writable
	}
	if m != c.mask {
		if err := l.poll.mod(c.fd, m); err != nil {
			l.abort(c, err)
			return
		}
		c.mask = m
	}
}

// flush writes as much pending output as the kernel takes.
func (l *Loop) flush(c *Conn) error {
	n, err := c.writeSome(c.out.B[c.off:])
	c.off += n
	if err != nil || c.off < len(c.out.B) {
		return err
	}
	bufPool.Put(c.out)
	c.out, c.off = nil, 0
	return nil
}

// closeConn starts a graceful close: no more input, flush, then finish.
func (l *Loop) closeConn(c *Conn, err error) {
	if c.state != stateOpen {
		return
	}
	c.state = stateClosing
	c.err = err
	c.readDeadline = 0
	c.releaseIn()
	l.markDirty(c)
}

// abort closes c at once, dropping pending output. The first recorded
// cause wins, so a failed flush after the peer's EOF still reports io.EOF.
func (l *Loop) abort(c *Conn, err error) {
	if c.state == stateClosed {
		return
	}
	if c.err == nil {
		c.err = err
	}
	l.finish(c, c.err)
}

func (l *Loop) finish(c *Conn, err error) {
	c.state = stateClosed
	_ = l.poll.del(c.fd)
	if cerr := unix.Close(c.fd); cerr != nil {
		l.log.Debug("loop: close", "fd", c.fd, "err", cerr)
	}
	if c.fd < len(l.conns) && l.conns[c.fd] == c {
		l.conns[c.fd] = nil
	}
	l.nconns--
	if c.hidx >= 0 {
		l.timers.remove(c)
	}
	c.releaseIn()
	if c.out != nil {
		bufPool.Put(c.out)
		c.out, c.off = nil, 0
	}
	if l.acceptResume > 0 && !l.done {
		l.resumeAccept() // a descriptor was just freed
	}
	l.h.OnClose(c, err)
}
