package proxy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// emptyKwargs is the kwargs of a call without keyword arguments: Pyro4
// sends {} there (None only for __getattr__, __setattr__ and <batch>). It is
// shared and never modified.
var emptyKwargs = pyval.NewDict(0)

// Call calls method with positional arguments and returns its result.
//
// Arguments are Go values converted as pyval.FromGo describes; results are
// in the pyval model, and As converts them into Go types. A method in the
// metadata's oneway list is called oneway and returns (nil, nil). A method
// that returns an iterator returns a *Stream. An exception raised remotely
// is returned as *pyval.Exception, with the remote traceback in its
// "_pyroTraceback" attribute (Exception.Traceback). Misuse (a name that is
// not exposed, an argument that cannot be encoded) is a Go error with a
// sentinel; failures of the connection are *Error values wrapping a
// *pyval.Exception of Pyro4's classes (CommunicationError, TimeoutError,
// ...). Use errors.As and errors.Is.
func (p *Proxy) Call(ctx context.Context, method string, args ...any) (any, error) {
	return p.call(ctx, method, args, emptyKwargs, false)
}

// CallKw is Call with keyword arguments.
func (p *Proxy) CallKw(ctx context.Context, method string, args []any, kwargs map[string]any) (any, error) {
	return p.call(ctx, method, args, kwargsDict(kwargs), false)
}

// Oneway calls method without waiting for, or getting, a result: the
// server sends none, not even for an error. It returns once the request is
// written.
func (p *Proxy) Oneway(ctx context.Context, method string, args ...any) error {
	_, err := p.call(ctx, method, args, emptyKwargs, true)
	return err
}

// kwargsDict turns kwargs into a dict with sorted keys, so the encoding is
// stable.
func kwargsDict(kwargs map[string]any) *pyval.Dict {
	if len(kwargs) == 0 {
		return emptyKwargs
	}
	keys := make([]string, 0, len(kwargs))
	for k := range kwargs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	d := pyval.NewDict(len(keys))
	for _, k := range keys {
		d.Append(k, kwargs[k])
	}
	return d
}

// call makes a method call, retrying as Pyro4's _RemoteMethod does.
func (p *Proxy) call(ctx context.Context, method string, args []any, kwargs *pyval.Dict, oneway bool) (any, error) {
	if p.opts.Intercept != nil {
		return p.intercepted(ctx, method, oneway, func(ctx context.Context, extra []wire.Annotation) (any, error) {
			return p.retry(ctx, method, args, kwargs, oneway, extra)
		})
	}
	return p.retry(ctx, method, args, kwargs, oneway, nil)
}

func (p *Proxy) retry(ctx context.Context, method string, args []any, kwargs *pyval.Dict, oneway bool, extra []wire.Annotation) (any, error) {
	for attempt := 0; ; attempt++ {
		v, err := p.callOnce(ctx, method, args, kwargs, oneway, extra)
		if err == nil || attempt >= p.set.maxRetries || !retryable(err) || (ctx != nil && ctx.Err() != nil) {
			return v, err
		}
	}
}

func (p *Proxy) callOnce(ctx context.Context, method string, args []any, kwargs *pyval.Dict, oneway bool, extra []wire.Annotation) (any, error) {
	if p.opts.Pipeline {
		return p.pipeCall(ctx, method, args, kwargs, oneway, extra)
	}
	o, err := p.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer p.end()
	p.extra = extra
	if !p.set.noMetadata {
		if err := p.needMetadata(o); err != nil {
			return nil, err
		}
	}
	flags, err := p.methodFlags(method, oneway)
	if err != nil {
		return nil, err
	}
	return p.invoke(o, "", method, args, kwargs, flags, true)
}

// methodFlags checks method against the metadata, when it is on and
// known, and returns the INVOKE flags: oneway when asked for or when the
// metadata marks the method oneway.
func (p *Proxy) methodFlags(method string, oneway bool) (wire.Flags, error) {
	if !p.set.noMetadata {
		p.mu.Lock()
		exposed, isOneway := has(p.meta.methods, method), has(p.meta.oneway, method)
		p.mu.Unlock()
		if !exposed {
			// Checked locally, as Pyro4 does; a private name is never exposed.
			return 0, notExposed(pyval.Errorf(pyval.ClassAttributeError, "remote object '%s' has no exposed attribute or method '%s'", p.URI(), method))
		}
		oneway = oneway || isOneway
	}
	if oneway {
		return wire.FlagOneway, nil
	}
	return 0, nil
}

// attrExposed checks an attribute name against the metadata, when it is on.
func (p *Proxy) attrExposed(name string) error {
	if p.set.noMetadata {
		return nil
	}
	p.mu.Lock()
	ok := has(p.meta.attrs, name)
	p.mu.Unlock()
	if !ok {
		return notExposed(pyval.Errorf(pyval.ClassAttributeError, "remote object '%s' has no exposed attribute '%s'", p.URI(), name))
	}
	return nil
}

// notExposed is ErrNotExposed with the AttributeError Pyro4 raises for it
// and that exception's text.
func notExposed(exc *pyval.Exception) error {
	return &misuse{err: fmt.Errorf("%w: %s", ErrNotExposed, exc.Message()), exc: exc}
}

// needMetadata connects to learn the metadata when it is not known yet.
func (p *Proxy) needMetadata(o *op) error {
	p.mu.Lock()
	known := p.meta.known
	p.mu.Unlock()
	if known {
		return nil
	}
	return p.connect(o, false)
}

// Get returns the value of a remote attribute (an exposed property).
func (p *Proxy) Get(ctx context.Context, attr string) (any, error) {
	return p.attr(ctx, "__getattr__", pyval.Tuple{attr})
}

// Set sets a remote attribute (an exposed property with a setter).
func (p *Proxy) Set(ctx context.Context, attr string, v any) error {
	_, err := p.attr(ctx, "__setattr__", pyval.Tuple{attr, v})
	return err
}

func (p *Proxy) attr(ctx context.Context, method string, args pyval.Tuple) (any, error) {
	if p.opts.Pipeline {
		return p.pipeAttr(ctx, method, args)
	}
	o, err := p.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer p.end()
	if !p.set.noMetadata {
		if err := p.needMetadata(o); err != nil {
			return nil, err
		}
	}
	if err := p.attrExposed(args[0].(string)); err != nil {
		return nil, err
	}
	// kwargs None, exactly as Pyro4 sends these.
	return p.invoke(o, "", method, args, nil, 0, true)
}

// invoke sends one INVOKE and reads its RESULT (section 2.2 of the protocol
// notes). obj "" means the connection's object. userAnn sends the pending
// request annotations and records the response's. Caller holds sem.
func (p *Proxy) invoke(o *op, obj, method string, args []any, kwargs *pyval.Dict, flags wire.Flags, userAnn bool) (any, error) {
	if err := p.connect(o, false); err != nil {
		return nil, err
	}
	if obj == "" {
		obj = p.connURI.Object
	}
	// p.callBuf is reused: the codec takes a pointer, which would escape.
	p.callBuf = serial.Call{Object: obj, Method: method, Args: args, Kwargs: kwargs}
	payload, err := p.codec.MarshalCall(p.payload[:0], &p.callBuf, nil)
	p.callBuf = serial.Call{}
	if err != nil {
		return nil, encodeErr(err)
	}
	p.payload = payload[:0]
	var anns []wire.Annotation
	if userAnn {
		anns = p.takeAnnotations(true)
		p.setResponse(nil)
	}
	if len(p.extra) > 0 {
		anns = append(anns, p.extra...)
		p.extra = nil
	}
	p.seq++ // before every INVOKE, oneway too; wraps at 65535
	msg := wire.Message{Type: wire.MsgInvoke, Flags: flags, Seq: p.seq, SerializerID: uint16(p.codec.ID()),
		Annotations: anns, Data: payload}
	frame, err := p.appendMsg(p.frame[:0], &msg)
	if err != nil {
		return nil, encodeErr(err)
	}
	p.frame = frame[:0]
	if _, err := p.conn.Write(frame); err != nil {
		err = ioErr(o, "sending", err)
		p.drop()
		return nil, err
	}
	if flags&wire.FlagOneway != 0 {
		return nil, nil
	}
	reply, err := p.readMsg(p.br)
	if err != nil {
		err = ioErr(o, "receiving", err)
		p.drop()
		return nil, err
	}
	if reply.Seq != p.seq && reply.Type == wire.MsgResult {
		p.drop()
		return nil, pyval.Errorf(pyval.ClassProtocolError, "invoke: reply sequence out of sync, got %d expected %d", reply.Seq, p.seq)
	}
	v, drop, err := p.decodeReply(reply, userAnn)
	if drop {
		p.drop()
	}
	return v, err
}

// decodeReply interprets the RESULT of a call: its value, a remote
// exception, or a stream. drop reports an error after which the connection
// cannot be trusted (a mismatch means later replies would be misread).
func (p *Proxy) decodeReply(reply *wire.Message, userAnn bool) (v any, drop bool, err error) {
	switch {
	case reply.Type != wire.MsgResult:
		return nil, true, pyval.Errorf(pyval.ClassProtocolError, "invalid msg type %d received", reply.Type)
	case int(reply.SerializerID) != p.codec.ID():
		return nil, true, pyval.Errorf(pyval.ClassSerializeError, "invalid serializer in response: %d", reply.SerializerID)
	}
	if userAnn {
		p.setResponse(reply.Annotations)
	}
	// Stream start is tested before the exception flag: it comes as 0x21.
	if reply.Flags&wire.FlagItemStreamResult != 0 {
		id, _ := reply.Annotation("STRM")
		if len(id) == 0 {
			return nil, false, pyval.NewException(pyval.ClassProtocolError, "result of call is an iterator, but the server is not configured to allow streaming")
		}
		return &Stream{p: p, id: string(id)}, false, nil
	}
	v, err = p.codec.Unmarshal(reply.Data)
	if err != nil {
		err = decodeErr(err)
		return nil, errors.Is(err, pyval.ErrCommunication), err
	}
	if reply.Flags&wire.FlagException != 0 {
		exc, ok := v.(*pyval.Exception)
		if !ok {
			return nil, false, pyval.Errorf(pyval.ClassProtocolError, "exception result is a %s", pyval.TypeName(v))
		}
		// Pyro4 releases the connection for these, remote or not.
		return nil, errors.Is(exc, pyval.ErrCommunication), exc
	}
	return v, false, nil
}
