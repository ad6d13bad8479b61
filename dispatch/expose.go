package dispatch

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gyro-rpc/gyro/pyval"
)

// Exposer lets a type describe its remote interface. The registry calls
// PyroExpose once per type, on a zero value (a new(T) for pointer types),
// when the type is first registered, so it must not depend on field values.
type Exposer interface {
	PyroExpose() Exposure
}

// Exposure describes a type's remote interface. Every name in it is a Go
// method name unless said otherwise; a name the type does not have is a
// registration error (ErrExposure), so typos do not silently hide methods.
type Exposure struct {
	// Only lists the remote methods when the registry requires explicit
	// exposure (Options.RequireExpose, Pyro4's REQUIRE_EXPOSE); without
	// it, Only is ignored and every exported method declared on the type
	// is remote. Listed promoted methods are exposed too.
	Only []string
	// Promote lists methods promoted from embedded fields to expose
	// anyway (they are never remote by default).
	Promote []string
	// Names overrides remote names: Go method name -> remote name
	// ("Dunder": "__dunder__"). The default is pyval.SnakeCase(GoName).
	Names map[string]string
	// Oneway lists the methods the proxy should call without waiting for
	// a reply (Pyro4's @oneway). Each must be a remote method: one that is
	// not exposed (missing from Only, say) is a registration error.
	Oneway []string
	// Callback lists the methods whose failures are the callee's problem
	// too (Pyro4's @callback): besides the caller receiving the error, the
	// daemon reports it (engine.Hooks.CallbackError), logs it and closes
	// that connection, as Pyro4 does. Each must be a remote method.
	Callback []string
	// Attrs declares remote attributes (Pyro4's exposed properties):
	// remote attribute name -> getter and setter method names. Set ""
	// makes the attribute read-only. Declaring an attribute exposes it
	// in both exposure modes. Accessor methods are not remote methods.
	Attrs map[string]Attr
	// Params gives the Python parameter names of a method's positional
	// parameters (context.Context and a trailing Kwargs excluded), so
	// callers can pass them as keyword arguments. A name ending in "="
	// is optional: when the caller omits it the Go zero value is passed.
	Params map[string][]string
	// Hide lists methods that are never remote.
	Hide []string
	// Protocol limits methods to the clients of one wire protocol
	// generation: Go method name -> 48 (Pyro4) or 502 (Pyro5). Clients of
	// the other generation do not see the method in the metadata and get
	// the AttributeError of a name that does not exist, as from that
	// generation's own server (Pyro5's name server has yplookup, Pyro4's
	// has not). Methods not listed serve both.
	Protocol map[string]int
}

// Attr names the getter and setter methods of a remote attribute. The
// getter has no parameters (besides an optional context.Context) and
// returns T or (T, error); the setter takes one value and returns nothing
// or error.
type Attr struct{ Get, Set string }

// Kwargs, as the last positional parameter of a method, receives every
// keyword argument that no named parameter (Exposure.Params) takes, as
// Python's **kwargs does. It is nil when there are none.
type Kwargs map[string]any

// ErrExposure is wrapped by registration errors about a type's Exposure or
// method signatures.
var ErrExposure = errors.New("dispatch: invalid exposure")

// neverRemote holds the dunder names Pyro4 never calls remotely because the
// proxy itself depends on them (Pyro4.util._private_dunder_methods).
var neverRemote = map[string]bool{
	"__bool__": true, "__call__": true, "__class__": true, "__cmp__": true,
	"__coerce__": true, "__copy__": true, "__deepcopy__": true, "__del__": true,
	"__delattr__": true, "__dir__": true, "__enter__": true, "__eq__": true,
	"__exit__": true, "__format__": true, "__ge__": true, "__getattr__": true,
	"__getattribute__": true, "__getinitargs__": true, "__getnewargs__": true,
	"__getstate__": true, "__getstate_for_dict__": true, "__gt__": true,
	"__hasattr__": true, "__hash__": true, "__init__": true,
	"__init_subclass__": true, "__instancecheck__": true, "__le__": true,
	"__lt__": true, "__module__": true, "__ne__": true, "__new__": true,
	"__nonzero__": true, "__reduce__": true, "__reduce_ex__": true,
	"__repr__": true, "__setattr__": true, "__setstate__": true,
	"__setstate_from_dict__": true, "__sizeof__": true, "__str__": true,
	"__subclasscheck__": true, "__subclasshook__": true, "__unicode__": true,
	"__weakref__": true,
}

// IsPrivate reports whether a remote name is private, as Pyro4 decides:
// names starting with "_" are private, except dunders longer than four
// characters ("__len__"), and the dunders the proxy relies on are always
// private.
func IsPrivate(name string) bool {
	if name == "" || name[0] != '_' {
		return false
	}
	if neverRemote[name] {
		return true
	}
	return !(len(name) > 4 && strings.HasPrefix(name, "__") && strings.HasSuffix(name, "__"))
}

// autoHidden are Go methods that belong to gyro's own interfaces and are
// never remote.
var autoHidden = map[string]bool{
	"PyroExpose": true, "PyroRegistered": true, "PyroUnregistered": true,
	"PyValue": true, "ClassDict": true,
}

var (
	ctxType    = reflect.TypeFor[context.Context]()
	errType    = reflect.TypeFor[error]()
	kwargsType = reflect.TypeFor[Kwargs]()
)

// Metadata is an object's remote interface as Pyro4's get_metadata reports
// it. The lists are sorted; the engine sends them as lists or sets.
type Metadata struct {
	Methods, Oneway, Attrs []string
}

func (m Metadata) clone() Metadata {
	return Metadata{Methods: slices.Clone(m.Methods), Oneway: slices.Clone(m.Oneway), Attrs: slices.Clone(m.Attrs)}
}

// typeTable is a type's remote interface, built once per type.
type typeTable struct {
	typ           reflect.Type
	name          string // Python-style class name for messages ("Echo")
	requireExpose bool
	methods       map[string]*method // exposed methods by remote name
	attrs         map[string]*attr
	hidden        map[string]bool // remote names of methods that exist but are not exposed
	meta          Metadata
}

type attr struct {
	name     string
	get, set *method
}

// method is one callable: a remote method or an attribute accessor.
type method struct {
	name     string // remote name
	qual     string // "Echo.echo", as Python names functions in TypeErrors
	index    int    // in the registered type's method set
	oneway   bool
	callback bool // Exposure.Callback
	protocol int  // the only generation that may call it, or 0 (Exposure.Protocol)
	ctx      bool // first parameter is context.Context
	kwargs   bool // last positional parameter is Kwargs
	params   []param
	required int    // params without a default
	variadic *param // element of a trailing ...T, or nil
	nout     int    // results besides a trailing error
	errOut   bool
	stream   bool // the (single) result type is a stream
	dynOut   bool // the result type is an interface: check for a stream per call
	fast     fastKind
	expr     any    // for fast kinds on pointer types: the method expression as an expr* func
	frame    string // traceback line for this method
}

type param struct {
	typ      reflect.Type
	conv     converter
	name     string // Python name, "" when unknown
	optional bool
}

type tableKey struct {
	t   reflect.Type
	req bool
}

type tableResult struct {
	tab *typeTable
	err error
}

var tables sync.Map // tableKey -> tableResult

// tableFor returns the cached table of t for the exposure mode.
func tableFor(t reflect.Type, requireExpose bool) (*typeTable, error) {
	k := tableKey{t, requireExpose}
	if v, ok := tables.Load(k); ok {
		r := v.(tableResult)
		return r.tab, r.err
	}
	tab, err := buildTable(t, requireExpose)
	v, _ := tables.LoadOrStore(k, tableResult{tab, err})
	r := v.(tableResult)
	return r.tab, r.err
}

// exposureOf calls PyroExpose on a zero value of t (or of *t).
func exposureOf(t reflect.Type) (exp Exposure, err error) {
	exposer := reflect.TypeFor[Exposer]()
	var v reflect.Value
	switch {
	case t.Implements(exposer):
		if t.Kind() == reflect.Pointer {
			v = reflect.New(t.Elem())
		} else {
			v = reflect.Zero(t)
		}
	case reflect.PointerTo(t).Implements(exposer):
		v = reflect.New(t)
	default:
		return Exposure{}, nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s.PyroExpose panicked: %v", ErrExposure, t, p)
		}
	}()
	return v.Interface().(Exposer).PyroExpose(), nil
}

// typeName is the class name used in Python-style messages.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer && t.Name() == "" {
		t = t.Elem()
	}
	if t.Name() != "" {
		return t.Name()
	}
	return t.String()
}

func buildTable(t reflect.Type, requireExpose bool) (*typeTable, error) {
	exp, err := exposureOf(t)
	if err != nil {
		return nil, err
	}
	tab := &typeTable{
		typ:           t,
		name:          typeName(t),
		requireExpose: requireExpose,
		methods:       map[string]*method{},
		attrs:         map[string]*attr{},
		hidden:        map[string]bool{},
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrExposure, t, fmt.Sprintf(format, a...))
	}

	// Every Go name in the Exposure must be a method of t.
	known := func(name, field string) error {
		if _, ok := t.MethodByName(name); !ok {
			hint := ""
			if t.Kind() != reflect.Pointer {
				if _, ok := reflect.PointerTo(t).MethodByName(name); ok {
					hint = " (it has a pointer receiver: register a pointer)"
				}
			}
			return bad("Exposure.%s names %q, which is not a method%s", field, name, hint)
		}
		return nil
	}
	set := func(names []string, field string) (map[string]bool, error) {
		m := make(map[string]bool, len(names))
		for _, n := range names {
			if err := known(n, field); err != nil {
				return nil, err
			}
			m[n] = true
		}
		return m, nil
	}
	only, err := set(exp.Only, "Only")
	if err != nil {
		return nil, err
	}
	promote, err := set(exp.Promote, "Promote")
	if err != nil {
		return nil, err
	}
	oneway, err := set(exp.Oneway, "Oneway")
	if err != nil {
		return nil, err
	}
	callback, err := set(exp.Callback, "Callback")
	if err != nil {
		return nil, err
	}
	hide, err := set(exp.Hide, "Hide")
	if err != nil {
		return nil, err
	}
	for n := range exp.Names {
		if err := known(n, "Names"); err != nil {
			return nil, err
		}
	}
	for n := range exp.Params {
		if err := known(n, "Params"); err != nil {
			return nil, err
		}
	}
	for n, p := range exp.Protocol {
		if err := known(n, "Protocol"); err != nil {
			return nil, err
		}
		if p != protocol4 && p != protocol5 {
			return nil, bad("Exposure.Protocol of %s is %d, not 48 or 502", n, p)
		}
	}
	accessor := map[string]bool{}
	for an, a := range exp.Attrs {
		if IsPrivate(an) || an == "" {
			return nil, bad("attribute %q: cannot expose a private name", an)
		}
		if a.Get == "" && a.Set == "" {
			return nil, bad("attribute %q has neither getter nor setter", an)
		}
		for _, n := range []string{a.Get, a.Set} {
			if n == "" {
				continue
			}
			if err := known(n, "Attrs"); err != nil {
				return nil, err
			}
			accessor[n] = true
		}
	}

	// Methods, in method-set (name) order.
	seen := map[string]bool{}
	for i := 0; i < t.NumMethod(); i++ {
		rm := t.Method(i)
		goName := rm.Name
		remote := pyval.SnakeCase(goName)
		renamed := false
		if n, ok := exp.Names[goName]; ok {
			remote, renamed = n, true
		}
		if autoHidden[goName] || hide[goName] || accessor[goName] {
			if oneway[goName] || callback[goName] {
				return nil, bad("Exposure.%s names %s, which is hidden or an attribute accessor", markerField(oneway[goName]), goName)
			}
			if !autoHidden[goName] {
				tab.hidden[remote] = true
			}
			continue
		}
		// Checks that do not depend on the exposure mode, so that a type
		// registers in both modes or in neither.
		if renamed && IsPrivate(remote) {
			return nil, bad("method %s: cannot expose private name %q", goName, remote)
		}
		if seen[remote] {
			return nil, bad("two methods share the remote name %q", remote)
		}
		seen[remote] = true
		if exp.Params[goName] != nil {
			if _, err := newMethod(tab, rm, remote, exp.Params[goName]); err != nil {
				return nil, bad("method %s: %v", goName, err)
			}
		}
		explicit := promote[goName] || (requireExpose && only[goName])
		var exposed bool
		if requireExpose {
			exposed = explicit
		} else {
			exposed = explicit || !isPromoted(t, goName)
		}
		if !exposed {
			if oneway[goName] || callback[goName] {
				where := "Only"
				if !requireExpose {
					where = "Promote"
				}
				return nil, bad("Exposure.%s names %s, which is not exposed (list it in Exposure.%s)", markerField(oneway[goName]), goName, where)
			}
			tab.hidden[remote] = true
			continue
		}
		m, err := newMethod(tab, rm, remote, exp.Params[goName])
		if err != nil {
			if explicit || renamed || oneway[goName] || callback[goName] || exp.Params[goName] != nil {
				return nil, bad("method %s: %v", goName, err)
			}
			// Implicitly exposed (REQUIRE_EXPOSE off) but not callable from
			// Python: leave it out rather than refuse the whole type.
			tab.hidden[remote] = true
			continue
		}
		m.oneway = oneway[goName]
		m.callback = callback[goName]
		m.protocol = exp.Protocol[goName]
		tab.methods[remote] = m
	}
	// Attributes.
	for an, a := range exp.Attrs {
		if seen[an] {
			return nil, bad("attribute %q has the name of a method", an)
		}
		at := &attr{name: an}
		if a.Get != "" {
			rm, _ := t.MethodByName(a.Get)
			m, err := newMethod(tab, rm, an, nil)
			if err != nil {
				return nil, bad("getter %s of %q: %v", a.Get, an, err)
			}
			if len(m.params) != 0 || m.variadic != nil || m.kwargs || m.nout != 1 {
				return nil, bad("getter %s of %q must take no arguments and return one value (and an optional error)", a.Get, an)
			}
			at.get = m
		}
		if a.Set != "" {
			rm, _ := t.MethodByName(a.Set)
			m, err := newMethod(tab, rm, an, nil)
			if err != nil {
				return nil, bad("setter %s of %q: %v", a.Set, an, err)
			}
			if len(m.params) != 1 || m.variadic != nil || m.kwargs || m.nout != 0 {
				return nil, bad("setter %s of %q must take one argument and return nothing (or an error)", a.Set, an)
			}
			at.set = m
		}
		tab.attrs[an] = at
		delete(tab.hidden, an)
	}

	// Metadata, in a stable order.
	names := make([]string, 0, len(tab.methods))
	for n := range tab.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	tab.meta = Metadata{Methods: names, Oneway: []string{}, Attrs: []string{}}
	for _, n := range names {
		if tab.methods[n].oneway {
			tab.meta.Oneway = append(tab.meta.Oneway, n)
		}
	}
	anames := make([]string, 0, len(tab.attrs))
	for n := range tab.attrs {
		anames = append(anames, n)
	}
	sort.Strings(anames)
	tab.meta.Attrs = append(tab.meta.Attrs, anames...)
	return tab, nil
}

// newMethod analyses a method's signature: context, positional parameters
// and their converters, Kwargs, variadic tail, results.
func newMethod(tab *typeTable, rm reflect.Method, remote string, pnames []string) (*method, error) {
	ft := rm.Type // receiver first
	m := &method{name: remote, qual: tab.name + "." + remote, index: rm.Index}
	m.frame = frameLine(rm.Func)
	first, last := 1, ft.NumIn()
	if first < last && ft.In(first) == ctxType {
		m.ctx = true
		first++
	}
	if ft.IsVariadic() {
		last--
		et := ft.In(last).Elem()
		c, err := converterFor(et)
		if err != nil {
			return nil, fmt.Errorf("variadic parameter: %w", err)
		}
		m.variadic = &param{typ: et, conv: c}
	}
	if first < last && ft.In(last-1) == kwargsType {
		m.kwargs = true
		last--
	}
	for i := first; i < last; i++ {
		pt := ft.In(i)
		if pt == ctxType || pt == kwargsType {
			return nil, fmt.Errorf("parameter %d: %s must come first and Kwargs last", i-first+1, pt)
		}
		c, err := converterFor(pt)
		if err != nil {
			return nil, fmt.Errorf("parameter %d: %w", i-first+1, err)
		}
		m.params = append(m.params, param{typ: pt, conv: c})
	}
	m.required = len(m.params)
	if pnames != nil {
		if len(pnames) != len(m.params) {
			return nil, fmt.Errorf("Exposure.Params has %d names for %d parameters", len(pnames), len(m.params))
		}
		m.required = 0
		seen := map[string]bool{}
		for i, n := range pnames {
			name, opt := strings.CutSuffix(n, "=")
			if name == "" || seen[name] {
				return nil, fmt.Errorf("Exposure.Params: empty or duplicate name %q", n)
			}
			seen[name] = true
			if !opt && i > 0 && m.params[i-1].optional {
				return nil, fmt.Errorf("Exposure.Params: required parameter %q follows an optional one", name)
			}
			m.params[i].name, m.params[i].optional = name, opt
			if !opt {
				m.required++
			}
		}
	}
	m.nout = ft.NumOut()
	if m.nout > 0 && ft.Out(m.nout-1) == errType {
		m.errOut = true
		m.nout--
	}
	if m.nout == 1 {
		rt := ft.Out(0)
		m.stream = isStreamType(rt)
		m.dynOut = rt.Kind() == reflect.Interface && !m.stream
	}
	m.fast = fastKindOf(rm.Type)
	if m.fast != fastNone {
		fn := rm.Func
		if recv := fn.Type().In(0); recv.Kind() != reflect.Pointer {
			// A value receiver: *T has the same method with a pointer
			// receiver, which the fast path calls on the instance's copy.
			pm, _ := reflect.PointerTo(recv).MethodByName(rm.Name)
			fn = pm.Func
		}
		m.expr = methodExpr(fn, m.fast)
	}
	return m, nil
}

// isPromoted reports whether method name of t comes from an embedded field
// rather than being declared on t's named base type (as T or *T). Promoted
// methods are compiler-generated wrappers, which runtime.FuncForPC reports
// in the file "<autogenerated>"; so are the *T wrappers of T's value
// methods, which is why both T's and *T's method sets are checked.
func isPromoted(t reflect.Type, name string) bool {
	base := t
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if base.Kind() != reflect.Struct {
		return false // only structs embed
	}
	for _, bt := range []reflect.Type{base, reflect.PointerTo(base)} {
		if m, ok := bt.MethodByName(name); ok && !autogenerated(m.Func) {
			return false
		}
	}
	// Not declared: it must come from an embedded field (or one of its
	// pointers); anything else is a case we do not understand, so take it
	// as declared rather than hide it.
	for i := 0; i < base.NumField(); i++ {
		f := base.Field(i)
		if !f.Anonymous {
			continue
		}
		ft := f.Type
		if _, ok := ft.MethodByName(name); ok {
			return true
		}
		if ft.Kind() != reflect.Pointer && ft.Kind() != reflect.Interface {
			if _, ok := reflect.PointerTo(ft).MethodByName(name); ok {
				return true
			}
		}
	}
	return false
}

func autogenerated(fn reflect.Value) bool {
	f := runtime.FuncForPC(fn.Pointer())
	if f == nil {
		return true
	}
	file, _ := f.FileLine(f.Entry())
	return file == "<autogenerated>"
}

// frameLine renders a method as a Python traceback frame line.
func frameLine(fn reflect.Value) string {
	f := runtime.FuncForPC(fn.Pointer())
	if f == nil {
		return ""
	}
	file, line := f.FileLine(f.Entry())
	return fmt.Sprintf("  File \"%s\", line %d, in %s\n", file, line, f.Name())
}

// lookup finds the method a call names, or the exception Pyro4 raises for
// it. A non-nil *attr means the name is a readable attribute called as a
// method with REQUIRE_EXPOSE off; Python then reads it and fails to call it.
func (t *typeTable) lookup(name string) (*method, *attr, *pyval.Exception) {
	if IsPrivate(name) {
		return nil, nil, pyval.NewException(pyval.ClassAttributeError, "attempt to access private attribute '"+name+"'")
	}
	if m := t.methods[name]; m != nil {
		return m, nil, nil
	}
	if a := t.attrs[name]; a != nil && a.get != nil && !t.requireExpose {
		return nil, a, nil
	}
	if t.hidden[name] || t.attrs[name] != nil {
		return nil, nil, pyval.NewException(pyval.ClassAttributeError, "attempt to access unexposed attribute '"+name+"'")
	}
	return nil, nil, pyval.NewException(pyval.ClassAttributeError, fmt.Sprintf("'%s' object has no attribute '%s'", t.name, name))
}

// attrError is the exception for an attribute that __getattr__ or
// __setattr__ cannot use.
func (t *typeTable) attrError(name string) *pyval.Exception {
	if t.methods[name] != nil || t.hidden[name] || t.attrs[name] != nil {
		return pyval.NewException(pyval.ClassAttributeError, "attempt to access unexposed or unknown remote attribute '"+name+"'")
	}
	return pyval.NewException(pyval.ClassAttributeError, fmt.Sprintf("type object '%s' has no attribute '%s'", t.name, name))
}

// markerField names the Exposure field of a method marker in errors.
func markerField(oneway bool) string {
	if oneway {
		return "Oneway"
	}
	return "Callback"
}
