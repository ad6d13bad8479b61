package engine

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/internal/argslab"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// Session is the protocol state machine of one connection: it takes the
// bytes a server type read and appends the reply frames to a buffer the
// server type writes. It never touches a socket, so every server type (and
// every test) drives the same code. A Session is used by one goroutine at a
// time.
type Session struct {
	c      *Core
	client net.Addr
	conn   *dispatch.Conn
	ready  bool // handshake done

	peer []*x509.Certificate // the client's TLS certificates (SetPeerCertificates)

	msg  wire.Message // the request being handled, reused
	out  []byte       // reply frames of the current Process call
	data []byte       // payload scratch, reused
	anns []wire.Annotation
	cc   dispatch.CallContext
	call serial.Call
	corr [16]byte // the current request's correlation id
	rng  rand.PCG // draws fresh correlation ids; seeded by NewSession

	// batch and results are the batch being handled (engine/batch.go),
	// reused like call.
	batch   serial.Batch
	results []any

	// gen is the connection's protocol generation (wire.Pyro4 or
	// wire.Pyro5), 0 until its first bytes tell; msg5 is the Pyro5
	// request being handled, which pyro5.go translates into msg.
	gen   int
	msg5  wire.Message5
	repl5 serial.Replacer // s.c.replacer for Pyro5, made on first use

	// broken is set when a reply could not be built (too large): the
	// connection closes without it, as in Pyro4.
	broken bool

	// spawn starts a goroutine of the server type's (oneway workers).
	spawn func(func()) bool
	// sinceYield counts the threaded oneway calls queued since the session
	// last yielded.
	sinceYield int
	// ow is the run of threaded oneway calls not yet handed to the
	// workers; owArgs is the block their argument arrays are carved from
	// (see onewayTask).
	ow     onewayRun
	owArgs argslab.Slab
	// release gives back the connection's place under the Limits (set
	// by server types that keep the session as the connection's state).
	release func()

	// frameLen is the size of the frame being handled.
	frameLen int
	// failReason is the last CONNECTFAIL's text.
	failReason string
	// Observing (Options.Interceptors): all unused without interceptors.
	info       *ConnInfo
	callInfo   CallInfo
	observing  bool // callInfo describes the call being handled
	callErr    error
	callStream bool
	callStats  CallStats
	next       CallHandler // invokes s.call, made once per session
}

// yieldEvery is how many threaded oneway calls a session queues before it
// yields the processor to the workers that run them: a pipelined run of
// oneway calls otherwise waits behind the parsing of the whole run.
const yieldEvery = 64

// FlushLimit is how many bytes of replies Process collects before it
// returns to let the server type write them.
const FlushLimit = 256 << 10

// Process handles the complete frames at the front of in, appending their
// replies to dst. It stops at the first incomplete frame, once FlushLimit
// bytes of replies wait, or when the connection must close; it returns how
// many bytes of in it consumed, the replies, and whether the connection
// must be closed once they are written. A frame that cannot be read (bad
// header, oversize, wrong HMAC) consumes all of in and closes, after
// queuing the CONNECTFAIL Pyro4 sends for it, if any. The message handed
// to a method aliases in only while Process runs.
func (s *Session) Process(ctx context.Context, in, dst []byte) (n int, out []byte, closeAfter bool) {
	s.out = dst
	defer func() {
		out, s.out = s.out, nil
		if s.pushOneways(false) {
			closeAfter = true
		}
	}()
	if s.gen == 0 {
		gen, err := wire.DetectProtocol(in)
		if err != nil {
			if s.c.obs != nil {
				s.observeReject(rejectReason(err))
			}
			s.frameError(err, nil)
			return len(in), nil, true
		}
		if gen == 0 {
			return 0, nil, false // too few bytes to tell the generation
		}
		s.gen = gen
	}
	for n < len(in) && len(s.out) < FlushLimit {
		var k int
		var err error
		if s.gen == wire.Pyro5 {
			k, err = s.parse5(in[n:])
		} else {
			k, err = wire.ParseInto(&s.msg, in[n:], &s.c.wopts)
		}
		if err != nil {
			if k > 0 && s.payloadError(in[n:n+k], err) {
				n += k
				continue
			}
			if s.c.obs != nil {
				s.observeReject(rejectReason(err))
			}
			s.frameError(err, in[n:n+k])
			return len(in), nil, true
		}
		if k == 0 {
			return n, nil, false // a partial frame: wait for the rest
		}
		n += k
		s.frameLen = k
		if len(s.ow.tasks) > 0 && (s.msg.Type != wire.MsgInvoke || s.msg.Flags&wire.FlagOneway == 0) && s.pushOneways(true) {
			return n, nil, true // the oneways before this request go first
		}
		if s.dispatchMsg(ctx, &s.msg) || s.broken {
			return n, nil, true
		}
	}
	return n, nil, false
}

var pong = []byte("pong")

// pushOneways hands the session's run of threaded oneway calls to the
// workers, keeping spare tasks for more when more is set; it runs those
// that found the queue full itself, as Pyro4's connection would be slowed
// by a thread it cannot start. It reports true when the connection must
// close: the daemon is closing and the calls were dropped.
func (s *Session) pushOneways(more bool) (closeAfter bool) {
	if len(s.ow.tasks) == 0 && (more || len(s.ow.spare) == 0) {
		return false // nothing to hand over or give back
	}
	q := s.c.oneways
	full, started := q.push(&s.ow, s.spawn, more)
	if !started {
		s.c.log.Debug("oneway calls dropped: the daemon is closing")
		return true
	}
	if len(full) > 0 {
		for _, t := range full {
			s.c.runOneway(t)
		}
		q.release(full)
	}
	return false
}

// failSerializer is what a handshake failure that happened before the
// serializer was known is encoded with (Pyro4 uses marshal there).
const failSerializer = serial.IDMarshal

// frameError handles a message that could not be read (frame is the
// whole frame when its header was good, else nil); it returns after
// queuing a CONNECTFAIL where Pyro4 sends one. The caller closes the
// connection in every case.
func (s *Session) frameError(err error, frame []byte) {
	if s.ready || errors.Is(err, wire.ErrTooLarge) {
		return // after the handshake, and for oversize frames, Pyro4 closes silently
	}
	var reason string
	switch {
	case errors.Is(err, wire.ErrInvalidHeader):
		reason = wire.ErrInvalidHeader.Error()
	case errors.Is(err, wire.ErrChecksum):
		reason = wire.ErrChecksum.Error()
	case errors.Is(err, wire.ErrHMACMismatch):
		reason = wire.ErrHMACMismatch.Error()
	case errors.Is(err, wire.ErrHMACAsymmetric):
		reason = wire.ErrHMACAsymmetric.Error()
	case errors.Is(err, wire.ErrNoHMAC5):
		reason = wire.ErrNoHMAC5.Error() // a Pyro5 client of a daemon with an HMAC key
	default:
		s.handshakeFrameError(err, frame)
		return
	}
	s.connectFail(0, failSerializer, reason, nil)
}

func (s *Session) dispatchMsg(ctx context.Context, m *wire.Message) bool {
	if !s.ready {
		if s.c.obs != nil {
			return s.observeHandshake(m)
		}
		return s.handshake(m)
	}
	switch m.Type {
	case wire.MsgInvoke:
		if s.c.obs != nil {
			return s.observeInvoke(ctx, m)
		}
		return s.invoke(ctx, m)
	case wire.MsgPing:
		corr := s.correlation(m)
		s.replyRaw(wire.MsgPing, 0, m.Seq, m.SerializerID, pong, corr, nil)
		return false
	}
	s.observeReject(RejectMessageType)
	return true // any other type after the handshake: close without a reply
}

// correlation sets s.corr from the request's CORR, or to a fresh uuid4 as
// Pyro4 makes for requests that bring none, and returns it. Keeping it in
// the session keeps it off the heap on the per-call path.
func (s *Session) correlation(m *wire.Message) *[16]byte {
	id := &s.corr
	if s.gen == wire.Pyro5 {
		return id // parse5 took it from the header or made one
	}
	if c, ok := m.Annotation("CORR"); ok && len(c) == 16 {
		copy(id[:], c)
		return id
	}
	s.newCorrelation()
	return id
}

// newCorrelation sets s.corr to a random (version 4) UUID, drawn from the
// session's generator: correlation ids only tell calls apart in logs and
// traces, so they need not be unpredictable, only unique.
func (s *Session) newCorrelation() {
	id := &s.corr
	binary.BigEndian.PutUint64(id[:8], s.rng.Uint64())
	binary.BigEndian.PutUint64(id[8:], s.rng.Uint64())
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
}

func (s *Session) handshake(m *wire.Message) (closeAfter bool) {
	if m.Type != wire.MsgConnect {
		s.connectFail(0, failSerializer, wire.ErrInvalidType(m.Type).Error(), nil)
		return true
	}
	sid := int(m.SerializerID)
	codec, err := s.codecByID(sid)
	if err != nil || !s.accepts(sid) {
		s.connectFail(m.Seq, failSerializer, "message used serializer that is not accepted: "+itoa(sid), nil)
		return true
	}
	corr := s.correlation(m)
	v, err := codec.Unmarshal(m.Data)
	if err != nil {
		s.connectFail(m.Seq, sid, exceptionText(err), corr)
		return true
	}
	payload, _ := v.(*pyval.Dict)
	hs, ok := payload.Get("handshake")
	if !ok {
		s.connectFail(m.Seq, sid, "'handshake'", corr)
		return true
	}
	s.conn = s.c.reg.NewConn(s.client)
	s.conn.SetPeerCertificates(s.peer)
	resp := any("hello")
	if h := s.c.hooks.ValidateHandshake; h != nil {
		if resp, err = h(s.conn, hs); err != nil {
			return s.rejectConn(m.Seq, sid, exceptionText(err), corr)
		}
	}
	var flags wire.Flags
	if m.Flags&wire.FlagMetaOnConnect != 0 {
		obj, ok := payload.Get("object")
		if !ok {
			// Pyro4's and Pyro5's data["object"]: the KeyError's text
			return s.rejectConn(m.Seq, sid, "'object'", corr)
		}
		id, _ := obj.(string)
		md, err := s.c.reg.MetadataFor(id, s.gen)
		if err != nil {
			return s.rejectConn(m.Seq, sid, "unknown object", corr)
		}
		meta := pyval.DictOf("methods", strList(md.Methods), "oneway", strList(md.Oneway), "attrs", strList(md.Attrs))
		resp = pyval.DictOf("handshake", resp, "meta", meta)
		flags = wire.FlagMetaOnConnect
	}
	data, err := codec.Marshal(s.data[:0], resp, nil)
	if err != nil {
		return s.rejectConn(m.Seq, sid, exceptionText(err), corr)
	}
	s.data = data
	s.replyRaw(wire.MsgConnectOK, flags, m.Seq, m.SerializerID, data, corr, s.userAnnotations())
	s.ready = true
	if h := s.c.hooks.ClientConnected; h != nil {
		h(s.conn)
	}
	return false
}

// rejectConn fails a handshake after the connection state was made: it
// sends CONNECTFAIL and releases that state (no disconnect hook: the
// client never connected).
func (s *Session) rejectConn(seq uint16, sid int, reason string, corr *[16]byte) (closeAfter bool) {
	s.connectFail(seq, sid, reason, corr)
	s.conn.Close()
	s.conn = nil
	return true
}

// refusal returns the CONNECTFAIL frame that refuses a client before its
// session starts (no free workers, too many connections).
func (s *Session) refusal(seq uint16, reason string) []byte {
	if s.c.obs != nil {
		s.observeReject(RejectBusy)
		s.observeClose()
	}
	s.out = nil
	s.connectFail(seq, failSerializer, reason, nil)
	out := s.out
	s.out = nil
	return out
}

func (s *Session) connectFail(seq uint16, sid int, reason string, corr *[16]byte) {
	s.failReason = reason
	codec, err := s.codecByID(sid)
	if err != nil {
		sid = failSerializer
		codec, _ = s.codecByID(sid)
	}
	data, err := codec.Marshal(nil, reason, nil)
	if err != nil {
		return
	}
	s.appendFrame(wire.MsgConnectFail, 0, seq, uint16(sid), data, corr, nil, &s.c.woptsPlain)
}

// invoke runs one INVOKE request, following Pyro4's handleRequest.
func (s *Session) invoke(ctx context.Context, m *wire.Message) (closeAfter bool) {
	sid := int(m.SerializerID)
	oneway := m.Flags&wire.FlagOneway != 0
	codec, err := s.codecByID(sid)
	if err != nil {
		// unknown ids, and pickle & co, which gyro can neither read nor
		// answer in: Pyro4 closes for the former; gyro closes for both
		s.observeReject(RejectSerializer)
		return true
	}
	corr := s.correlation(m)
	if !s.accepts(sid) {
		s.observeReject(RejectSerializer)
		if !oneway {
			s.replyException(m.Seq, codec, pyval.NewException(pyval.ClassSerializeError, "message used serializer that is not accepted: "+itoa(sid)))
		}
		return true
	}
	// a batch decoded straight into calls skips the generic path (batch.go)
	if m.Flags&(wire.FlagBatch|wire.FlagOneway|wire.FlagKeepSerialized) == wire.FlagBatch && s.decodeBatch(codec, m.Data) {
		return s.invokeBatch(ctx, m, codec, corr)
	}
	// s.call is reused from call to call: the decoder appends the
	// arguments to its Args array (see serial.Codec.UnmarshalCall), and
	// they are cleared after the call so the session keeps nothing alive.
	call := &s.call
	defer func() { clear(call.Args) }()
	if m.Flags&wire.FlagKeepSerialized != 0 {
		err = s.blobCall(m, call)
	} else {
		err = codec.UnmarshalCall(m.Data, call)
	}
	if err != nil {
		s.observeReject(RejectPayload)
		exc := dispatch.ToException(err)
		if !oneway {
			s.replyException(m.Seq, codec, exc)
		}
		return exc.Is(pyval.ErrCommunication)
	}
	cc := s.callContext(m, corr)
	if s.c.obs != nil {
		s.beginCall(m, cc, call.Object, call.Method)
	}
	if oneway {
		if s.c.cfg.OnewayThreaded && call.Method != "__getattr__" && call.Method != "__setattr__" {
			var info *CallInfo
			if s.observing { // reported by the worker, not the session
				info = &s.callInfo // add copies it into the task
			}
			if s.c.oneways.add(&s.ow, ctx, call, &s.owArgs, cc, info) && s.pushOneways(true) {
				return true
			}
			if s.observing {
				s.observing, s.callInfo = false, CallInfo{}
			}
			if s.sinceYield++; s.sinceYield >= yieldEvery {
				// a pipelined run of oneway calls: let the workers run
				// them now rather than queue them all first
				s.sinceYield = 0
				if s.pushOneways(true) {
					return true
				}
				runtime.Gosched()
			}
			return false
		}
		if s.pushOneways(true) { // the calls before this one go first
			return true
		}
		if _, err := s.invokeCall(ctx); err != nil {
			s.callErr = err
			s.c.log.Debug("oneway call failed", "object", call.Object, "method", call.Method, "error", err)
			return s.callbackFailed(call, err)
		}
		return false
	}
	result, err := s.invokeCall(ctx)
	if err != nil {
		s.callErr = err
		exc := dispatch.ToException(err)
		s.replyException(m.Seq, codec, exc)
		return s.callbackFailed(call, err) || exc.Is(pyval.ErrCommunication)
	}
	if st, ok := result.(dispatch.StreamStarted); ok {
		s.callStream = true
		exc := pyval.NewException(pyval.ClassProtocolError, "result of call is an iterator")
		exc.SetAttr("_pyroTraceback", nil)
		var extra []wire.Annotation
		if st.ID != "" {
			extra = []wire.Annotation{{Key: "STRM", Value: []byte(st.ID)}}
		}
		s.replyExceptionFlags(m.Seq, codec, exc, wire.FlagException|wire.FlagItemStreamResult, extra)
		return false
	}
	data, err := codec.Marshal(s.data[:0], result, s.replacer())
	if err != nil {
		s.callErr = err
		exc := dispatch.ToException(err)
		s.replyException(m.Seq, codec, exc)
		return exc.Is(pyval.ErrCommunication)
	}
	s.data = data
	var flags wire.Flags
	if m.Flags&wire.FlagBatch != 0 {
		flags = wire.FlagBatch
	}
	s.replyRaw(wire.MsgResult, flags, m.Seq, m.SerializerID, data, corr, s.responseAnnotations(cc))
	return false
}

// callContext fills the session's CallContext for request m.
func (s *Session) callContext(m *wire.Message, corr *[16]byte) *dispatch.CallContext {
	cc := &s.cc
	*cc = dispatch.CallContext{
		Conn: s.conn, Client: s.client, Protocol: s.gen, Seq: m.Seq, Flags: uint16(m.Flags),
		SerializerID: int(m.SerializerID), CorrelationID: *corr,
	}
	if len(m.Annotations) > 0 {
		// copies: on the reactors the values point into the read buffer,
		// which the next frame overwrites while a method (or a threaded
		// oneway) may still hold them
		cc.Annotations = make(map[string][]byte, len(m.Annotations))
		for _, a := range m.Annotations {
			cc.Annotations[a.Key] = bytes.Clone(a.Value)
		}
	}
	return cc
}

// callbackFailed handles the failure of a method marked as a callback
// (Exposure.Callback) as Pyro4 does: the error, already sent to the
// caller, is raised on this side too, where Pyro4 logs it and closes the
// connection. The Go program sees it through Hooks.CallbackError.
func (s *Session) callbackFailed(call *serial.Call, err error) (closeAfter bool) {
	if call.Method == "__getattr__" || call.Method == "__setattr__" || !s.c.reg.IsCallback(call.Object, call.Method) {
		return false
	}
	s.c.log.Warn("callback failed, closing the connection", "client", s.client, "object", call.Object, "method", call.Method, "error", err)
	if h := s.c.hooks.CallbackError; h != nil {
		h(s.conn, call.Object, call.Method, err)
	}
	return true
}

// blobCall decodes a KEEPSERIALIZED request: the target comes from the BLBI
// annotation (always marshal), and the method receives a SerializedBlob.
func (s *Session) blobCall(m *wire.Message, call *serial.Call) error {
	raw, ok := m.Annotation("BLBI")
	if !ok {
		return pyval.NewException(pyval.ClassSerializeError, "missing BLBI annotation")
	}
	v, err := serial.Marshal.Unmarshal(raw)
	if err != nil {
		return err
	}
	t, ok := v.(pyval.Tuple)
	if !ok || len(t) != 3 {
		return pyval.NewException(pyval.ClassSerializeError, "invalid BLBI annotation")
	}
	obj, _ := t[1].(string)
	method, _ := t[2].(string)
	data := make([]byte, len(m.Data))
	copy(data, m.Data)
	*call = serial.Call{Object: obj, Method: method,
		Args: []any{&SerializedBlob{Info: t[0], Data: data, SerializerID: int(m.SerializerID), Protocol: s.gen}}}
	return nil
}

func (s *Session) replyException(seq uint16, codec serial.Codec, exc *pyval.Exception) {
	s.replyExceptionFlags(seq, codec, exc, wire.FlagException, nil)
}

// replyExceptionFlags sends an exception RESULT: no CORR, never compressed.
func (s *Session) replyExceptionFlags(seq uint16, codec serial.Codec, exc *pyval.Exception, flags wire.Flags, extra []wire.Annotation) {
	data, err := codec.Marshal(s.data[:0], exc, nil)
	if err != nil {
		fallback := pyval.NewException(pyval.ClassPyroError, "Error serializing exception: "+err.Error()+". Original exception: "+exc.Error())
		if data, err = codec.Marshal(s.data[:0], fallback, nil); err != nil {
			return
		}
	}
	s.data = data
	s.appendFrame(wire.MsgResult, flags, seq, uint16(codec.ID()), data, nil, extra, &s.c.woptsPlain)
}

func (s *Session) replyRaw(t wire.MsgType, flags wire.Flags, seq, sid uint16, data []byte, corr *[16]byte, extra []wire.Annotation) {
	s.appendFrame(t, flags, seq, sid, data, corr, extra, &s.c.wopts)
}

func (s *Session) appendFrame(t wire.MsgType, flags wire.Flags, seq, sid uint16, data []byte, corr *[16]byte, extra []wire.Annotation, opts *wire.Options) {
	if s.gen == wire.Pyro5 {
		s.appendFrame5(t, flags, seq, sid, data, extra, opts)
		return
	}
	anns := s.anns[:0]
	if corr != nil {
		anns = append(anns, wire.Annotation{Key: "CORR", Value: corr[:]})
	}
	anns = append(anns, extra...)
	msg := wire.Message{Type: t, Flags: flags, Seq: seq, SerializerID: sid, Annotations: anns, Data: data}
	out, err := wire.Append(s.out, &msg, opts)
	s.anns = anns[:0]
	if err != nil {
		// too large to send: Pyro4 drops the connection without a reply
		s.c.log.Debug("reply not sent", "error", err)
		s.broken = true
		return
	}
	s.out = out
}

func (s *Session) userAnnotations() []wire.Annotation {
	if s.c.hooks.Annotations == nil {
		return nil
	}
	return mapAnnotations(s.c.hooks.Annotations(), nil)
}

func (s *Session) responseAnnotations(cc *dispatch.CallContext) []wire.Annotation {
	if s.c.hooks.Annotations == nil && len(cc.ResponseAnnotations) == 0 {
		return nil
	}
	var anns []wire.Annotation
	if s.c.hooks.Annotations != nil {
		anns = mapAnnotations(s.c.hooks.Annotations(), anns)
	}
	return mapAnnotations(cc.ResponseAnnotations, anns)
}

func mapAnnotations(m map[string][]byte, dst []wire.Annotation) []wire.Annotation {
	for k, v := range m {
		if len(k) == 4 && k != "CORR" && k != "HMAC" {
			dst = append(dst, wire.Annotation{Key: k, Value: v})
		}
	}
	return dst
}

// Close releases the connection's state and runs the disconnect hook. The
// server type calls it once, when the connection has closed.
func (s *Session) Close() {
	if s.release != nil {
		s.release()
		s.release = nil
	}
	if s.c.obs != nil {
		s.observeClose()
	}
	if s.conn == nil {
		return
	}
	s.conn.Close()
	if h := s.c.hooks.ClientDisconnected; h != nil && s.ready {
		h(s.conn)
	}
	s.conn = nil
}

// SerializedBlob is what a method receives for a KEEPSERIALIZED call
// (Pyro4's SerializedBlob): the caller's info and the raw call payload,
// decoded only when asked.
type SerializedBlob struct {
	Info any
	Data []byte
	// SerializerID is in the numbering of Protocol, the client's wire
	// generation (48 or 502; 0 is taken as 48).
	SerializerID int
	Protocol     int
}

// Deserialized decodes the blob's data: the third element of the call.
func (b *SerializedBlob) Deserialized() (any, error) {
	codec, err := serial.ByID(b.SerializerID)
	switch {
	case b.Protocol == wire.Pyro5:
		codec, err = serial.ByID5(b.SerializerID)
	case b.SerializerID == serial.IDPickle:
		codec, err = serial.Pickle, nil // only a daemon that accepts pickle made this blob
	}
	if err != nil {
		return nil, err
	}
	var c serial.Call
	if err := codec.UnmarshalCall(b.Data, &c); err != nil {
		return nil, err
	}
	if len(c.Args) == 1 {
		return c.Args[0], nil
	}
	return pyval.Tuple(c.Args), nil
}

func exceptionText(err error) string {
	var e *pyval.Exception
	if errors.As(err, &e) {
		return e.Message()
	}
	return err.Error()
}

func strList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
