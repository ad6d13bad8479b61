package dispatch

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"
	"unsafe"

	"github.com/gyro-rpc/gyro/pyval"
)

// InstanceMode says when a registered Class gets new instances (Pyro4's
// @behavior(instance_mode=...)).
type InstanceMode int

const (
	// Session makes one instance per connection (Conn), released when the
	// connection closes. It is the default, as in Pyro4.
	Session InstanceMode = iota
	// Single makes one instance, lazily, for all calls.
	Single
	// PerCall makes a new instance for every call.
	PerCall
)

func (m InstanceMode) String() string {
	switch m {
	case Session:
		return "session"
	case Single:
		return "single"
	case PerCall:
		return "percall"
	}
	return fmt.Sprintf("InstanceMode(%d)", int(m))
}

// Class is a registrable type whose instances the registry creates as its
// InstanceMode says, the counterpart of registering a Python class.
// Methods are those of *T; metadata comes from the type, so a client that
// only connects creates no instance.
type Class struct {
	typ    reflect.Type // *T
	mode   InstanceMode
	create func(context.Context) (any, error)
}

// NewClass describes a class of *T instances. creator makes one; nil means
// new(T). It runs during the call that needs the instance, and its ctx
// carries that call's CallContext (FromContext: client address,
// annotations, connection), as Pyro4's instance creators read
// current_context. A creator error is raised to that caller.
func NewClass[T any](mode InstanceMode, creator func(ctx context.Context) (*T, error)) *Class {
	c := &Class{typ: reflect.TypeFor[*T](), mode: mode}
	if creator == nil {
		c.create = func(context.Context) (any, error) { return new(T), nil }
	} else {
		c.create = func(ctx context.Context) (any, error) {
			p, err := creator(ctx)
			if err != nil {
				return nil, err
			}
			if p == nil {
				return nil, pyval.NewException(pyval.ClassTypeError, "instance creator returned nil")
			}
			return p, nil
		}
	}
	return c
}

// Mode returns the instance mode.
func (c *Class) Mode() InstanceMode { return c.mode }

// Type returns the instance type, *T.
func (c *Class) Type() reflect.Type { return c.typ }

func (c *Class) String() string { return fmt.Sprintf("dispatch.Class(%s, %s)", c.typ, c.mode) }

// instance is one object calls go to. Fast-path methods are called
// through their method expression with ptr as the receiver: the object
// itself for pointer types, an addressable copy for objects registered by
// value (whose methods get a copy of the value anyway).
type instance struct {
	obj any
	rv  reflect.Value
	ptr unsafe.Pointer
}

func newInstance(obj any) *instance {
	in := &instance{obj: obj, rv: reflect.ValueOf(obj)}
	if in.rv.Kind() == reflect.Pointer {
		in.ptr = in.rv.UnsafePointer()
		return in
	}
	cp := reflect.New(in.rv.Type())
	cp.Elem().Set(in.rv)
	in.ptr = cp.UnsafePointer()
	return in
}

// instanceFor returns the instance a call on e goes to. perCall reports
// an instance made for this call only (the caller releases it).
func (r *Registry) instanceFor(ctx context.Context, cc *CallContext, e *entry, conn *Conn) (in *instance, perCall bool, err error) {
	if e.inst != nil {
		return e.inst, false, nil
	}
	switch e.class.mode {
	case Single:
		if in := e.single.Load(); in != nil {
			return in, false, nil
		}
		e.singleMu.Lock()
		defer e.singleMu.Unlock()
		if in := e.single.Load(); in != nil {
			return in, false, nil
		}
		in, err := r.create(ctx, cc, e)
		if err != nil {
			return nil, false, err
		}
		e.single.Store(in)
		return in, false, nil
	case Session:
		if conn != nil {
			return conn.sessionInstance(ctx, cc, r, e)
		}
	}
	// PerCall, or a session without a connection (a direct Invoke).
	in, err = r.create(ctx, cc, e)
	return in, err == nil, err
}

// create makes a class instance, with the call's context, and tells it
// its id.
func (r *Registry) create(ctx context.Context, cc *CallContext, e *entry) (in *instance, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = r.raisePanic(p, debug.Stack(), nil)
		}
	}()
	if ctx == nil {
		ctx = context.Background()
	}
	if cc != nil {
		ctx = NewContext(ctx, cc)
	}
	obj, err := e.class.create(ctx)
	if err != nil {
		r.log.Warn("dispatch: could not create instance", "class", e.class.typ.String(), "err", err)
		return nil, err
	}
	if h, ok := obj.(RegisteredHook); ok {
		h.PyroRegistered(e.id, r.opts.Host)
	}
	return newInstance(obj), nil
}

// release closes an instance that implements io.Closer.
func (r *Registry) release(in *instance) {
	if c, ok := in.obj.(io.Closer); ok {
		if err := c.Close(); err != nil {
			r.log.Debug("dispatch: closing instance", "type", in.rv.Type().String(), "err", err)
		}
	}
}
