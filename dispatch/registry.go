package dispatch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// DaemonName is the id of the daemon's own object (Pyro4's
// constants.DAEMON_NAME). Unregister ignores it.
const DaemonName = pyval.DaemonID

// Host is what a registry's owner (the engine's Daemon) provides. Objects
// receive it when they are registered (Registered hook) and in their
// CallContext, to register further objects or to build URIs.
type Host interface {
	Register(obj any, id string, force bool) (pyval.URI, error)
	Unregister(objOrID any) error
	URIFor(objOrID any) (pyval.URI, error)
}

// Options configure a Registry. The zero value is usable.
type Options struct {
	// RequireExpose is Pyro4's REQUIRE_EXPOSE: when set, only methods
	// named in Exposure.Only (and Promote) are remote.
	RequireExpose bool
	// Autoproxy makes Replacer return a replacer that sends registered
	// objects as proxies (Pyro4's AUTOPROXY).
	Autoproxy bool
	// IterStreaming lets calls that return streams be consumed item by
	// item (Pyro4's ITER_STREAMING).
	IterStreaming bool
	// StreamLifetime drops streams that long after their creation
	// (ITER_STREAM_LIFETIME); <= 0 keeps them.
	StreamLifetime time.Duration
	// StreamLinger keeps the streams of a closed Conn for that long, to be
	// adopted by any connection (ITER_STREAM_LINGER); <= 0 drops them
	// when the Conn closes.
	StreamLinger time.Duration
	// DetailedTraceback adds the Go error chain to exception tracebacks
	// (DETAILED_TRACEBACK). Panics always carry the Go stack.
	DetailedTraceback bool
	// Host is passed to objects' hooks and calls; it may be nil.
	Host Host
	// Logger receives warnings and panics; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for stream creation and linger times; nil means
	// time.Now. Housekeep takes the current time as an argument.
	Now func() time.Time
}

// Registry holds a daemon's objects by id and calls their methods.
// It is safe for concurrent use: calls read an immutable snapshot of the
// registrations through an atomic pointer, and (rare) registrations copy it.
type Registry struct {
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	mu    sync.Mutex // serialises writers of state
	state atomic.Pointer[regState]

	smu     sync.Mutex // guards streams
	streams map[string]*stream
}

// regState is one immutable snapshot of the registrations.
type regState struct {
	byID    map[string]*entry
	order   []string
	byKey   map[any]string          // identity of a registered object -> id
	byClass map[reflect.Type]string // instance type of a registered class -> id
}

// entry is one registered object or class.
type entry struct {
	id    string
	obj   any // as registered: the instance or the *Class
	key   any // identity key, nil if the object has none
	tab   *typeTable
	class *Class
	inst  *instance // the registered instance (nil for classes)

	singleMu sync.Mutex
	single   atomic.Pointer[instance] // class in Single mode
}

// NewRegistry returns an empty registry.
func NewRegistry(opts Options) *Registry {
	r := &Registry{opts: opts, log: opts.Logger, now: opts.Now, streams: map[string]*stream{}}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.state.Store(&regState{byID: map[string]*entry{}, byKey: map[any]string{}, byClass: map[reflect.Type]string{}})
	return r
}

// Options returns the options the registry was created with.
func (r *Registry) Options() Options { return r.opts }

// Registered objects may implement these to learn their id and host.
type (
	// RegisteredHook is told at Register (a class's instances: when each
	// is created) under which id and by which host the object is served.
	RegisteredHook interface {
		PyroRegistered(id string, h Host)
	}
	// UnregisteredHook is told at Unregister (a class: its Single
	// instance, if one was made).
	UnregisteredHook interface {
		PyroUnregistered()
	}
)

// ErrNilObject is returned by Register for a nil object.
var ErrNilObject = errors.New("dispatch: cannot register nil")

// Register adds obj under id and returns the id. An empty id becomes
// "obj_" followed by 32 hex digits (uuid4().hex, as Pyro4). obj is an
// instance (pointer or value) or a *Class. Without force, an object that
// is already registered or an id that is taken is ErrAlreadyRegistered
// (a DaemonError with Pyro4's message to a Pyro4 client); with force the id is (re)assigned and keeps its place
// in Registered().
//
// Only pointer-like objects (pointers to non-empty types, maps, channels)
// have an identity: values and pointers to zero-size types can be
// registered, but IDOf, Unregister(obj) and autoproxy do not find them
// (Go may give distinct zero-size allocations the same address).
func (r *Registry) Register(obj any, id string, force bool) (string, error) {
	if obj == nil {
		return "", ErrNilObject
	}
	if _, isStr := obj.(string); isStr {
		return "", pyval.NewException(pyval.ClassTypeError, "cannot register a str: it would be taken for an object id")
	}
	cls, _ := obj.(*Class)
	t := reflect.TypeOf(obj)
	if cls != nil {
		t = cls.typ
	}
	tab, err := tableFor(t, r.opts.RequireExpose)
	if err != nil {
		return "", err
	}
	if id == "" {
		id = "obj_" + hex.EncodeToString(uuid4())
	}
	key, hasKey := identityKey(obj)

	r.mu.Lock()
	old := r.state.Load()
	if !force {
		if hasKey {
			if _, ok := old.byKey[key]; ok {
				r.mu.Unlock()
				return "", Misuse(ErrAlreadyRegistered, pyval.ClassDaemonError, "object or class already has a Pyro id")
			}
		}
		if _, ok := old.byID[id]; ok {
			r.mu.Unlock()
			return "", Misuse(ErrAlreadyRegistered, pyval.ClassDaemonError, "an object or class is already registered with that id")
		}
	}
	e := &entry{id: id, obj: obj, tab: tab, class: cls}
	if hasKey {
		e.key = key
	}
	if cls == nil {
		e.inst = newInstance(obj)
	}
	st := old.clone()
	if prev, ok := st.byID[id]; ok {
		st.forget(prev)
	} else {
		st.order = append(st.order, id)
	}
	st.byID[id] = e
	if hasKey {
		st.byKey[key] = id
	}
	if cls != nil {
		st.byClass[cls.typ] = id
	}
	r.state.Store(st)
	r.mu.Unlock()

	if len(tab.meta.Methods) == 0 && len(tab.meta.Attrs) == 0 {
		r.log.Warn("dispatch: object exposes no methods or attributes; did you forget Exposure.Only?",
			"type", tab.typ.String(), "id", id, "require_expose", r.opts.RequireExpose)
	}
	if h, ok := obj.(RegisteredHook); ok && cls == nil {
		h.PyroRegistered(id, r.opts.Host)
	}
	return id, nil
}

func (s *regState) clone() *regState {
	return &regState{
		byID:    maps.Clone(s.byID),
		order:   slices.Clone(s.order),
		byKey:   maps.Clone(s.byKey),
		byClass: maps.Clone(s.byClass),
	}
}

// forget removes e's identity and class mappings (not its id).
func (s *regState) forget(e *entry) {
	if e.key != nil && s.byKey[e.key] == e.id {
		delete(s.byKey, e.key)
	}
	if e.class != nil && s.byClass[e.class.typ] == e.id {
		delete(s.byClass, e.class.typ)
	}
}

// Unregister removes an object, given itself or its id. The daemon's own
// id and unknown ids are ignored; an object that is not registered is
// ErrNotRegistered (DaemonError "object isn't registered" to a Pyro4
// client).
func (r *Registry) Unregister(objOrID any) error {
	var id string
	switch v := objOrID.(type) {
	case nil:
		return pyval.NewException(pyval.ClassValueError, "object or objectid argument expected")
	case string:
		id = v
	default:
		key, ok := identityKey(v)
		if ok {
			id, ok = r.state.Load().byKey[key]
		}
		if !ok {
			return Misuse(ErrNotRegistered, pyval.ClassDaemonError, "object isn't registered")
		}
	}
	if id == DaemonName {
		return nil
	}
	r.mu.Lock()
	old := r.state.Load()
	e, ok := old.byID[id]
	if !ok {
		r.mu.Unlock()
		return nil
	}
	st := old.clone()
	delete(st.byID, id)
	st.forget(e)
	st.order = slices.DeleteFunc(st.order, func(s string) bool { return s == id })
	r.state.Store(st)
	r.mu.Unlock()

	switch {
	case e.inst != nil:
		if h, ok := e.inst.obj.(UnregisteredHook); ok {
			h.PyroUnregistered()
		}
	case e.class != nil:
		if in := e.single.Load(); in != nil {
			if h, ok := in.obj.(UnregisteredHook); ok {
				h.PyroUnregistered()
			}
		}
	}
	return nil
}

// IDOf returns the id of a registered object or *Class.
func (r *Registry) IDOf(obj any) (string, bool) {
	key, ok := identityKey(obj)
	if !ok {
		return "", false
	}
	id, ok := r.state.Load().byKey[key]
	return id, ok
}

// Lookup returns the object or *Class registered under id.
func (r *Registry) Lookup(id string) (any, bool) {
	e, ok := r.state.Load().byID[id]
	if !ok {
		return nil, false
	}
	return e.obj, true
}

// Registered returns the registered ids in registration order.
func (r *Registry) Registered() []string {
	return slices.Clone(r.state.Load().order)
}

// Metadata returns the remote interface of the object registered under id,
// from its type (no instance of a class is created). An unknown id is a
// DaemonError("unknown object").
func (r *Registry) Metadata(id string) (Metadata, error) {
	e, ok := r.state.Load().byID[id]
	if !ok {
		return Metadata{}, r.raise(errUnknownObject(), nil)
	}
	return e.tab.meta.clone(), nil
}

// IsOneway reports whether method of the object registered under id is
// declared oneway (Exposure.Oneway). The engine decides by the call's
// flags; this serves metadata and proxies.
func (r *Registry) IsOneway(id, method string) bool {
	m := r.methodOf(id, method)
	return m != nil && m.oneway
}

// IsCallback reports whether method of the object registered under id is
// marked as a callback (Exposure.Callback, Pyro4's @callback).
func (r *Registry) IsCallback(id, method string) bool {
	m := r.methodOf(id, method)
	return m != nil && m.callback
}

// methodOf is the remote method of the object registered under id, or nil.
func (r *Registry) methodOf(id, method string) *method {
	e, ok := r.state.Load().byID[id]
	if !ok {
		return nil
	}
	return e.tab.methods[method]
}

func errUnknownObject() *pyval.Exception {
	return pyval.NewException(pyval.ClassDaemonError, "unknown object")
}

type ptrKey struct {
	t reflect.Type
	p uintptr
}

// identityKey returns a map key that identifies obj by address, for the
// kinds that have a stable, unique address.
func identityKey(obj any) (any, bool) {
	rv := reflect.ValueOf(obj)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() || rv.Type().Elem().Size() == 0 {
			return nil, false
		}
	case reflect.Map, reflect.Chan:
		if rv.IsNil() {
			return nil, false
		}
	default:
		return nil, false
	}
	return ptrKey{rv.Type(), rv.Pointer()}, true
}

// uuid4 returns 16 random bytes with the version 4 and RFC 4122 variant
// bits, as Python's uuid.uuid4().
func uuid4() []byte {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b[:]
}

// uuid4String is str(uuid.uuid4()): 8-4-4-4-12 hex digits.
func uuid4String() string {
	h := hex.EncodeToString(uuid4())
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Replacer returns the autoproxy replacer for the serializers, or nil when
// Options.Autoproxy is off. It replaces a registered object, and an
// instance of a registered class (as Pyro4 does: the class carries the
// Pyro id), by a pyval.ProxyRef for its id with the object's metadata. It
// needs Options.Host for the URI; without one nothing is replaced.
func (r *Registry) Replacer() serial.Replacer {
	if !r.opts.Autoproxy {
		return nil
	}
	return r.replace
}

func (r *Registry) replace(v any) (any, bool) {
	if r.opts.Host == nil || v == nil {
		return nil, false
	}
	st := r.state.Load()
	id, ok := "", false
	if key, hasKey := identityKey(v); hasKey {
		id, ok = st.byKey[key]
	}
	if !ok && len(st.byClass) > 0 {
		id, ok = st.byClass[reflect.TypeOf(v)]
	}
	if !ok {
		return nil, false
	}
	e := st.byID[id]
	if e == nil {
		return nil, false
	}
	uri, err := r.opts.Host.URIFor(id)
	if err != nil {
		r.log.Debug("dispatch: autoproxy: no uri", "id", id, "err", err)
		return nil, false
	}
	m := e.tab.meta
	return pyval.ProxyRef{URI: uri, Methods: m.Methods, Oneway: m.Oneway, Attrs: m.Attrs}, true
}

// Exposes reports whether id names a registered object and name something
// a client may call on it: an exposed method or attribute, or a name the
// registry serves for every object (batch, __getattr__, __setattr__).
// Observers use it to tell names the program chose from names a client
// made up, which must not become metric labels.
func (r *Registry) Exposes(id, name string) bool {
	e := r.state.Load().byID[id]
	if e == nil {
		return false
	}
	switch name {
	case serial.MethodBatch, methodGetattr, methodSetattr:
		return true
	}
	m, a, exc := e.tab.lookup(name)
	return exc == nil && (m != nil || a != nil)
}
