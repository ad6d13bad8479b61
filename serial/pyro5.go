package serial

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/gyro-rpc/gyro/pyval"
)

// Pyro5 (protocol 502) numbers the serializers differently from Pyro4 and
// renamed the classes it sends as class dicts. The byte formats of
// serpent, marshal and json are otherwise those of Pyro4 (same call
// layouts, same exception dicts); docs/pyro5-wire.md has the details.

// Pyro5 serializer ids, as in a protocol 502 header.
const (
	ID5Serpent = 1
	ID5Marshal = 2
	ID5JSON    = 3
	ID5Msgpack = 4
)

var names5 = [...]string{ID5Serpent: "serpent", ID5Marshal: "marshal", ID5JSON: "json", ID5Msgpack: "msgpack"}

// NameOf5 returns the name of a Pyro5 serializer id, or "" if Pyro5 has no
// such id.
func NameOf5(id int) string {
	if id <= 0 || id >= len(names5) {
		return ""
	}
	return names5[id]
}

// ID4To5 maps a Pyro4 serializer id to Pyro5's for the same serializer,
// and reports false for serializers Pyro5 does not have (pickle, dill,
// cloudpickle).
func ID4To5(id int) (int, bool) {
	for id5, n := range names5 {
		if n != "" && n == NameOf(id) {
			return id5, true
		}
	}
	return 0, false
}

// ID5To4 maps a Pyro5 serializer id to Pyro4's.
func ID5To4(id int) (int, bool) {
	if n := NameOf5(id); n != "" {
		id4, err := IDOf(n)
		return id4, err == nil
	}
	return 0, false
}

// Pyro5's serpent, marshal and json serializers (Pyro5 ids 1, 2, 3): the
// bytes of Pyro4's, but class dicts carry Pyro5's names both ways. The
// encoders pass values through ForPyro5 (so a Pyro5 peer gets
// Pyro5.errors.X, Pyro5.core.URI, ...); the decoders pass class dicts
// through FromPyro5ClassDict before pyval.FromClassDict rebuilds them, so
// a URI, proxy or exception from a Pyro5 peer decodes to the same Go
// values as Pyro4's, and a Pyro4 class name is refused as Pyro5 refuses it.
// ID reports the Pyro5 id.
var (
	Serpent5 Codec = serpentCodec{gen5: true}
	Marshal5 Codec = marshalCodec{gen5: true}
	JSON5    Codec = jsonCodec{gen5: true}
)

// ByID5 returns the codec for a Pyro5 serializer id: Serpent5, Marshal5,
// JSON5 or Msgpack5.
func ByID5(id int) (Codec, error) {
	switch id {
	case ID5Serpent:
		return Serpent5, nil
	case ID5Marshal:
		return Marshal5, nil
	case ID5JSON:
		return JSON5, nil
	case ID5Msgpack:
		return Msgpack5, nil
	}
	return nil, fmt.Errorf("pyro5 serializer id %d: %w", id, ErrUnknown)
}

// ForPyro5Replacer returns a Replacer that passes what r substitutes (an
// autoproxy's Pyro4 proxy) through ForPyro5. The Pyro5 codecs (Serpent5,
// Marshal5, JSON5) do not wrap the Replacer they are given, which would
// cost an allocation per call: a server makes this one once per Pyro5
// connection. nil stays nil.
func ForPyro5Replacer(r Replacer) Replacer {
	if r == nil {
		return nil
	}
	return func(v any) (any, bool) {
		out, ok := r(v)
		if ok {
			out = ForPyro5(out)
		}
		return out, ok
	}
}

// callForPyro5 returns c with its arguments passed through ForPyro5,
// copied only when something changed.
func callForPyro5(c *Call) *Call {
	args, changedArgs := forPyro5Elems(c.Args)
	kw, changedKw := forPyro5(c.Kwargs)
	if !changedArgs && !changedKw {
		return c
	}
	c2 := *c
	if changedArgs {
		c2.Args = args
	}
	if changedKw {
		c2.Kwargs = kw.(*pyval.Dict)
	}
	return &c2
}

// Class names that differ between the generations.
var classes4To5 = map[string]string{
	"Pyro4.core.URI":                  "Pyro5.core.URI",
	"Pyro4.core.Proxy":                "Pyro5.client.Proxy",
	"Pyro4.core.Daemon":               "Pyro5.server.Daemon",
	"Pyro4.futures._ExceptionWrapper": "Pyro5.core._ExceptionWrapper",
}

var classes5To4 = func() map[string]string {
	m := make(map[string]string, len(classes4To5))
	for k, v := range classes4To5 {
		m[v] = k
	}
	return m
}()

// ToPyro5ClassDict returns the class dict d (Pyro4's form, as
// pyval.ClassDicter values make it) in the form a Pyro5 peer rebuilds:
// Pyro5 class names, Pyro4.errors.X as Pyro5.errors.X (the two modules
// define the same classes), and a Proxy's state cut to Pyro5's six fields
// (uri, oneway, methods, attrs, handshake, serializer). A dict that is
// not one of those comes back unchanged.
func ToPyro5ClassDict(d *pyval.Dict) *pyval.Dict {
	cv, ok := d.Get("__class__")
	class, _ := cv.(string)
	if !ok || !strings.HasPrefix(class, "Pyro4.") {
		return d
	}
	var to string
	if name, ok := strings.CutPrefix(class, "Pyro4.errors."); ok {
		to = "Pyro5.errors." + name
	} else if to, ok = classes4To5[class]; !ok {
		return d
	}
	out := replaceItem(d, "__class__", to)
	switch class {
	case "Pyro4.core.Proxy":
		if st, ok := stateSeq(d); ok && len(st) >= 9 {
			out = replaceItem(out, "state", pyval.Tuple{st[0], st[1], st[2], st[3], st[6], st[8]})
		}
	case "Pyro4.futures._ExceptionWrapper":
		if ev, ok := d.Get("exception"); ok {
			if ed, ok := ev.(*pyval.Dict); ok {
				out = replaceItem(out, "exception", ToPyro5ClassDict(ed))
			}
		}
	}
	return out
}

// FromPyro5ClassDict is the reverse of ToPyro5ClassDict, for a class dict
// received from a Pyro5 peer, so that pyval.FromClassDict can rebuild it.
// It applies Pyro5's own refusals first: a Pyro4 class name, which Pyro5
// does not know, is a SerializeError, and Pyro5.errors.X must exist.
// Exception dicts of other classes (builtins.*, sqlite3.*) are the same in
// both generations and come back unchanged.
func FromPyro5ClassDict(d *pyval.Dict) (*pyval.Dict, error) {
	cv, ok := d.Get("__class__")
	class, _ := cv.(string)
	if !ok || strings.Contains(class, "__") && class != "Pyro5.core._ExceptionWrapper" {
		return d, nil // FromClassDict refuses double underscores itself
	}
	if strings.HasPrefix(class, "Pyro4.") {
		return nil, pyval.NewException(pyval.ClassSerializeError, "unsupported serialized class: "+class)
	}
	if name, ok := strings.CutPrefix(class, "Pyro5.errors."); ok {
		return replaceItem(d, "__class__", "Pyro4.errors."+name), nil
	}
	to, ok := classes5To4[class]
	if !ok {
		return d, nil
	}
	out := replaceItem(d, "__class__", to)
	if class == "Pyro5.client.Proxy" {
		st, ok := stateSeq(d)
		if !ok || len(st) < 6 {
			return nil, pyval.NewException(pyval.ClassSerializeError, "invalid Proxy state")
		}
		// Pyro4's nine fields: timeout, hmac key and max retries are not
		// in Pyro5's proxy state.
		out = replaceItem(out, "state", pyval.Tuple{st[0], st[1], st[2], st[3], 0.0, nil, st[4], int64(0), st[5]})
	}
	return out, nil
}

func stateSeq(d *pyval.Dict) ([]any, bool) {
	sv, _ := d.Get("state")
	switch x := sv.(type) {
	case pyval.Tuple:
		return x, true
	case []any:
		return x, true
	}
	return nil, false
}

// ForPyro5 returns v with every value that goes on the wire as a Pyro4
// class dict (exceptions, URIs, proxies, batch exception wrappers) replaced
// by the *pyval.Dict a Pyro5 peer rebuilds (ToPyro5ClassDict), looking
// into tuples, lists and dict values. Containers are copied only where
// something changed. It is how a daemon answers a Pyro5 client in serpent,
// json or marshal, whose codecs write Pyro4's names: a Pyro5 client
// refuses Pyro4.errors.X with "unsupported serialized class". Msgpack5
// does this itself.
func ForPyro5(v any) any {
	out, _ := forPyro5(v)
	return out
}

// forPyro5 is ForPyro5, also reporting whether anything changed.
func forPyro5(v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, []byte, complex128, pyval.Set:
		return v, false // sets hold only hashable values: no class dicts
	case pyval.ClassDicter:
		if isNilPointer(x) {
			return v, false
		}
		d := ToPyro5ClassDict(x.ClassDict())
		if ev, ok := d.Get("exception"); ok {
			// The batch wrapper's exception is itself a ClassDicter.
			if ne, changed := forPyro5(ev); changed {
				d = replaceItem(d, "exception", ne)
			}
		}
		return d, true
	case pyval.Tuple:
		if c, ok := forPyro5Elems(x); ok {
			return pyval.Tuple(c), true
		}
	case []any:
		if c, ok := forPyro5Elems(x); ok {
			return c, true
		}
	case *pyval.Dict:
		if x == nil {
			return v, false
		}
		items := x.Items()
		for i, it := range items {
			nv, changed := forPyro5(it.Value)
			if !changed {
				continue
			}
			out := pyval.NewDict(len(items))
			for _, before := range items[:i] {
				out.Append(before.Key, before.Value)
			}
			out.Append(it.Key, nv)
			for _, after := range items[i+1:] {
				out.Append(after.Key, ForPyro5(after.Value))
			}
			return out, true
		}
	default:
		// A Go value outside the model ([]pyval.URI, a struct holding an
		// error): convert it as the encoder would, if its type can hold
		// a class dict at all.
		if v == nil || !mayHoldClassDict(reflect.TypeOf(v)) {
			return v, false
		}
		m, err := pyval.FromGo(v)
		if err != nil {
			return v, false // the encoder reports it
		}
		if out, changed := forPyro5(m); changed {
			return out, true
		}
	}
	return v, false
}

var (
	classDicterType = reflect.TypeFor[pyval.ClassDicter]()
	holdsClassDict  sync.Map // reflect.Type -> bool
)

// mayHoldClassDict reports whether a value of type t can contain a value
// that is sent as a class dict (an interface may hold anything).
func mayHoldClassDict(t reflect.Type) bool {
	if v, ok := holdsClassDict.Load(t); ok {
		return v.(bool)
	}
	holdsClassDict.Store(t, false) // a recursive type refers back here
	r := typeHoldsClassDict(t)
	holdsClassDict.Store(t, r)
	return r
}

func typeHoldsClassDict(t reflect.Type) bool {
	if t.Implements(classDicterType) || reflect.PointerTo(t).Implements(classDicterType) {
		return true
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return mayHoldClassDict(t.Elem())
	case reflect.Map:
		return mayHoldClassDict(t.Key()) || mayHoldClassDict(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && mayHoldClassDict(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// forPyro5Elems converts the elements of l, copying l only if one changes.
func forPyro5Elems(l []any) ([]any, bool) {
	for i, e := range l {
		ne, changed := forPyro5(e)
		if !changed {
			continue
		}
		out := make([]any, len(l))
		copy(out, l[:i])
		out[i] = ne
		for j := i + 1; j < len(l); j++ {
			out[j] = ForPyro5(l[j])
		}
		return out, true
	}
	return nil, false
}
