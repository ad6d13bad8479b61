package dispatch

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// A converter turns one decoded model value into a value of a Go parameter
// type. Converters are built once per type (convCache) and hold no state
// per call.
type converter func(v any) (reflect.Value, *convError)

// convError describes a failed conversion; the caller adds the method and
// argument position.
type convError struct {
	path     string // inside the argument: "[2]", "['key']"
	want     string // Python type name expected
	got      string // Python type name received
	overflow bool   // an int out of the Go type's range
	detail   string // replaces "must be ..., not ..." when set
}

func (e *convError) under(p string) *convError {
	e.path = p + e.path
	return e
}

// message renders the error for argument arg ("1" or "'name'") of qual.
func (e *convError) message(qual, arg string) (class, msg string) {
	switch {
	case e.overflow:
		return "OverflowError", fmt.Sprintf("%s() argument %s%s: %s", qual, arg, e.path, e.detail)
	case e.detail != "":
		return pyval.ClassTypeError, fmt.Sprintf("%s() argument %s%s %s", qual, arg, e.path, e.detail)
	}
	return pyval.ClassTypeError, fmt.Sprintf("%s() argument %s%s must be %s, not %s", qual, arg, e.path, e.want, e.got)
}

func mismatch(t reflect.Type, v any) *convError {
	return &convError{want: pyName(t), got: pyval.TypeName(v)}
}

var (
	anyType      = reflect.TypeFor[any]()
	listType     = reflect.TypeFor[[]any]()
	tupleType    = reflect.TypeFor[pyval.Tuple]()
	setType      = reflect.TypeFor[pyval.Set]()
	dictType     = reflect.TypeFor[*pyval.Dict]()
	uriType      = reflect.TypeFor[pyval.URI]()
	proxyType    = reflect.TypeFor[pyval.ProxyRef]()
	excPtrType   = reflect.TypeFor[*pyval.Exception]()
	bigPtrType   = reflect.TypeFor[*big.Int]()
	bigType      = reflect.TypeFor[big.Int]()
	bytesType    = reflect.TypeFor[[]byte]()
	durationType = reflect.TypeFor[time.Duration]()
	timeType     = reflect.TypeFor[time.Time]()
)

// pyName is the Python type name a Go parameter type accepts.
func pyName(t reflect.Type) string {
	switch t {
	case anyType:
		return "object"
	case tupleType:
		return "tuple"
	case setType:
		return "set"
	case dictType:
		return "dict"
	case uriType:
		return "Pyro4.core.URI"
	case proxyType:
		return "Pyro4.core.Proxy"
	case excPtrType:
		return "Exception"
	case bigPtrType, bigType:
		return "int"
	case durationType:
		return "float"
	case timeType:
		return "str"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Complex64, reflect.Complex128:
		return "complex"
	case reflect.String:
		return "str"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "bytes"
		}
		return "list"
	case reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "dict"
	case reflect.Pointer:
		return pyName(t.Elem())
	}
	return t.String()
}

var convCache sync.Map // reflect.Type -> converter

// converterFor returns the converter for parameter type t, or an error if
// no Python value can become a t (funcs, channels, unsafe pointers).
func converterFor(t reflect.Type) (converter, error) {
	return buildConv(t, map[reflect.Type]bool{})
}

func buildConv(t reflect.Type, building map[reflect.Type]bool) (converter, error) {
	if c, ok := convCache.Load(t); ok {
		return c.(converter), nil
	}
	if building[t] {
		// A recursive type: resolve through the cache at call time, when
		// the outer build has stored it.
		return func(v any) (reflect.Value, *convError) {
			c, _ := convCache.Load(t)
			return c.(converter)(v)
		}, nil
	}
	building[t] = true
	c, err := makeConv(t, building)
	if err != nil {
		return nil, err
	}
	actual, _ := convCache.LoadOrStore(t, c)
	return actual.(converter), nil
}

// seq returns the elements of a list, tuple or set. json has no tuples or
// sets, so every sequence parameter accepts all three.
func seq(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case pyval.Tuple:
		return x, true
	case pyval.Set:
		return x, true
	}
	return nil, false
}

func makeConv(t reflect.Type, building map[reflect.Type]bool) (converter, error) {
	zero := reflect.Zero(t)
	if c := specialConv(t, zero); c != nil {
		return c, nil
	}
	switch t.Kind() {
	case reflect.Interface:
		return func(v any) (reflect.Value, *convError) {
			if v == nil {
				return zero, nil
			}
			if reflect.TypeOf(v).Implements(t) {
				return reflect.ValueOf(v), nil
			}
			return reflect.Value{}, mismatch(t, v)
		}, nil
	case reflect.Bool:
		return func(v any) (reflect.Value, *convError) {
			b, ok := v.(bool)
			if !ok {
				return reflect.Value{}, mismatch(t, v)
			}
			return reflect.ValueOf(b).Convert(t), nil
		}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intConv(t), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintConv(t), nil
	case reflect.Float32, reflect.Float64:
		return func(v any) (reflect.Value, *convError) {
			if _, isComplex := v.(complex128); isComplex {
				return reflect.Value{}, mismatch(t, v)
			}
			f, ok := pyval.AsFloat(v)
			if !ok {
				if _, big := v.(*big.Int); big {
					return reflect.Value{}, &convError{overflow: true, detail: "int too large to convert to float"}
				}
				return reflect.Value{}, mismatch(t, v)
			}
			rv := reflect.New(t).Elem()
			rv.SetFloat(f)
			return rv, nil
		}, nil
	case reflect.Complex64, reflect.Complex128:
		return func(v any) (reflect.Value, *convError) {
			c, ok := v.(complex128)
			if !ok {
				f, ok := pyval.AsFloat(v)
				if !ok {
					return reflect.Value{}, mismatch(t, v)
				}
				c = complex(f, 0)
			}
			rv := reflect.New(t).Elem()
			rv.SetComplex(c)
			return rv, nil
		}, nil
	case reflect.String:
		return func(v any) (reflect.Value, *convError) {
			s, ok := v.(string)
			if !ok {
				return reflect.Value{}, mismatch(t, v)
			}
			if t.PkgPath() == "" {
				return reflect.ValueOf(s), nil
			}
			return reflect.ValueOf(s).Convert(t), nil
		}, nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return bytesConv(t, zero), nil
		}
		ec, err := buildConv(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		return func(v any) (reflect.Value, *convError) {
			if v == nil {
				return zero, nil
			}
			elems, ok := seq(v)
			if !ok {
				return reflect.Value{}, mismatch(t, v)
			}
			out := reflect.MakeSlice(t, len(elems), len(elems))
			for i, e := range elems {
				ev, cerr := ec(e)
				if cerr != nil {
					return reflect.Value{}, cerr.under("[" + strconv.Itoa(i) + "]")
				}
				out.Index(i).Set(ev)
			}
			return out, nil
		}, nil
	case reflect.Array:
		ec, err := buildConv(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		return func(v any) (reflect.Value, *convError) {
			elems, ok := seq(v)
			if !ok {
				return reflect.Value{}, mismatch(t, v)
			}
			if len(elems) != t.Len() {
				return reflect.Value{}, &convError{detail: fmt.Sprintf("must have %d items, not %d", t.Len(), len(elems))}
			}
			out := reflect.New(t).Elem()
			for i, e := range elems {
				ev, cerr := ec(e)
				if cerr != nil {
					return reflect.Value{}, cerr.under("[" + strconv.Itoa(i) + "]")
				}
				out.Index(i).Set(ev)
			}
			return out, nil
		}, nil
	case reflect.Map:
		kc, err := buildConv(t.Key(), building)
		if err != nil {
			return nil, err
		}
		vc, err := buildConv(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		return func(v any) (reflect.Value, *convError) {
			if v == nil {
				return zero, nil
			}
			d, ok := v.(*pyval.Dict)
			if !ok {
				return reflect.Value{}, mismatch(t, v)
			}
			out := reflect.MakeMapWithSize(t, d.Len())
			for _, it := range d.Items() {
				kv, cerr := kc(it.Key)
				if cerr != nil {
					return reflect.Value{}, cerr.under(" key " + serial.Repr(it.Key))
				}
				vv, cerr := vc(it.Value)
				if cerr != nil {
					return reflect.Value{}, cerr.under("[" + serial.Repr(it.Key) + "]")
				}
				out.SetMapIndex(kv, vv)
			}
			return out, nil
		}, nil
	case reflect.Struct:
		return structConv(t), nil
	case reflect.Pointer:
		ec, err := buildConv(t.Elem(), building)
		if err != nil {
			return nil, err
		}
		return func(v any) (reflect.Value, *convError) {
			if v == nil {
				return zero, nil
			}
			ev, cerr := ec(v)
			if cerr != nil {
				return reflect.Value{}, cerr
			}
			p := reflect.New(t.Elem())
			p.Elem().Set(ev)
			return p, nil
		}, nil
	}
	return nil, fmt.Errorf("type %s cannot receive a Python value", t)
}

// specialConv handles the model's own types and a few standard ones.
func specialConv(t reflect.Type, zero reflect.Value) converter {
	switch t {
	case anyType:
		return func(v any) (reflect.Value, *convError) {
			if v == nil {
				return zero, nil
			}
			return reflect.ValueOf(v), nil
		}
	case listType, tupleType, setType:
		return func(v any) (reflect.Value, *convError) {
			if v == nil {
				return zero, nil
			}
			elems, ok := seq(v)
			if !ok {
				return reflect.Value{}, mismatch(t, v)
			}
			return reflect.ValueOf(elems).Convert(t), nil
		}
	case dictType:
		return func(v any) (reflect.Value, *convError) {
			if v == nil {
				return zero, nil
			}
			if _, ok := v.(*pyval.Dict); !ok {
				return reflect.Value{}, mismatch(t, v)
			}
			return reflect.ValueOf(v), nil
		}
	case uriType:
		return func(v any) (reflect.Value, *convError) {
			switch x := v.(type) {
			case pyval.URI:
				return reflect.ValueOf(x), nil
			case pyval.ProxyRef:
				return reflect.ValueOf(x.URI), nil
			case string:
				u, err := pyval.ParseURI(x)
				if err != nil {
					return reflect.Value{}, &convError{detail: "is not a valid uri: " + err.Error()}
				}
				return reflect.ValueOf(u), nil
			}
			return reflect.Value{}, mismatch(t, v)
		}
	case proxyType:
		return func(v any) (reflect.Value, *convError) {
			if p, ok := v.(pyval.ProxyRef); ok {
				return reflect.ValueOf(p), nil
			}
			return reflect.Value{}, mismatch(t, v)
		}
	case excPtrType:
		return func(v any) (reflect.Value, *convError) {
			if v == nil {
				return zero, nil
			}
			if e, ok := v.(*pyval.Exception); ok {
				return reflect.ValueOf(e), nil
			}
			return reflect.Value{}, mismatch(t, v)
		}
	case bigPtrType, bigType:
		return func(v any) (reflect.Value, *convError) {
			var b *big.Int
			switch x := v.(type) {
			case *big.Int:
				b = new(big.Int).Set(x)
			case int64:
				b = big.NewInt(x)
			case bool:
				n, _ := pyval.AsInt64(x)
				b = big.NewInt(n)
			case nil:
				if t == bigPtrType {
					return zero, nil
				}
				return reflect.Value{}, mismatch(t, v)
			default:
				return reflect.Value{}, mismatch(t, v)
			}
			if t == bigType {
				return reflect.ValueOf(b).Elem(), nil
			}
			return reflect.ValueOf(b), nil
		}
	case durationType:
		return func(v any) (reflect.Value, *convError) {
			if n, ok := v.(int64); ok {
				if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
					return reflect.Value{}, &convError{overflow: true, detail: fmt.Sprintf("%d seconds out of range for time.Duration", n)}
				}
				return reflect.ValueOf(time.Duration(n) * time.Second), nil
			}
			f, ok := pyval.AsFloat(v)
			if !ok || math.IsNaN(f) {
				return reflect.Value{}, mismatch(t, v)
			}
			if math.Abs(f*1e9) > math.MaxInt64 {
				return reflect.Value{}, &convError{overflow: true, detail: fmt.Sprintf("%g seconds out of range for time.Duration", f)}
			}
			return reflect.ValueOf(time.Duration(f * 1e9)), nil
		}
	case timeType:
		return func(v any) (reflect.Value, *convError) {
			s, ok := v.(string)
			if !ok {
				return reflect.Value{}, mismatch(t, v)
			}
			for _, layout := range timeLayouts {
				if tm, err := time.Parse(layout, s); err == nil {
					return reflect.ValueOf(tm), nil
				}
			}
			return reflect.Value{}, &convError{detail: fmt.Sprintf("is not an ISO 8601 time: %q", s)}
		}
	}
	return nil
}

// timeLayouts are what Python's isoformat() produces (and RFC 3339).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func intConv(t reflect.Type) converter {
	bits := t.Bits()
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if bits < 64 {
		lo, hi = -1<<(bits-1), 1<<(bits-1)-1
	}
	return func(v any) (reflect.Value, *convError) {
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case bool:
			n, _ = pyval.AsInt64(x)
		case *big.Int:
			if !x.IsInt64() {
				return reflect.Value{}, &convError{overflow: true, detail: fmt.Sprintf("int %s out of range for %s", x, t)}
			}
			n = x.Int64()
		default:
			return reflect.Value{}, mismatch(t, v)
		}
		if n < lo || n > hi {
			return reflect.Value{}, &convError{overflow: true, detail: fmt.Sprintf("int %d out of range for %s", n, t)}
		}
		if t.Kind() == reflect.Int64 && t.PkgPath() == "" {
			return reflect.ValueOf(n), nil
		}
		rv := reflect.New(t).Elem()
		rv.SetInt(n)
		return rv, nil
	}
}

func uintConv(t reflect.Type) converter {
	bits := t.Bits()
	hi := uint64(math.MaxUint64)
	if bits < 64 {
		hi = 1<<bits - 1
	}
	return func(v any) (reflect.Value, *convError) {
		var n uint64
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return reflect.Value{}, &convError{overflow: true, detail: fmt.Sprintf("int %d out of range for %s", x, t)}
			}
			n = uint64(x)
		case bool:
			if x {
				n = 1
			}
		case *big.Int:
			if !x.IsUint64() {
				return reflect.Value{}, &convError{overflow: true, detail: fmt.Sprintf("int %s out of range for %s", x, t)}
			}
			n = x.Uint64()
		default:
			return reflect.Value{}, mismatch(t, v)
		}
		if n > hi {
			return reflect.Value{}, &convError{overflow: true, detail: fmt.Sprintf("int %d out of range for %s", n, t)}
		}
		rv := reflect.New(t).Elem()
		rv.SetUint(n)
		return rv, nil
	}
}

// bytesConv accepts bytes, and serpent's encoding of bytes: a dict
// {'data': <base64 str>, 'encoding': 'base64'}.
func bytesConv(t reflect.Type, zero reflect.Value) converter {
	return func(v any) (reflect.Value, *convError) {
		var b []byte
		switch x := v.(type) {
		case nil:
			return zero, nil
		case []byte, *pyval.Dict:
			var ok bool
			if b, ok = pyval.AsBytes(x); !ok {
				return reflect.Value{}, mismatch(t, v)
			}
		default:
			return reflect.Value{}, mismatch(t, v)
		}
		if t == bytesType {
			return reflect.ValueOf(b), nil
		}
		return reflect.ValueOf(b).Convert(t), nil
	}
}

// structConv fills a struct from a dict, by the field names pyval.FromGo
// writes (pyval.StructFieldIndex). Keys naming no field are ignored, as
// encoding/json ignores unknown keys.
func structConv(t reflect.Type) converter {
	type fieldConv struct {
		index []int
		conv  converter
		err   error
	}
	var fields sync.Map // Python name -> *fieldConv
	field := func(name string) *fieldConv {
		if f, ok := fields.Load(name); ok {
			return f.(*fieldConv)
		}
		fc := &fieldConv{}
		if idx, ok := pyval.StructFieldIndex(t, name); ok {
			fc.index = idx
			fc.conv, fc.err = converterFor(t.FieldByIndex(idx).Type)
		}
		f, _ := fields.LoadOrStore(name, fc)
		return f.(*fieldConv)
	}
	return func(v any) (reflect.Value, *convError) {
		d, ok := v.(*pyval.Dict)
		if !ok {
			return reflect.Value{}, mismatch(t, v)
		}
		out := reflect.New(t).Elem()
		for _, it := range d.Items() {
			name, ok := it.Key.(string)
			if !ok {
				return reflect.Value{}, &convError{detail: "keys must be str, not " + pyval.TypeName(it.Key)}
			}
			fc := field(name)
			if fc.index == nil {
				continue
			}
			if fc.err != nil {
				return reflect.Value{}, &convError{path: "[" + serial.ReprString(name) + "]", detail: "cannot be set: " + fc.err.Error()}
			}
			fv, cerr := fc.conv(it.Value)
			if cerr != nil {
				return reflect.Value{}, cerr.under("[" + serial.ReprString(name) + "]")
			}
			dst, ok := pyval.StructField(out, fc.index)
			if !ok {
				return reflect.Value{}, &convError{path: "[" + serial.ReprString(name) + "]", detail: "cannot be set (unexported embedded pointer)"}
			}
			dst.Set(fv)
		}
		return out, nil
	}
}
