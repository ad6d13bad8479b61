package proxy

import (
	"bufio"
	"context"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// A pipelining proxy (Options.Pipeline) keeps many calls in flight on its
// one connection. The wire allows it: every request carries a sequence
// number that the reply repeats, and a Pyro daemon answers the requests of
// one connection in order. Callers queue their frames; whichever caller
// finds nobody writing writes everything queued in one go, so calls that
// arrive together share a write. A reader goroutine hands each reply to the
// caller waiting for its seq.

// errTooManyInFlight is returned when every sequence number is taken by a
// call in flight on the connection.
var errTooManyInFlight = pyval.NewException(pyval.ClassProtocolError, "too many calls in flight on one connection (65535)")

// pipe is the connection of a pipelining proxy.
type pipe struct {
	p    *Proxy
	c    net.Conn
	br   *bufio.Reader
	done chan struct{} // closed when the reader goroutine has returned

	mu      sync.Mutex // guards the fields below
	seq     uint16
	pending map[uint16]waiter // calls waiting for their reply
	unacked int               // bytes of requests sent and not answered (oneways: not written)
	roomq   []*roomWait       // calls waiting for room in the window, first come first served
	queue   [][]byte          // frames queued for the next write
	queued  int               // their bytes
	spareQ  [][]byte
	wbuf    []byte     // where small queued frames are copied for one write
	writing bool       // a caller is writing; it writes what is queued too
	flushed *flushWait // the oneways among the queued frames wait for it
	err     error      // the failure that ended the connection
}

// waiter is a call in flight: where its reply goes, and the size of its
// request.
type waiter struct {
	ch   chan pipeReply
	size int
}

type pipeReply struct {
	m   *wire.Message
	err error
}

// flushWait tells oneway callers that the write carrying their frame is
// done, and how it went.
type flushWait struct {
	done chan struct{}
	err  error
	size int // bytes of the oneways: unanswered until written
}

func newPipe(p *Proxy, c net.Conn, br *bufio.Reader, seq uint16) *pipe {
	pp := &pipe{p: p, c: c, br: br, seq: seq, done: make(chan struct{}), pending: map[uint16]waiter{}}
	go pp.read()
	return pp
}

// alive reports whether the connection can take calls.
func (pp *pipe) alive() bool {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return pp.err == nil
}

// fail ends the connection: every call in flight, and every later one,
// fails with err.
func (pp *pipe) fail(err error) {
	pp.mu.Lock()
	pp.failLocked(err)
	pp.mu.Unlock()
}

func (pp *pipe) failLocked(err error) {
	if pp.err != nil {
		return
	}
	pp.err = err
	pp.c.Close()
	for seq, w := range pp.pending {
		w.ch <- pipeReply{err: err}
		delete(pp.pending, seq)
	}
	for _, w := range pp.roomq {
		close(w.ch) // not granted: they see pp.err
	}
	pp.roomq, pp.unacked = nil, 0
	if fw := pp.flushed; fw != nil {
		pp.flushed = nil
		fw.err = err
		close(fw.done)
	}
	pp.queue, pp.queued = nil, 0
}

// read hands replies to their callers until the connection fails.
func (pp *pipe) read() {
	defer close(pp.done)
	bg := &op{ctx: context.Background()}
	for {
		m, err := pp.p.readMsg(pp.br)
		if err != nil {
			pp.fail(ioErr(bg, "receiving", err))
			return
		}
		pp.mu.Lock()
		w, ok := pp.pending[m.Seq]
		switch {
		case m.Type != wire.MsgResult:
			pp.failLocked(pyval.Errorf(pyval.ClassProtocolError, "invalid msg type %d received", m.Type))
		case !ok:
			// A reply nobody waits for would make every later one suspect.
			pp.failLocked(pyval.Errorf(pyval.ClassProtocolError, "invoke: reply sequence out of sync, got %d, which no call in flight has", m.Seq))
		default:
			delete(pp.pending, m.Seq)
			pp.release(w.size)
		}
		failed := pp.err != nil
		pp.mu.Unlock()
		if failed {
			return
		}
		w.ch <- pipeReply{m: m} // buffered: a cancelled caller's reply is dropped with its channel
	}
}

// window is the most bytes of requests a pipelining proxy keeps unanswered
// on its connection (oneways count until written); a call that would go
// over it waits for replies first, unless nothing is in flight. It bounds
// what a server must buffer for a client that sends faster than it reads
// the replies: gyro's multicore type closes a connection with more than
// multicore.MaxUnreadInput (1 MiB) of such input waiting.
const window = 1 << 20

// roomWait is a call waiting for room in the window for its size bytes.
type roomWait struct {
	size    int
	granted bool // its bytes are counted in unacked: it may queue its frame
	ch      chan struct{}
}

// release takes n bytes off the unanswered ones and lets the waiting
// calls that now fit go, in order, counting their bytes for them: only
// those wake. pp.mu is held.
func (pp *pipe) release(n int) {
	pp.unacked -= n
	for len(pp.roomq) > 0 {
		w := pp.roomq[0]
		if pp.unacked > 0 && pp.unacked+w.size > window {
			break
		}
		pp.roomq[0] = nil
		pp.roomq = pp.roomq[1:]
		pp.unacked += w.size
		w.granted = true
		close(w.ch)
	}
}

// send gives m a fresh seq, frames it into *frame and queues it, then
// writes unless another caller is writing already. It returns the channel
// the reply comes on, or for a oneway call the write that carries it.
// *frame belongs to the queue until the reply comes or the write is done.
// Frames are encoded outside the lock, so they may queue in another order
// than their seqs: replies are matched by seq, not by order.
func (pp *pipe) send(ctx context.Context, expire <-chan time.Time, m *wire.Message, oneway bool, timeout time.Duration, frame *[]byte) (chan pipeReply, *flushWait, error) {
	pp.mu.Lock()
	if pp.err != nil {
		pp.mu.Unlock()
		return nil, nil, pp.err
	}
	if len(pp.pending) >= 1<<16-1 {
		pp.mu.Unlock()
		return nil, nil, errTooManyInFlight
	}
	for {
		pp.seq++ // wraps at 65535; skip numbers still in flight
		if _, busy := pp.pending[pp.seq]; !busy {
			break
		}
	}
	m.Seq = pp.seq
	var ch chan pipeReply
	if !oneway {
		ch = make(chan pipeReply, 1)
		pp.pending[m.Seq] = waiter{ch: ch}
	}
	pp.mu.Unlock()

	buf, err := pp.p.appendMsg((*frame)[:0], m)
	pp.mu.Lock()
	defer pp.mu.Unlock()
	forget := func() {
		if w, ok := pp.pending[m.Seq]; ok && w.ch == ch {
			delete(pp.pending, m.Seq)
		}
	}
	if err != nil {
		forget()
		return nil, nil, encodeErr(err)
	}
	*frame = buf
	switch {
	case pp.err != nil:
	case pp.unacked > 0 && (len(pp.roomq) > 0 || pp.unacked+len(buf) > window):
		// wait for room, behind the calls waiting already
		w := &roomWait{size: len(buf), ch: make(chan struct{})}
		pp.roomq = append(pp.roomq, w)
		pp.mu.Unlock()
		var expired bool
		select {
		case <-w.ch:
		case <-ctx.Done():
		case <-expire:
			expired = true
		}
		pp.mu.Lock()
		if !w.granted && pp.err == nil {
			// gave up while waiting
			if i := slices.Index(pp.roomq, w); i >= 0 {
				pp.roomq = slices.Delete(pp.roomq, i, i+1)
			}
			forget()
			if expired {
				pp.failLocked(errReleased("a call timed out"))
				return nil, nil, errTimeout("sending")
			}
			pp.release(0) // the waiters behind it may fit now
			return nil, nil, ctxErr(ctx, "sending")
		}
		// granted: its bytes are counted already, and it goes even if
		// its context ended meanwhile (the wait for the reply sees that)
	default:
		pp.unacked += len(buf)
	}
	if pp.err != nil {
		if oneway {
			return nil, nil, pp.err
		}
		return ch, nil, nil // failLocked has put the error there
	}
	if !oneway {
		pp.pending[m.Seq] = waiter{ch: ch, size: len(buf)}
	}
	pp.queue = append(pp.queue, buf)
	pp.queued += len(buf)
	var fw *flushWait
	if oneway {
		if pp.flushed == nil {
			pp.flushed = &flushWait{done: make(chan struct{}), size: 0}
		}
		fw = pp.flushed
		fw.size += len(buf)
	}
	if !pp.writing {
		pp.flush(timeout)
	}
	return ch, fw, nil
}

// coalesce is the most queued bytes copied into one buffer for a write;
// more go out as a vectored write of the frames as they are.
const coalesce = 64 << 10

// flush writes the queued frames, and those queued meanwhile, with
// pp.mu held except during the writes.
func (pp *pipe) flush(timeout time.Duration) {
	pp.writing = true
	if len(pp.pending) > 1 {
		// Other calls are in flight, so their callers are likely ready to
		// queue their next request: let them run first, and write theirs
		// with this one. On one processor they could not queue while this
		// goroutine writes, and every call would cost a write.
		pp.mu.Unlock()
		runtime.Gosched()
		pp.mu.Lock()
	}
	for len(pp.queue) > 0 && pp.err == nil {
		frames, size, fw := pp.queue, pp.queued, pp.flushed
		pp.queue, pp.spareQ, pp.queued, pp.flushed = pp.spareQ[:0], nil, 0, nil
		var one []byte
		switch {
		case len(frames) == 1:
			one = frames[0]
		case size <= coalesce:
			// One buffer: one TLS record too, where net.Buffers would
			// write each frame by itself.
			one = pp.wbuf[:0]
			for _, f := range frames {
				one = append(one, f...)
			}
			pp.wbuf = one
		}
		pp.mu.Unlock()
		if timeout > 0 {
			// A frame written in part would garble the stream: a write
			// that times out ends the connection.
			pp.c.SetWriteDeadline(time.Now().Add(timeout))
		}
		var err error
		if one != nil {
			_, err = pp.c.Write(one)
		} else {
			bufs := net.Buffers(frames) // a copy of the slice: WriteTo consumes it
			_, err = bufs.WriteTo(pp.c)
		}
		pp.mu.Lock()
		clear(frames)
		pp.spareQ = frames[:0]
		if err != nil {
			err = ioErr(&op{ctx: context.Background()}, "sending", err)
		}
		if fw != nil {
			fw.err = err
			close(fw.done)
			if err == nil && pp.err == nil {
				pp.release(fw.size)
			}
		}
		if err != nil {
			pp.failLocked(err)
		}
	}
	pp.writing = false
}

// close ends the connection and waits for the reader to return.
func (pp *pipe) close(err error) {
	pp.fail(err)
	<-pp.done
}

// errProxyClosed is what calls in flight get when Close ends the connection.
var errProxyClosed = pyval.NewException(pyval.ClassConnectionClosedError, "proxy closed")

// pipeFor returns the proxy's live pipelined connection, connecting when
// there is none (one caller connects; the others wait for it). bind is
// connect's.
func (p *Proxy) pipeFor(ctx context.Context, bind bool) (*pipe, error) {
	if ctx != nil && ctx.Err() != nil {
		return nil, ctxErr(ctx, "calling")
	}
	if pp := p.livePipe(); pp != nil {
		return pp, nil
	}
	o, err := p.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer p.end()
	if pp := p.livePipe(); pp != nil {
		return pp, nil // another caller connected meanwhile
	}
	p.mu.Lock()
	dead := p.pipe
	p.mu.Unlock()
	if dead != nil {
		<-dead.done // its reader has seen the failure
	}
	if err := p.connect(o, bind); err != nil {
		return nil, err
	}
	o.disarm()
	p.conn.SetDeadline(time.Time{})
	pp := newPipe(p, p.conn, p.br, p.seq)
	p.conn, p.br = nil, nil // the pipe owns it now; p.live stays for Close
	p.mu.Lock()
	p.pipe = pp
	p.mu.Unlock()
	return pp, nil
}

// livePipe returns the connected pipe, or nil.
func (p *Proxy) livePipe() *pipe {
	p.mu.Lock()
	pp := p.pipe
	p.mu.Unlock()
	if pp != nil && pp.alive() {
		return pp
	}
	return nil
}

// closePipe ends the pipelined connection, failing the calls in flight.
func (p *Proxy) closePipe() {
	p.mu.Lock()
	pp := p.pipe
	p.pipe = nil // p.live stays: a Close racing a connect closes it
	p.mu.Unlock()
	if pp != nil {
		pp.close(errProxyClosed)
	}
}

// bufPool holds the encoding buffers of pipelined calls.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

func putBuf(b *[]byte) {
	if cap(*b) <= 1<<20 { // do not keep a huge one for long
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// pipeInvoke is invoke for a pipelining proxy: it queues the request and
// waits for its reply, its context or its deadline, whichever comes first.
// A call whose context ends leaves the connection to the others (its reply
// is dropped when it comes); one whose COMMTIMEOUT passes releases it.
func (p *Proxy) pipeInvoke(ctx context.Context, pp *pipe, obj, method string, args []any, kwargs *pyval.Dict, flags wire.Flags, userAnn bool, extra []wire.Annotation) (any, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if obj == "" {
		obj = p.connectedURI().Object
	}
	bp := bufPool.Get().(*[]byte)
	call := serial.Call{Object: obj, Method: method, Args: args, Kwargs: kwargs}
	payload, err := p.codec.MarshalCall((*bp)[:0], &call, nil)
	if err != nil {
		putBuf(bp)
		return nil, encodeErr(err)
	}
	*bp = payload
	var anns []wire.Annotation
	if userAnn {
		anns = p.takeAnnotations(true)
		p.setResponse(nil) // as the plain proxy: a oneway leaves none
	}
	anns = append(anns, extra...)
	msg := wire.Message{Type: wire.MsgInvoke, Flags: flags, SerializerID: uint16(p.codec.ID()), Annotations: anns, Data: payload}
	oneway := flags&wire.FlagOneway != 0
	var o op
	o.reset(ctx, p.set.timeout)
	var expire <-chan time.Time
	if !o.deadline.IsZero() && !o.ctxDeadline {
		t := time.NewTimer(time.Until(o.deadline))
		defer t.Stop()
		expire = t.C
	}
	frame := bufPool.Get().(*[]byte)
	ch, fw, err := pp.send(ctx, expire, &msg, oneway, p.set.timeout, frame)
	putBuf(bp) // copied into the frame
	if err != nil {
		putBuf(frame)
		return nil, err
	}
	// The frame is the queue's until it is written: it goes back to the
	// pool only once the reply or the end of the write says so. A call
	// given up leaves it to the garbage collector.
	if oneway {
		select {
		case <-fw.done:
			if fw.err == nil {
				putBuf(frame)
			}
			return nil, fw.err
		case <-ctx.Done():
			return nil, ctxErr(ctx, "sending")
		case <-expire:
			pp.fail(errReleased("a call timed out"))
			return nil, errTimeout("sending")
		}
	}
	var r pipeReply
	select {
	case r = <-ch:
	case <-ctx.Done():
		return nil, ctxErr(ctx, "receiving")
	case <-expire:
		// As Pyro4's proxy, release the connection: the daemon answers
		// in order, so every later call would wait behind this one.
		pp.fail(errReleased("a call timed out"))
		return nil, errTimeout("receiving")
	}
	if r.err != nil {
		return nil, r.err
	}
	putBuf(frame)
	v, drop, err := p.decodeReply(r.m, userAnn)
	if drop {
		// the calls in flight lose the connection, not this call's error
		pp.fail(errReleased("another call's CommunicationError"))
	}
	return v, err
}

// errTimeout is a pipelined call's COMMTIMEOUT, as ioErr gives the plain
// proxy's.
func errTimeout(dir string) error {
	return wrap(pyval.ClassTimeoutError, dir+": timeout", os.ErrDeadlineExceeded)
}

// errReleased is what the calls in flight get when another call's
// failure releases the connection under them.
func errReleased(why string) error {
	return pyval.NewException(pyval.ClassConnectionClosedError, "connection released after "+why)
}

// pipeCall is callOnce for a pipelining proxy.
func (p *Proxy) pipeCall(ctx context.Context, method string, args []any, kwargs *pyval.Dict, oneway bool, extra []wire.Annotation) (any, error) {
	pp, err := p.pipeFor(ctx, false)
	if err != nil {
		return nil, err
	}
	flags, err := p.methodFlags(method, oneway)
	if err != nil {
		return nil, err
	}
	return p.pipeInvoke(ctx, pp, "", method, args, kwargs, flags, true, extra)
}

// pipeAttr is attr for a pipelining proxy.
func (p *Proxy) pipeAttr(ctx context.Context, method string, args pyval.Tuple) (any, error) {
	pp, err := p.pipeFor(ctx, false)
	if err != nil {
		return nil, err
	}
	if err := p.attrExposed(args[0].(string)); err != nil {
		return nil, err
	}
	return p.pipeInvoke(ctx, pp, "", method, args, nil, 0, true, nil)
}
