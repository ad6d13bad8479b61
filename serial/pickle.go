package serial

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// The pickle serializer is opt-in and decodes data only; the package doc
// (doc.go, "Pickle") says what it decodes into and what it refuses, and
// why gopickle is its unpickler.

type pickleCodec struct{}

// Pickle is Pyro4's pickle serializer (id 4). ByID and ByName never
// return it: accepting it is a deliberate choice of the program
// (engine.Options.AllowPickle, proxy.Options.AllowPickle).
var Pickle Codec = pickleCodec{}

func (pickleCodec) ID() int      { return IDPickle }
func (pickleCodec) Name() string { return "pickle" }

// Marshal appends v as a protocol 4 pickle.
func (pickleCodec) Marshal(dst []byte, v any, r Replacer) ([]byte, error) {
	e := pickleEncoder{buf: dst, r: r}
	e.buf = append(e.buf, 0x80, 4) // PROTO 4
	if err := e.value(v, 0); err != nil {
		return dst, err
	}
	return append(e.buf, '.'), nil
}

// MarshalCall appends the tuple (object, method, vargs, kwargs) Pyro4's
// dumpsCall pickles; kwargs is None for __getattr__, __setattr__ and
// <batch> when nil, as for the other serializers.
func (pickleCodec) MarshalCall(dst []byte, c *Call, r Replacer) ([]byte, error) {
	e := pickleEncoder{buf: dst, r: r}
	e.buf = append(e.buf, 0x80, 4, '(')
	e.str(c.Object)
	e.str(c.Method)
	if err := e.tuple(c.Args, 0); err != nil {
		return dst, err
	}
	switch {
	case c.Kwargs != nil:
		if err := e.dict(c.Kwargs, 0); err != nil {
			return dst, err
		}
	case c.KwargsNone || kwargsMayBeNone(c.Method):
		e.buf = append(e.buf, 'N')
	default:
		e.buf = append(e.buf, '}')
	}
	return append(e.buf, 't', '.'), nil
}

// Unmarshal decodes one pickle (see the table above).
func (pickleCodec) Unmarshal(data []byte) (any, error) {
	return unpickle(data)
}

// UnmarshalCall decodes the call tuple and checks it as Pyro4's daemon
// unpacks it.
func (pickleCodec) UnmarshalCall(data []byte, c *Call) error {
	v, err := unpickle(data)
	if err != nil {
		return err
	}
	parts, ok := v.(pyval.Tuple)
	if !ok {
		if l, isList := v.([]any); isList {
			parts, ok = l, true
		}
	}
	switch {
	case !ok:
		return pyval.NewException(pyval.ClassTypeError, "cannot unpack non-iterable "+pyval.TypeName(v)+" object")
	case len(parts) < 4:
		return pyval.NewException(pyval.ClassValueError, fmt.Sprintf("not enough values to unpack (expected 4, got %d)", len(parts)))
	case len(parts) > 4:
		return pyval.NewException(pyval.ClassValueError, "too many values to unpack (expected 4)")
	}
	p := callParts{dst: c.Args, object: partOf(parts[0]), method: partOf(parts[1]), vargs: parts[2], kwargs: parts[3]}
	return fillCall(c, &p)
}

// unpickle runs gopickle's machine with gyro's resolver, then converts
// its values into the model.
func unpickle(data []byte) (v any, err error) {
	defer func() {
		// gopickle keeps sets in Go maps, so an unhashable member (bytes)
		// panics inside it; a payload must never crash the caller.
		if p := recover(); p != nil {
			v, err = nil, pickleError(fmt.Sprint("invalid pickle: ", p))
		}
	}()
	data, err = scanPickle(data)
	if err != nil {
		return nil, err
	}
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.GetExtension = func(int) (any, error) {
		return nil, pickleError("the copyreg extension registry is not supported")
	}
	u.FindClass = pickleFindClass
	u.PersistentLoad = func(any) (any, error) {
		return nil, pickleError("persistent ids are not supported")
	}
	u.NextBuffer = func() (any, error) {
		return nil, pickleError("out-of-band buffers are not supported")
	}
	raw, err := u.Load()
	if err != nil {
		if _, ok := err.(*pyval.Exception); ok {
			return nil, err
		}
		return nil, pickleError(err.Error())
	}
	c := pickleConverter{budget: 16*len(data) + 1024}
	return c.value(raw, 0)
}

func pickleError(msg string) error {
	return pyval.NewException(pyval.ClassSerializeError, "pickle: "+msg)
}

// pickleFindClass is the only way a pickle names code; see the package
// table for what it resolves.
func pickleFindClass(module, name string) (any, error) {
	switch module + "." + name {
	case "builtins.complex", "__builtin__.complex":
		return pickleFunc(pickleComplex), nil
	case "builtins.set", "builtins.frozenset", "__builtin__.set", "__builtin__.frozenset":
		return pickleFunc(pickleSet), nil
	case "builtins.bytearray", "__builtin__.bytearray":
		return pickleFunc(pickleByteArray), nil
	case "_codecs.encode":
		return pickleFunc(pickleCodecsEncode), nil
	case "datetime.datetime":
		return pickleFunc(pickleDateTime), nil
	case "datetime.date":
		return pickleFunc(pickleDate), nil
	case "decimal.Decimal":
		return pickleFunc(pickleDecimal), nil
	case "Pyro4.core.URI":
		return pickleNewable(func() pickleStateful { return new(pickleURI) }), nil
	case "Pyro4.core.Proxy":
		return pickleNewable(func() pickleStateful { return new(pickleProxy) }), nil
	case "Pyro4.futures._ExceptionWrapper":
		return pickleNewable(func() pickleStateful { return new(pickleWrapper) }), nil
	}
	class := module + "." + name
	if module == "exceptions" || module == "__builtin__" {
		class = "builtins." + name
	}
	if module == "builtins" || module == "exceptions" || module == "__builtin__" || module == "Pyro4.errors" {
		if e, err := pyval.FromClassDict(pyval.DictOf("__class__", class, "__exception__", true), false); err == nil {
			if ex, ok := e.(*pyval.Exception); ok {
				return pickleExceptionClass(ex.Class), nil
			}
		}
	}
	return nil, pyval.NewException(pyval.ClassSerializeError,
		"pickle: refusing global "+module+"."+name+": gyro rebuilds only plain data, exceptions and Pyro4 URIs and proxies, and never runs pickled code")
}

// pickleFunc is a resolved callable for REDUCE.
type pickleFunc func(args ...any) (any, error)

func (f pickleFunc) Call(args ...any) (any, error) { return f(args...) }

func pickleArgs(name string, args []any, n int) error {
	if len(args) != n {
		return pyval.NewException(pyval.ClassTypeError, fmt.Sprintf("%s takes %d arguments (%d given)", name, n, len(args)))
	}
	return nil
}

func pickleComplex(args ...any) (any, error) {
	var parts [2]float64
	for i, a := range args {
		if i >= 2 {
			return nil, pyval.NewException(pyval.ClassTypeError, "complex() takes at most 2 arguments")
		}
		f, ok := pickleFloat(a)
		if !ok {
			return nil, pyval.NewException(pyval.ClassTypeError, "complex() argument must be a number")
		}
		parts[i] = f
	}
	return complex(parts[0], parts[1]), nil
}

// pickleFloat is float(v) for a number gopickle decoded (its ints are Go
// ints).
func pickleFloat(v any) (float64, bool) {
	if i, ok := v.(int); ok {
		v = int64(i)
	}
	return pyval.AsFloat(v)
}

// pickleSetOf marks a set built by REDUCE: its members are converted later.
type pickleSetOf struct{ elems any }

func pickleSet(args ...any) (any, error) {
	if len(args) == 0 {
		return pickleSetOf{}, nil
	}
	if err := pickleArgs("set", args, 1); err != nil {
		return nil, err
	}
	return pickleSetOf{elems: args[0]}, nil
}

func pickleByteArray(args ...any) (any, error) {
	if len(args) == 0 {
		return []byte{}, nil
	}
	switch x := args[0].(type) {
	case []byte:
		return bytes.Clone(x), nil
	case string:
		if len(args) == 2 {
			return pickleCodecsEncode(x, args[1])
		}
	}
	return nil, pyval.NewException(pyval.ClassTypeError, "bytearray() argument must be bytes")
}

// pickleCodecsEncode is _codecs.encode(text, "latin1"), how protocols 0-2
// write bytes.
func pickleCodecsEncode(args ...any) (any, error) {
	if err := pickleArgs("encode", args, 2); err != nil {
		return nil, err
	}
	s, ok1 := args[0].(string)
	enc, ok2 := args[1].(string)
	if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1" && enc != "iso-8859-1") {
		return nil, pickleError("only _codecs.encode(str, 'latin1') is supported")
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, pyval.NewException("builtins.UnicodeEncodeError", "'latin-1' codec can't encode character")
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// pickleDateTime rebuilds datetime.datetime from its 10-byte state; a
// tzinfo argument (an aware datetime) is refused.
func pickleDateTime(args ...any) (any, error) {
	b, ok := pickleStateBytes(args, 10)
	if !ok {
		return nil, pickleError("only naive datetime.datetime state is supported")
	}
	us := int(b[7])<<16 | int(b[8])<<8 | int(b[9])
	return time.Date(int(b[0])<<8|int(b[1]), time.Month(b[2]), int(b[3]), int(b[4]), int(b[5]), int(b[6]), us*1000, time.UTC), nil
}

func pickleDate(args ...any) (any, error) {
	b, ok := pickleStateBytes(args, 4)
	if !ok {
		return nil, pickleError("invalid datetime.date state")
	}
	return Date{int(b[0])<<8 | int(b[1]), time.Month(b[2]), int(b[3])}, nil
}

func pickleStateBytes(args []any, n int) ([]byte, bool) {
	if len(args) != 1 {
		return nil, false
	}
	var b []byte
	switch x := args[0].(type) {
	case []byte:
		b = x
	case string: // protocols 0-2 write the state as a latin-1 str
		v, err := pickleCodecsEncode(x, "latin1")
		if err != nil {
			return nil, false
		}
		b = v.([]byte)
	}
	return b, len(b) == n
}

func pickleDecimal(args ...any) (any, error) {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s, nil
		}
	}
	return nil, pickleError("only decimal.Decimal(str) is supported")
}

// pickleStateful is an object NEWOBJ makes and BUILD fills in.
type pickleStateful interface {
	PySetState(state any) error
}

type pickleNewable func() pickleStateful

func (f pickleNewable) PyNew(args ...any) (any, error) { return f(), nil }

type pickleURI struct{ state any }

func (u *pickleURI) PySetState(state any) error { u.state = state; return nil }

type pickleProxy struct{ state any }

func (p *pickleProxy) PySetState(state any) error { p.state = state; return nil }

type pickleWrapper struct{ state any }

func (w *pickleWrapper) PySetState(state any) error { w.state = state; return nil }

// pickleExceptionClass makes exceptions of one known class, by REDUCE
// (args) or NEWOBJ, with BUILD setting attributes.
type pickleExceptionClass string

type pickleException struct {
	class string
	args  []any
	attrs any
}

func (c pickleExceptionClass) Call(args ...any) (any, error) {
	return &pickleException{class: string(c), args: args}, nil
}

func (c pickleExceptionClass) PyNew(args ...any) (any, error) { return c.Call(args...) }

func (e *pickleException) PySetState(state any) error {
	if t, ok := state.(*types.Tuple); ok && t.Len() == 2 { // (dict, slots)
		state = t.Get(0)
	}
	if _, ok := state.(*types.Dict); !ok && state != nil {
		return pickleError("invalid exception state")
	}
	e.attrs = state
	return nil
}

// pickleConverter turns gopickle's values into the model.
type pickleConverter struct {
	budget int // values left to convert: shared references expand
}

func (c *pickleConverter) value(v any, depth int) (any, error) {
	if depth > msgpackMaxDepth {
		return nil, pickleError("nesting too deep")
	}
	if c.budget--; c.budget < 0 {
		return nil, pickleError("value too large once shared references are expanded")
	}
	switch x := v.(type) {
	case nil, bool, float64, string, complex128, time.Time, Date:
		return v, nil
	case int:
		return int64(x), nil
	case *big.Int:
		return pyval.Int(x), nil
	case []byte:
		return bytes.Clone(x), nil
	case *types.ByteArray:
		return bytes.Clone(*x), nil
	case *types.Tuple:
		l, err := c.elems(*x, depth)
		return pyval.Tuple(l), err
	case *types.List:
		return c.elems(*x, depth)
	case *types.Dict:
		// addItem finds equal keys in linear time, as Python's dict would.
		items := make([]pyval.Item, 0, len(*x))
		var index *pyval.KeyIndex
		for _, it := range *x {
			k, err := c.value(it.Key, depth+1)
			if err != nil {
				return nil, err
			}
			if !pyval.Hashable(k) {
				return nil, pyval.NewException(pyval.ClassTypeError, "unhashable type: '"+pyval.TypeName(k)+"'")
			}
			val, err := c.value(it.Value, depth+1)
			if err != nil {
				return nil, err
			}
			items = pyval.AddItem(items, 0, &index, k, val)
		}
		return popDict(&items, 0), nil
	case *types.Set:
		return c.set(mapKeys(*x), depth)
	case *types.FrozenSet:
		return c.set(mapKeys(*x), depth)
	case pickleSetOf:
		if x.elems == nil {
			return pyval.Set{}, nil
		}
		elems, err := c.value(x.elems, depth+1)
		if err != nil {
			return nil, err
		}
		l, ok := pyval.Iterate(elems)
		if !ok {
			return nil, pyval.NewException(pyval.ClassTypeError, "'"+pyval.TypeName(elems)+"' object is not iterable")
		}
		return c.setOf(l)
	case *pickleException:
		args, err := c.elems(x.args, depth)
		if err != nil {
			return nil, err
		}
		e := &pyval.Exception{Class: x.class, Args: pyval.Tuple(args)}
		if x.attrs != nil {
			a, err := c.value(x.attrs, depth+1)
			if err != nil {
				return nil, err
			}
			e.Attributes = a.(*pyval.Dict)
		}
		return e, nil
	case *pickleURI:
		st, err := c.value(x.state, depth+1)
		if err != nil {
			return nil, err
		}
		return pyval.FromClassDict(pyval.DictOf("__class__", "Pyro4.core.URI", "state", st), false)
	case *pickleProxy:
		st, err := c.value(x.state, depth+1)
		if err != nil {
			return nil, err
		}
		if t, ok := st.(pyval.Tuple); ok && len(t) > 0 {
			if u, ok := t[0].(pyval.URI); ok {
				t[0] = u.String() // the class dict form carries the URI as text
			}
		}
		return pyval.FromClassDict(pyval.DictOf("__class__", "Pyro4.core.Proxy", "state", st), false)
	case *pickleWrapper:
		st, err := c.value(x.state, depth+1)
		if err != nil {
			return nil, err
		}
		d, ok := st.(*pyval.Dict)
		if !ok {
			return nil, pickleError("invalid _ExceptionWrapper state")
		}
		ex, _ := d.Get("exception")
		return pyval.FromClassDict(pyval.DictOf("__class__", "Pyro4.futures._ExceptionWrapper", "exception", ex), false)
	}
	return nil, pickleError(fmt.Sprintf("unsupported value of type %T", v))
}

func (c *pickleConverter) elems(in []any, depth int) ([]any, error) {
	out := make([]any, len(in))
	for i, e := range in {
		v, err := c.value(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (c *pickleConverter) set(in []any, depth int) (any, error) {
	l, err := c.elems(in, depth)
	if err != nil {
		return nil, err
	}
	return c.setOf(l)
}

func (c *pickleConverter) setOf(l []any) (any, error) {
	items := make([]pyval.Item, 0, len(l))
	var index *pyval.KeyIndex
	for _, e := range l {
		if !pyval.Hashable(e) {
			return nil, pyval.NewException(pyval.ClassTypeError, "unhashable type: '"+pyval.TypeName(e)+"'")
		}
		items = pyval.AddItem(items, 0, &index, e, nil)
	}
	s := make(pyval.Set, len(items))
	for i, it := range items {
		s[i] = it.Key
	}
	return s, nil
}

func mapKeys[M ~map[any]V, V any](m M) []any {
	out := make([]any, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// pickleEncoder writes protocol 4 opcodes without memo or frames.
type pickleEncoder struct {
	buf []byte
	r   Replacer
}

func (e *pickleEncoder) value(v any, depth int) error {
	if depth > msgpackMaxDepth {
		return pyval.NewException("builtins.RecursionError", "maximum recursion depth exceeded while pickling an object")
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, 'N')
	case bool:
		if x {
			e.buf = append(e.buf, 0x88)
		} else {
			e.buf = append(e.buf, 0x89)
		}
	case int64:
		e.int(x)
	case *big.Int:
		if x.IsInt64() {
			e.int(x.Int64())
		} else {
			e.long(x)
		}
	case float64:
		e.buf = binary.BigEndian.AppendUint64(append(e.buf, 'G'), math.Float64bits(x))
	case string:
		e.str(x)
	case []byte:
		switch n := len(x); {
		case n < 256:
			e.buf = append(e.buf, 'C', byte(n))
		case uint64(n) <= math.MaxUint32:
			e.buf = binary.LittleEndian.AppendUint32(append(e.buf, 'B'), uint32(n))
		default:
			e.buf = binary.LittleEndian.AppendUint64(append(e.buf, 0x8e), uint64(n))
		}
		e.buf = append(e.buf, x...)
	case complex128:
		e.global("builtins", "complex")
		e.value(real(x), depth+1)
		e.value(imag(x), depth+1)
		e.buf = append(e.buf, 0x86, 'R')
	case pyval.Tuple:
		return e.tuple(x, depth)
	case []any:
		e.buf = append(e.buf, ']')
		return e.items(x, 'e', depth)
	case pyval.Set:
		e.buf = append(e.buf, 0x8f)
		return e.items(x, 0x90, depth)
	case *pyval.Dict:
		return e.dict(x, depth)
	case time.Time:
		y := x.Year()
		us := x.Nanosecond() / 1000
		e.global("datetime", "datetime")
		e.buf = append(e.buf, 'C', 10, byte(y>>8), byte(y), byte(x.Month()), byte(x.Day()), byte(x.Hour()), byte(x.Minute()), byte(x.Second()),
			byte(us>>16), byte(us>>8), byte(us), 0x85, 'R')
	case Date:
		e.global("datetime", "date")
		e.buf = append(e.buf, 'C', 4, byte(x.Year>>8), byte(x.Year), byte(x.Month), byte(x.Day), 0x85, 'R')
	case *pyval.Exception:
		if x == nil {
			e.buf = append(e.buf, 'N')
			return nil
		}
		mod, name := "builtins", x.Class
		if i := strings.LastIndexByte(x.Class, '.'); i >= 0 {
			mod, name = x.Class[:i], x.Class[i+1:]
		}
		e.global(mod, name)
		if err := e.tuple(x.Args, depth); err != nil {
			return err
		}
		e.buf = append(e.buf, 'R')
		if x.Attributes != nil && x.Attributes.Len() > 0 {
			if err := e.dict(x.Attributes, depth); err != nil {
				return err
			}
			e.buf = append(e.buf, 'b')
		}
	case pyval.URI:
		e.newobj("Pyro4.core", "URI")
		d := x.ClassDict()
		st, _ := d.Get("state")
		if err := e.value(st, depth+1); err != nil {
			return err
		}
		e.buf = append(e.buf, 'b')
	case pyval.ProxyRef:
		e.newobj("Pyro4.core", "Proxy")
		st, _ := x.ClassDict().Get("state")
		t := append(pyval.Tuple{}, st.(pyval.Tuple)...)
		t[0] = x.URI // Pyro4's state holds the URI object
		for i := 1; i <= 3; i++ {
			t[i] = pyval.Set(t[i].(pyval.Tuple))
		}
		if len(x.HMACKey) > 0 {
			t[5] = x.HMACKey
		}
		if err := e.tuple(t, depth); err != nil {
			return err
		}
		e.buf = append(e.buf, 'b')
	case pyval.ExceptionWrapper:
		e.newobj("Pyro4.futures", "_ExceptionWrapper")
		if err := e.dict(pyval.DictOf("exception", x.Exception), depth); err != nil {
			return err
		}
		e.buf = append(e.buf, 'b')
	default:
		if e.r != nil {
			if nv, ok := e.r(v); ok {
				return e.value(nv, depth)
			}
		}
		switch x := v.(type) {
		case *pyval.URI:
			if x != nil {
				return e.value(*x, depth)
			}
		case *pyval.ProxyRef:
			if x != nil {
				return e.value(*x, depth)
			}
		}
		nv, err := normalizeValue(v, nil)
		if err != nil {
			return err
		}
		return e.value(nv, depth)
	}
	return nil
}

func (e *pickleEncoder) int(x int64) {
	switch {
	case x >= 0 && x < 256:
		e.buf = append(e.buf, 'K', byte(x))
	case x >= 0 && x < 65536:
		e.buf = binary.LittleEndian.AppendUint16(append(e.buf, 'M'), uint16(x))
	case x >= math.MinInt32 && x <= math.MaxInt32:
		e.buf = binary.LittleEndian.AppendUint32(append(e.buf, 'J'), uint32(int32(x)))
	default:
		e.long(big.NewInt(x))
	}
}

// long writes LONG1/LONG4: little-endian two's complement, as short as
// keeps the sign.
func (e *pickleEncoder) long(x *big.Int) {
	n := x.BitLen()/8 + 1
	b := make([]byte, n)
	if x.Sign() >= 0 {
		x.FillBytes(b)
	} else {
		// two's complement: 2**(8n) + x
		t := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
		t.Add(t, x)
		t.FillBytes(b)
	}
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	if n < 256 {
		e.buf = append(e.buf, 0x8a, byte(n))
	} else {
		e.buf = binary.LittleEndian.AppendUint32(append(e.buf, 0x8b), uint32(n))
	}
	e.buf = append(e.buf, b...)
}

func (e *pickleEncoder) str(s string) {
	switch n := len(s); {
	case n < 256:
		e.buf = append(e.buf, 0x8c, byte(n))
	case uint64(n) <= math.MaxUint32:
		e.buf = binary.LittleEndian.AppendUint32(append(e.buf, 'X'), uint32(n))
	default:
		e.buf = binary.LittleEndian.AppendUint64(append(e.buf, 0x8d), uint64(n))
	}
	e.buf = append(e.buf, s...)
}

func (e *pickleEncoder) global(mod, name string) {
	e.str(mod)
	e.str(name)
	e.buf = append(e.buf, 0x93) // STACK_GLOBAL
}

func (e *pickleEncoder) newobj(mod, name string) {
	e.global(mod, name)
	e.buf = append(e.buf, ')', 0x81) // EMPTY_TUPLE, NEWOBJ
}

func (e *pickleEncoder) tuple(l []any, depth int) error {
	if len(l) == 0 {
		e.buf = append(e.buf, ')')
		return nil
	}
	e.buf = append(e.buf, '(')
	for _, v := range l {
		if err := e.value(v, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, 't')
	return nil
}

// items writes MARK, the elements and op (APPENDS, ADDITEMS) after an
// empty container.
func (e *pickleEncoder) items(l []any, op byte, depth int) error {
	if len(l) == 0 {
		return nil
	}
	e.buf = append(e.buf, '(')
	for _, v := range l {
		if err := e.value(v, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, op)
	return nil
}

func (e *pickleEncoder) dict(d *pyval.Dict, depth int) error {
	e.buf = append(e.buf, '}')
	items := d.Items()
	if len(items) == 0 {
		return nil
	}
	e.buf = append(e.buf, '(')
	for _, it := range items {
		if err := e.value(it.Key, depth+1); err != nil {
			return err
		}
		if err := e.value(it.Value, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, 'u')
	return nil
}
