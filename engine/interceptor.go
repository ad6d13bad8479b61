package engine

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// An Interceptor observes a daemon's calls and connections, as grpc-go's
// interceptors and stats handlers do: metrics, tracing and monitoring
// install themselves as one (Options.Interceptors). Every field is
// optional. The functions run on the goroutine serving the connection (or
// the threaded oneway call), so they must be quick and safe for concurrent
// use; a daemon with no interceptor does no observing work at all.
type Interceptor struct {
	// Call wraps every call: it must call next once, with ctx or a context
	// derived from it, and return what next returned (or its own error,
	// which the client then receives). The first interceptor of
	// Options.Interceptors is the outermost.
	Call func(ctx context.Context, info *CallInfo, next CallHandler) (any, error)
	// CallDone sees each call's outcome once its reply was built (oneway
	// calls: once the method returned).
	CallDone func(info *CallInfo, st *CallStats)
	// Conn sees connection events: open, handshake outcome, rejected
	// frames, close.
	Conn func(ev *ConnEvent)
}

// CallHandler runs the call an Interceptor wraps.
type CallHandler func(ctx context.Context) (any, error)

// CallInfo describes one call. The engine fills it before Call runs and
// does not change it afterwards; interceptors must not change it either.
// It is only valid until CallDone returns.
type CallInfo struct {
	// Object and Method are what the client asked for: "<batch>" for a
	// batch, "__getattr__"/"__setattr__" for attribute access. They are
	// arbitrary client input unless Known.
	Object, Method string
	// Known reports that Object is registered and Method exposed on it,
	// ObjectKnown that Object is registered. Names that are not known are
	// client input and must not become metric labels as they are.
	Known, ObjectKnown bool
	// Oneway and Batch are the request's flags.
	Oneway, Batch bool
	// SerializerID is the request's serializer as Pyro4 numbers them
	// (serial.ID*), whichever generation the client speaks.
	SerializerID int
	// Protocol is the wire protocol version: 48 (Pyro4) or 502 (Pyro5).
	Protocol int
	// Conn is the connection's registry state; with TLS, the client's
	// verified certificate is Conn.PeerCertificates().
	Conn *dispatch.Conn
	// Session identifies the connection (the one ConnEvent reports).
	Session *ConnInfo
	// Annotations are the request's annotations (CORR and HMAC excluded).
	Annotations map[string][]byte
	// CorrelationID is the request's CORR, or the id made for it.
	CorrelationID [16]byte
	// RequestBytes is the size of the request frame.
	RequestBytes int
}

// Peer returns the client's address.
func (ci *CallInfo) Peer() net.Addr {
	if ci.Session == nil {
		return nil
	}
	return ci.Session.Peer
}

// CallStats is a call's outcome.
type CallStats struct {
	// Err is the call's error (nil on success): the method's error or the
	// registry's (unknown object, bad arguments), as the client receives it.
	Err error
	// ErrorClass is the Python exception class the client receives for
	// Err ("" on success).
	ErrorClass string
	// Start and Duration time the call from decoding the request to
	// building the reply.
	Start    time.Time
	Duration time.Duration
	// ResponseBytes is the size of the reply frame (0 for oneway calls).
	ResponseBytes int
	// Stream reports that the method returned an iterator.
	Stream bool
}

// ConnEventKind says what a ConnEvent reports.
type ConnEventKind uint8

const (
	// ConnOpened: a client connected.
	ConnOpened ConnEventKind = iota + 1
	// ConnHandshake: the handshake ended; Err is nil when it succeeded.
	ConnHandshake
	// ConnRejected: a frame was refused (Reason says why); the connection
	// closes, or for call-level reasons the call is answered with an error.
	ConnRejected
	// ConnClosed: the connection closed.
	ConnClosed
)

// Reasons ConnRejected reports. They are a fixed set, fit for labels.
const (
	RejectInvalidHeader = "invalid_header" // not a Pyro frame, or another protocol version
	RejectChecksum      = "checksum"
	RejectHMAC          = "hmac" // missing, unexpected or wrong HMAC
	RejectTooLarge      = "too_large"
	RejectUnreadable    = "unreadable" // any other unreadable frame
	RejectSerializer    = "serializer" // unknown or not accepted serializer
	RejectPayload       = "payload"    // a request whose payload cannot be decoded
	RejectMessageType   = "message_type"
	RejectBusy          = "busy" // refused before the session started (no free worker)
)

// ConnEvent is a connection event.
type ConnEvent struct {
	Kind ConnEventKind
	Info *ConnInfo
	// SerializerID and Protocol are the handshake's (ConnHandshake).
	SerializerID int
	Protocol     int
	// Conn is the connection's registry state (ConnHandshake on success).
	Conn *dispatch.Conn
	// Err is a failed handshake's reason, as the client receives it.
	Err error
	// Reason is a rejection's (ConnRejected): one of the Reject* values.
	Reason string
}

// ConnInfo identifies a connection. Its fields never change.
type ConnInfo struct {
	// ID numbers the daemon's connections from 1.
	ID     uint64
	Peer   net.Addr
	Opened time.Time
}

// observers is the engine's side of Options.Interceptors, built once.
type observers struct {
	call     func(ctx context.Context, info *CallInfo, next CallHandler) (any, error)
	callDone []func(*CallInfo, *CallStats)
	conn     []func(*ConnEvent)
	nextID   atomic.Uint64
}

// newObservers combines the interceptors; nil when there are none, which
// is what keeps an unobserved daemon's call path as it is.
func newObservers(ics []Interceptor) *observers {
	if len(ics) == 0 {
		return nil
	}
	o := &observers{}
	for i := len(ics) - 1; i >= 0; i-- {
		ic := ics[i]
		if ic.CallDone != nil {
			o.callDone = append([]func(*CallInfo, *CallStats){ic.CallDone}, o.callDone...)
		}
		if ic.Conn != nil {
			o.conn = append([]func(*ConnEvent){ic.Conn}, o.conn...)
		}
		if ic.Call == nil {
			continue
		}
		if inner := o.call; inner == nil {
			o.call = ic.Call
		} else {
			outer := ic.Call
			o.call = func(ctx context.Context, info *CallInfo, next CallHandler) (any, error) {
				return outer(ctx, info, func(ctx context.Context) (any, error) { return inner(ctx, info, next) })
			}
		}
	}
	return o
}

func (o *observers) connEvent(ev *ConnEvent) {
	for _, f := range o.conn {
		f(ev)
	}
}

func (o *observers) done(info *CallInfo, st *CallStats) {
	if st.Err != nil {
		st.ErrorClass = dispatch.ToException(st.Err).Class
	}
	for _, f := range o.callDone {
		f(info, st)
	}
}

// The session's side. These run only when the daemon has interceptors.

// observeOpen reports a new connection.
func (s *Session) observeOpen() {
	o := s.c.obs
	s.info = &ConnInfo{ID: o.nextID.Add(1), Peer: s.client, Opened: time.Now()}
	o.connEvent(&ConnEvent{Kind: ConnOpened, Info: s.info})
}

// observeClose reports the connection's end, once.
func (s *Session) observeClose() {
	if s.info == nil {
		return
	}
	s.c.obs.connEvent(&ConnEvent{Kind: ConnClosed, Info: s.info})
	s.info = nil
}

func (s *Session) observeReject(reason string) {
	if s.c.obs != nil && s.info != nil {
		s.c.obs.connEvent(&ConnEvent{Kind: ConnRejected, Info: s.info, Reason: reason})
	}
}

// observeHandshake runs the handshake and reports its outcome.
func (s *Session) observeHandshake(m *wire.Message) (closeAfter bool) {
	s.failReason = ""
	closeAfter = s.handshake(m)
	ev := &ConnEvent{Kind: ConnHandshake, Info: s.info, SerializerID: s.observedSerializer(m), Protocol: s.gen}
	if s.ready {
		ev.Conn = s.conn
	} else {
		ev.Err = errors.New(s.failReason)
	}
	s.c.obs.connEvent(ev)
	return closeAfter
}

// observeInvoke runs one INVOKE request and reports the call it made.
func (s *Session) observeInvoke(ctx context.Context, m *wire.Message) (closeAfter bool) {
	s.observing, s.callErr, s.callStream = false, nil, false
	before := len(s.out)
	start := time.Now()
	closeAfter = s.invoke(ctx, m)
	if !s.observing {
		return closeAfter // never became a call, or a threaded oneway reports itself
	}
	s.observing = false
	// in the session, not on the stack: handed to function values, it
	// would escape
	st := &s.callStats
	*st = CallStats{Err: s.callErr, Start: start, Duration: time.Since(start), Stream: s.callStream}
	if !s.callInfo.Oneway {
		st.ResponseBytes = len(s.out) - before
	}
	s.c.obs.done(&s.callInfo, st)
	s.callInfo, *st = CallInfo{}, CallStats{}
	s.callErr = nil
	return closeAfter
}

// observedSerializer is the request's serializer as observers see it:
// Pyro4's id (serial.ID*) on either generation, so one serializer has one
// label; Protocol tells the generations apart.
func (s *Session) observedSerializer(m *wire.Message) int {
	if s.gen == wire.Pyro5 {
		if id, ok := serial.ID5To4(int(m.SerializerID)); ok {
			return id
		}
	}
	return int(m.SerializerID)
}

// beginCall fills the CallInfo of a decoded request.
func (s *Session) beginCall(m *wire.Message, cc *dispatch.CallContext, object, method string) {
	s.observing = true
	s.callInfo = CallInfo{
		Object: object, Method: method, Known: s.c.reg.Exposes(object, method),
		Oneway: m.Flags&wire.FlagOneway != 0, Batch: m.Flags&wire.FlagBatch != 0,
		SerializerID: s.observedSerializer(m), Protocol: s.gen,
		Conn: s.conn, Session: s.info, Annotations: cc.Annotations,
		CorrelationID: cc.CorrelationID, RequestBytes: s.frameLen,
	}
	_, s.callInfo.ObjectKnown = s.c.reg.Lookup(object)
}

// invokeCall invokes the session's current call (s.call with s.cc),
// through the interceptors' Call when there are any.
func (s *Session) invokeCall(ctx context.Context) (any, error) {
	o := s.c.obs
	if o == nil || o.call == nil {
		return s.c.reg.Invoke(ctx, &s.cc, &s.call)
	}
	if s.next == nil {
		s.next = func(ctx context.Context) (any, error) { return s.c.reg.Invoke(ctx, &s.cc, &s.call) }
	}
	return o.call(ctx, &s.callInfo, s.next)
}

// observedOneway runs a threaded oneway call that interceptors observe.
//
//go:noinline
func (c *Core) observedOneway(t *onewayTask) {
	start := time.Now()
	var err error
	o := t.obs
	if c.obs.call == nil {
		_, err = c.reg.InvokeOwned(t.ctx, &t.cc, &t.call)
	} else {
		if o.next == nil {
			o.next = func(ctx context.Context) (any, error) { return c.reg.InvokeOwned(ctx, &t.cc, &t.call) }
		}
		_, err = c.obs.call(t.ctx, &o.info, o.next)
	}
	if err != nil {
		c.log.Warn("oneway call failed", "object", t.call.Object, "method", t.call.Method, "error", err)
	}
	o.stats = CallStats{Err: err, Start: start, Duration: time.Since(start)}
	c.obs.done(&o.info, &o.stats)
}

// rejectReason is the ConnRejected reason of a frame that cannot be read.
func rejectReason(err error) string {
	switch {
	case errors.Is(err, wire.ErrInvalidHeader):
		return RejectInvalidHeader
	case errors.Is(err, wire.ErrChecksum):
		return RejectChecksum
	case errors.Is(err, wire.ErrHMACMismatch), errors.Is(err, wire.ErrHMACAsymmetric):
		return RejectHMAC
	case errors.Is(err, wire.ErrTooLarge):
		return RejectTooLarge
	}
	return RejectUnreadable
}
