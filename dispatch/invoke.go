package dispatch

import (
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// Special method names of an INVOKE (wire.md 3.2, 3.3).
const (
	methodGetattr = "__getattr__"
	methodSetattr = "__setattr__"
)

// Invoke runs one call on the object call.Object. cc describes the call
// (it may be nil in tests); Invoke sets its ObjectID and Host. Every
// failure is a *pyval.Exception with a "_pyroTraceback" attribute:
//
//   - unknown object: Pyro4.errors.DaemonError("unknown object");
//   - private name: AttributeError("attempt to access private attribute 'x'");
//   - a method that exists but is not exposed: AttributeError("attempt to
//     access unexposed attribute 'x'"); a name that does not exist at all:
//     AttributeError("'Type' object has no attribute 'x'"), Pyro4's
//     server-side texts;
//   - arguments that do not fit: TypeError (OverflowError for ints out of
//     range), in Python's words;
//   - the method's error (see ToException) or panic (RuntimeError).
//
// Method "<batch>" runs call.Args as a batch and returns []any, ending in a
// pyval.ExceptionWrapper if a call failed; an unknown or private name in
// the batch fails the whole batch with a plain exception, as in Pyro4.
// "__getattr__" and "__setattr__" read and write Exposure.Attrs. A method
// that returns a stream yields StreamStarted (nil for a oneway call).
func (r *Registry) Invoke(ctx context.Context, cc *CallContext, call *serial.Call) (any, error) {
	return r.invoke(ctx, cc, call, nil)
}

// InvokeOwned is Invoke for a caller that can give up call's Args array:
// a variadic method then gets the array itself as its slice, as a Go call
// f(s...) passes s, rather than a copy of it, and may keep it. When it
// did, call.Args is nil on return, and the array is no longer the
// caller's. The daemon's queued oneway calls come this way, their arrays
// being their own.
func (r *Registry) InvokeOwned(ctx context.Context, cc *CallContext, call *serial.Call) (any, error) {
	ab := argBlock{owned: true}
	res, err := r.invoke(ctx, cc, call, &ab)
	if ab.taken {
		call.Args = nil
	}
	return res, err
}

func (r *Registry) invoke(ctx context.Context, cc *CallContext, call *serial.Call, ab *argBlock) (any, error) {
	e := r.state.Load().byID[call.Object]
	if e == nil {
		return nil, r.raise(errUnknownObject(), nil)
	}
	var conn *Conn
	var flags uint16
	if cc != nil {
		cc.ObjectID, cc.Host = call.Object, r.opts.Host
		conn, flags = cc.Conn, cc.Flags
	}
	switch call.Method {
	case serial.MethodBatch:
		return r.batch(ctx, cc, e, conn, call.Args)
	case methodGetattr, methodSetattr:
		return r.attribute(ctx, cc, e, conn, call.Method, call.Args)
	}
	m, a, exc := e.tab.lookupFor(call.Method, cc)
	if exc != nil {
		return nil, r.raise(exc, nil)
	}
	in, perCall, err := r.instanceFor(ctx, cc, e, conn)
	if err != nil {
		return nil, r.raise(err, nil)
	}
	var cleanup func()
	if perCall {
		cleanup = func() { r.release(in) }
	}
	var res any
	switch {
	case a != nil:
		res, exc = r.attrAsMethod(ctx, cc, in, a)
	case call.KwargsNone:
		// Pyro4's daemon calls method(*vargs, **kwargs), and **None is
		// Python's TypeError
		exc = r.raise(notMapping(m, nil), m)
	default:
		res, exc = r.call(ctx, cc, in, m, call.Args, call.Kwargs, ab)
	}
	if exc == nil && m != nil && (m.stream || (m.dynOut && isStreamValue(res))) {
		switch {
		case isNil(res): // a nil channel or sequence is None, not a stream
			if cleanup != nil {
				cleanup()
			}
			return nil, nil
		case flags&flagOneway != 0:
			discardStream(res, cleanup)
			return nil, nil
		case !r.opts.IterStreaming:
			discardStream(res, cleanup)
			return StreamStarted{}, nil
		}
		return StreamStarted{ID: r.startStream(conn, res, cleanup)}, nil
	}
	if cleanup != nil {
		cleanup()
	}
	if exc != nil {
		return nil, exc
	}
	return res, nil
}

// hasFastPath reports whether a call of m with kwargs may go through
// fastCall: m has a fast shape and the call no keyword arguments.
func (m *method) hasFastPath(kwargs *pyval.Dict) bool {
	return m.fast != fastNone && m.expr != nil && kwargs.Len() == 0
}

// call runs m on in. The returned exception is ready for the wire.
func (r *Registry) call(ctx context.Context, cc *CallContext, in *instance, m *method, args []any, kwargs *pyval.Dict, ab *argBlock) (res any, exc *pyval.Exception) {
	defer func() {
		if p := recover(); p != nil {
			res, exc = nil, r.raisePanic(p, debug.Stack(), m)
		}
	}()
	if m.hasFastPath(kwargs) {
		if res, err, ok := fastCall(m.fast, m.expr, in.ptr, args, ab); ok {
			if err != nil {
				return nil, r.raise(err, m)
			}
			return res, nil
		}
	}
	vals, exc := m.bind(ctx, cc, args, kwargs)
	if exc != nil {
		return nil, r.raise(exc, m)
	}
	outs := in.rv.Method(m.index).Call(vals)
	var err error
	if m.errOut {
		if ev := outs[m.nout]; !ev.IsNil() {
			err = ev.Interface().(error)
		}
	}
	if err != nil {
		return nil, r.raise(err, m)
	}
	switch m.nout {
	case 0:
		return nil, nil
	case 1:
		return outs[0].Interface(), nil
	}
	// Several results come back as a tuple, as a Python function returns them.
	t := make(pyval.Tuple, m.nout)
	for i := range t {
		t[i] = outs[i].Interface()
	}
	return t, nil
}

// bind converts positional and keyword arguments to m's parameters, with
// Python's rules and messages.
func (m *method) bind(ctx context.Context, cc *CallContext, args []any, kwargs *pyval.Dict) ([]reflect.Value, *pyval.Exception) {
	np := len(m.params)
	if len(args) > np && m.variadic == nil {
		return nil, m.tooMany(len(args))
	}
	size := np
	if m.ctx {
		size++
	}
	if m.kwargs {
		size++
	}
	if len(args) > np {
		size += len(args) - np
	}
	vals := make([]reflect.Value, 0, size)
	if m.ctx {
		if ctx == nil {
			ctx = context.Background()
		}
		if cc != nil {
			ctx = NewContext(ctx, cc)
		}
		vals = append(vals, reflect.ValueOf(ctx))
	}
	base := len(vals)
	vals = vals[:base+np]
	for i := 0; i < np && i < len(args); i++ {
		v, cerr := m.params[i].conv(args[i])
		if cerr != nil {
			return nil, m.argError(cerr, strconv.Itoa(i+1))
		}
		vals[base+i] = v
	}
	var kw Kwargs
	for _, it := range kwargs.Items() {
		key, ok := it.Key.(string)
		if !ok {
			return nil, pyval.NewException(pyval.ClassTypeError, "keywords must be strings")
		}
		if i := m.paramIndex(key); i >= 0 {
			if i < len(args) {
				return nil, pyval.NewException(pyval.ClassTypeError, fmt.Sprintf("%s() got multiple values for argument '%s'", m.qual, key))
			}
			v, cerr := m.params[i].conv(it.Value)
			if cerr != nil {
				return nil, m.argError(cerr, "'"+key+"'")
			}
			vals[base+i] = v
			continue
		}
		if !m.kwargs {
			return nil, pyval.NewException(pyval.ClassTypeError, fmt.Sprintf("%s() got an unexpected keyword argument '%s'", m.qual, key))
		}
		if kw == nil {
			kw = Kwargs{}
		}
		kw[key] = it.Value
	}
	var missing []string
	for i := range np {
		if vals[base+i].IsValid() {
			continue
		}
		if m.params[i].optional {
			vals[base+i] = reflect.Zero(m.params[i].typ)
			continue
		}
		missing = append(missing, "'"+m.paramName(i)+"'")
	}
	if missing != nil {
		return nil, pyval.NewException(pyval.ClassTypeError, fmt.Sprintf("%s() missing %d required positional argument%s: %s",
			m.qual, len(missing), plural(len(missing)), joinNames(missing)))
	}
	if m.kwargs {
		vals = append(vals, reflect.ValueOf(kw))
	}
	for i := np; i < len(args); i++ {
		v, cerr := m.variadic.conv(args[i])
		if cerr != nil {
			return nil, m.argError(cerr, strconv.Itoa(i+1))
		}
		vals = append(vals, v)
	}
	return vals, nil
}

func (m *method) paramIndex(name string) int {
	for i := range m.params {
		if m.params[i].name == name {
			return i
		}
	}
	return -1
}

// paramName is the Python name of parameter i, or "argN" when the method
// has no Exposure.Params.
func (m *method) paramName(i int) string {
	if n := m.params[i].name; n != "" {
		return n
	}
	return "arg" + strconv.Itoa(i+1)
}

func (m *method) argError(cerr *convError, arg string) *pyval.Exception {
	class, msg := cerr.message(m.qual, arg)
	return pyval.NewException(class, msg)
}

// tooMany is Python's message, which counts self as Python does.
func (m *method) tooMany(given int) *pyval.Exception {
	hi, lo := len(m.params)+1, m.required+1
	takes := fmt.Sprintf("%d positional argument%s", hi, plural(hi))
	if lo != hi {
		takes = fmt.Sprintf("from %d to %d positional arguments", lo, hi)
	}
	g := given + 1
	was := "were"
	if g == 1 {
		was = "was"
	}
	return pyval.NewException(pyval.ClassTypeError, fmt.Sprintf("%s() takes %s but %d %s given", m.qual, takes, g, was))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// joinNames joins as Python does: 'a' / 'a' and 'b' / 'a', 'b', and 'c'.
func joinNames(n []string) string {
	switch len(n) {
	case 1:
		return n[0]
	case 2:
		return n[0] + " and " + n[1]
	}
	return strings.Join(n[:len(n)-1], ", ") + ", and " + n[len(n)-1]
}

// attribute serves __getattr__ (args: name) and __setattr__ (name, value).
func (r *Registry) attribute(ctx context.Context, cc *CallContext, e *entry, conn *Conn, special string, args []any) (any, error) {
	want := 1
	if special == methodSetattr {
		want = 2
	}
	if len(args) != want {
		return nil, r.raise(pyval.NewException(pyval.ClassTypeError,
			fmt.Sprintf("%s expected %d argument%s, got %d", special, want, plural(want), len(args))), nil)
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, r.raise(pyval.NewException(pyval.ClassTypeError, "attribute name must be string, not '"+pyval.TypeName(args[0])+"'"), nil)
	}
	a := e.tab.attrs[name]
	var m *method
	if a != nil {
		if special == methodGetattr {
			m = a.get
		} else {
			m = a.set
		}
	}
	if m == nil {
		return nil, r.raise(e.tab.attrError(name), nil)
	}
	in, perCall, err := r.instanceFor(ctx, cc, e, conn)
	if err != nil {
		return nil, r.raise(err, nil)
	}
	if perCall {
		defer r.release(in)
	}
	res, exc := r.call(ctx, cc, in, m, args[1:], nil, nil)
	if exc != nil {
		return nil, exc
	}
	return res, nil
}

// attrAsMethod is a readable attribute called as a method with
// REQUIRE_EXPOSE off: Python reads the property, then cannot call it.
func (r *Registry) attrAsMethod(ctx context.Context, cc *CallContext, in *instance, a *attr) (any, *pyval.Exception) {
	v, exc := r.call(ctx, cc, in, a.get, nil, nil, nil)
	if exc != nil {
		return nil, exc
	}
	return nil, r.raise(pyval.NewException(pyval.ClassTypeError, fmt.Sprintf("'%s' object is not callable", pyTypeOf(v))), a.get)
}

// pyTypeOf names the Python type a Go result will be sent as.
func pyTypeOf(v any) string {
	if n := pyval.TypeName(v); n != "object" {
		return n
	}
	if pv, err := pyval.FromGo(v); err == nil {
		if n := pyval.TypeName(pv); n != "object" {
			return n
		}
	}
	return reflect.TypeOf(v).String()
}

// batch runs a <batch> call: each entry is (method, args, kwargs).
func (r *Registry) batch(ctx context.Context, cc *CallContext, e *entry, conn *Conn, entries []any) (any, error) {
	in, perCall, err := r.instanceFor(ctx, cc, e, conn)
	if err != nil {
		return nil, r.raise(err, nil)
	}
	if perCall {
		defer r.release(in)
	}
	out := make([]any, 0, len(entries))
	var ab argBlock
	for i, raw := range entries {
		ab.left = len(entries) - i
		name, vargs, kwargs, exc := batchEntry(raw)
		if exc != nil {
			return nil, r.raise(exc, nil)
		}
		// Pyro4 looks the name up outside its per-call error capture.
		m, a, exc := e.tab.lookupFor(name, cc)
		if exc != nil {
			return nil, r.raise(exc, nil)
		}
		var args []any
		var kw *pyval.Dict
		if a == nil {
			args, kw, exc = batchArgs(m, vargs, kwargs)
		}
		res, exc, err := r.batchCall(ctx, cc, in, m, a, args, kw, exc, &ab)
		if err != nil {
			return nil, err
		}
		if exc != nil {
			out = append(out, pyval.ExceptionWrapper{Exception: exc})
			break
		}
		out = append(out, res)
	}
	return out, nil
}

// InvokeBatch runs a batch decoded straight into calls (see
// serial.BatchUnmarshaler) with the semantics of Invoke's "<batch>": it
// appends each call's result to out and returns it, ending in a
// pyval.ExceptionWrapper if a call failed. The error fails the whole
// batch; out may then hold results already appended, which the caller
// drops. The caller also clears out once it encoded the results.
func (r *Registry) InvokeBatch(ctx context.Context, cc *CallContext, b *serial.Batch, out []any) (results []any, err error) {
	e := r.state.Load().byID[b.Object]
	if e == nil {
		return out, r.raise(errUnknownObject(), nil)
	}
	var conn *Conn
	if cc != nil {
		cc.ObjectID, cc.Host = b.Object, r.opts.Host
		conn = cc.Conn
	}
	in, perCall, err := r.instanceFor(ctx, cc, e, conn)
	if err != nil {
		return out, r.raise(err, nil)
	}
	if perCall {
		defer r.release(in)
	}
	var ab argBlock
	// A batch usually calls one method over and over: a lookup is pure,
	// so the last one is kept for the entries that repeat its name.
	var (
		lastName string
		m        *method
		a        *attr
	)
	// Calls with a fast shape and a result that cannot be a stream run
	// here, without call's layers: a panic ends the batch as call's
	// recover would, with one deferred recover for the whole batch.
	var running *method
	defer func() {
		if running == nil {
			return // not in a fast call: not ours to recover
		}
		if p := recover(); p != nil {
			results, err = append(out, pyval.ExceptionWrapper{Exception: r.raisePanic(p, debug.Stack(), running)}), nil
		}
	}()
	for i := range b.Calls {
		c := &b.Calls[i]
		ab.left = len(b.Calls) - i
		if i == 0 || c.Method != lastName {
			var exc *pyval.Exception
			if m, a, exc = e.tab.lookupFor(c.Method, cc); exc != nil {
				return out, r.raise(exc, nil)
			}
			lastName = c.Method
		}
		if a == nil && !m.stream && !m.dynOut && !c.KwargsNone && m.hasFastPath(c.Kwargs) {
			running = m
			res, ferr, ok := fastCall(m.fast, m.expr, in.ptr, c.Args, &ab)
			running = nil
			if ok {
				if ferr != nil {
					return append(out, pyval.ExceptionWrapper{Exception: r.raise(ferr, m)}), nil
				}
				out = append(out, res)
				continue
			}
		}
		var exc *pyval.Exception
		if a == nil && c.KwargsNone {
			exc = notMapping(m, nil)
		}
		res, exc, err := r.batchCall(ctx, cc, in, m, a, c.Args, c.Kwargs, exc, &ab)
		if err != nil {
			return out, err
		}
		if exc != nil {
			return append(out, pyval.ExceptionWrapper{Exception: exc}), nil
		}
		out = append(out, res)
	}
	return out, nil
}

// batchCall runs one batch entry: method m or attribute a, or argExc, the
// entry's arguments' exception. An exception ends the batch as its last
// result; the error fails the whole batch.
func (r *Registry) batchCall(ctx context.Context, cc *CallContext, in *instance, m *method, a *attr, args []any, kw *pyval.Dict, argExc *pyval.Exception, ab *argBlock) (res any, exc *pyval.Exception, err error) {
	switch {
	case a != nil:
		res, exc = r.attrAsMethod(ctx, cc, in, a)
	case argExc != nil:
		exc = r.raise(argExc, m)
	default:
		res, exc = r.call(ctx, cc, in, m, args, kw, ab)
	}
	if exc != nil {
		return nil, exc, nil
	}
	if m != nil && (m.stream || (m.dynOut && isStreamValue(res))) && !isNil(res) {
		// Nothing streams inside a batch: the result cannot be
		// serialized, which fails the whole batch.
		discardStream(res, nil)
		return nil, nil, r.raise(pyval.NewException(pyval.ClassSerializeError,
			fmt.Sprintf("don't know how to serialize %T (a stream) in a batch result", res)), nil)
	}
	return res, nil, nil
}

// batchEntry unpacks one entry as Pyro4's "for method, vargs, kwargs in
// vargs" does (json sends lists); a failure there fails the whole batch,
// as does a method name that is not a str (Pyro4's getAttribute calls its
// startswith).
func batchEntry(raw any) (name string, vargs, kwargs any, exc *pyval.Exception) {
	parts, ok := pyval.Iterate(raw)
	switch {
	case !ok:
		return "", nil, nil, pyval.NewException(pyval.ClassTypeError, "cannot unpack non-iterable "+pyval.TypeName(raw)+" object")
	case len(parts) < 3:
		return "", nil, nil, pyval.NewException(pyval.ClassValueError, fmt.Sprintf("not enough values to unpack (expected 3, got %d)", len(parts)))
	case len(parts) > 3:
		return "", nil, nil, pyval.NewException(pyval.ClassValueError, "too many values to unpack (expected 3)")
	}
	if name, ok = parts[0].(string); !ok {
		return "", nil, nil, pyval.NewException(pyval.ClassAttributeError, "'"+pyval.TypeName(parts[0])+"' object has no attribute 'startswith'")
	}
	return name, parts[1], parts[2], nil
}

// notMapping is Python's TypeError for m(**kwargs) when kwargs is not a
// mapping (None included).
func notMapping(m *method, kwargs any) *pyval.Exception {
	return pyval.NewException(pyval.ClassTypeError, m.qual+"() argument after ** must be a mapping, not "+pyval.TypeName(kwargs))
}

// batchArgs checks a batch entry's arguments as Python's call
// method(*vargs, **kwargs) does, the ** first; a failure is the entry's
// exception, which ends the batch.
func batchArgs(m *method, vargs, kwargs any) ([]any, *pyval.Dict, *pyval.Exception) {
	kw, ok := kwargs.(*pyval.Dict)
	if !ok {
		return nil, nil, notMapping(m, kwargs)
	}
	args, ok := pyval.Iterate(vargs)
	if !ok {
		return nil, nil, pyval.NewException(pyval.ClassTypeError, m.qual+"() argument after * must be an iterable, not "+pyval.TypeName(vargs))
	}
	return args, kw, nil
}
