package pyval

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrConvert is matched (errors.Is) by every error of ToGo: the value does
// not fit the Go type asked for.
var ErrConvert = errors.New("pyval: cannot convert")

// ErrOverflow is matched by the ToGo errors for a number out of the Go
// type's range; they match ErrConvert too.
var ErrOverflow = errors.New("pyval: number out of range")

// ConvertError says which part of a model value did not fit which Go type.
type ConvertError struct {
	// Path locates the part inside the value, as Python would index it:
	// "" for the value itself, "[2]['name']" for an element further in.
	Path string
	// From is the Python type name of that part ("int", "dict", ...).
	From string
	// To is the Go type it was to become.
	To reflect.Type
	// Overflow is set for a number out of To's range.
	Overflow bool
	// Detail says more where the types alone do not explain it.
	Detail string
}

func (e *ConvertError) Error() string {
	s := "pyval: cannot convert " + e.From + " to " + e.To.String()
	if e.Path != "" {
		s += " at " + strings.TrimPrefix(e.Path, " ")
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is makes errors.Is(err, ErrConvert) and, for an overflow,
// errors.Is(err, ErrOverflow) hold.
func (e *ConvertError) Is(target error) bool {
	return target == ErrConvert || (e.Overflow && target == ErrOverflow)
}

func (e *ConvertError) under(p string) *ConvertError {
	e.Path = p + e.Path
	return e
}

func mismatchErr(t reflect.Type, v any) *ConvertError {
	return &ConvertError{From: TypeName(v), To: t}
}

func overflowErr(t reflect.Type, v any, detail string) *ConvertError {
	return &ConvertError{From: TypeName(v), To: t, Overflow: true, Detail: detail}
}

// ToGo stores the model value v in the Go value dst points to: it is the
// reverse of FromGo, for results decoded from a Pyro4 peer.
//
//	int               every int and uint kind, range-checked (ErrOverflow);
//	                  *big.Int and big.Int; float and complex kinds
//	float             float kinds (float32 range-checked), complex kinds
//	str               string kinds; time.Time from ISO 8601 text, as
//	                  serpent and json carry a datetime
//	bytes             []byte; also serpent's {'data': ..., 'encoding':
//	                  'base64'} form of bytes, and a list of ints
//	list, tuple, set  slices, arrays of the same length, Tuple, Set, []any,
//	                  and map[K]struct{} or map[K]bool (a set); json sends
//	                  tuples and sets as lists, so each accepts all three
//	dict              maps with any key type (a str key also fills an int,
//	                  uint, float or bool key, since json keys are text);
//	                  structs, by the field names FromGo writes (the `pyro`
//	                  tag, else the `json` tag, else SnakeCase), ignoring
//	                  keys that name no field; *Dict
//	float, int        time.Duration, as seconds
//	None              nil pointers, slices, maps, interfaces
//
// A pointer is allocated as needed; an interface (any) receives the model
// value itself, as do the model's own types (URI, ProxyRef, *Exception).
// As with encoding/json, a struct keeps the fields the dict does not set
// and a map keeps its other entries. Every failure is a *ConvertError.
func ToGo(v any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		t := reflect.TypeOf(dst)
		if t == nil {
			t = reflect.TypeFor[any]()
		}
		return &ConvertError{From: TypeName(v), To: t, Detail: "destination is not a non-nil pointer"}
	}
	if err := decoderFor(rv.Type().Elem())(v, rv.Elem()); err != nil {
		return err
	}
	return nil
}

// A decoder stores a model value in dst, which is settable. Decoders are
// built once per type and keep no state between calls.
type decoder func(v any, dst reflect.Value) *ConvertError

var decoders sync.Map // reflect.Type -> decoder

func decoderFor(t reflect.Type) decoder {
	if d, ok := decoders.Load(t); ok {
		return d.(decoder)
	}
	// A recursive type meets itself while its decoder is built: store an
	// indirect one first, which waits for the real one.
	var (
		wg   sync.WaitGroup
		real decoder
	)
	wg.Add(1)
	d, loaded := decoders.LoadOrStore(t, decoder(func(v any, dst reflect.Value) *ConvertError {
		wg.Wait()
		return real(v, dst)
	}))
	if loaded {
		return d.(decoder)
	}
	real = newDecoder(t)
	wg.Done()
	decoders.Store(t, real)
	return real
}

var (
	anyType      = reflect.TypeFor[any]()
	tupleType    = reflect.TypeFor[Tuple]()
	setType      = reflect.TypeFor[Set]()
	listType     = reflect.TypeFor[[]any]()
	dictPtrType  = reflect.TypeFor[*Dict]()
	bigPtrType   = reflect.TypeFor[*big.Int]()
	bigType      = reflect.TypeFor[big.Int]()
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
	emptyStruct  = reflect.TypeFor[struct{}]()
)

// modelTypes are decoded by an exact type match: the value is stored as
// it is.
var modelTypes = map[reflect.Type]bool{
	reflect.TypeFor[URI]():        true,
	reflect.TypeFor[ProxyRef]():   true,
	reflect.TypeFor[*Exception](): true,
	dictPtrType:                   true,
}

// seqItems returns the elements of a list, tuple or set.
func seqItems(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case Tuple:
		return x, true
	case Set:
		return x, true
	}
	return nil, false
}

func newDecoder(t reflect.Type) decoder {
	switch t {
	case anyType:
		return func(v any, dst reflect.Value) *ConvertError {
			if v == nil {
				dst.SetZero()
			} else {
				dst.Set(reflect.ValueOf(v))
			}
			return nil
		}
	case tupleType, setType, listType:
		return func(v any, dst reflect.Value) *ConvertError {
			if v == nil {
				dst.SetZero()
				return nil
			}
			items, ok := seqItems(v)
			if !ok {
				return mismatchErr(t, v)
			}
			dst.Set(reflect.ValueOf(items).Convert(t))
			return nil
		}
	case bigPtrType, bigType:
		return bigDecoder(t)
	case timeType:
		return decodeTime
	case durationType:
		return decodeDuration
	}
	if modelTypes[t] {
		return func(v any, dst reflect.Value) *ConvertError {
			if v == nil && t.Kind() == reflect.Pointer {
				dst.SetZero()
				return nil
			}
			rv := reflect.ValueOf(v)
			if !rv.IsValid() || rv.Type() != t {
				return mismatchErr(t, v)
			}
			dst.Set(rv)
			return nil
		}
	}
	switch t.Kind() {
	case reflect.Interface:
		return func(v any, dst reflect.Value) *ConvertError {
			if v == nil {
				dst.SetZero()
				return nil
			}
			rv := reflect.ValueOf(v)
			if !rv.Type().Implements(t) {
				return mismatchErr(t, v)
			}
			dst.Set(rv)
			return nil
		}
	case reflect.Bool:
		return func(v any, dst reflect.Value) *ConvertError {
			b, ok := v.(bool)
			if !ok {
				return mismatchErr(t, v)
			}
			dst.SetBool(b)
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intDecoder(t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintDecoder(t)
	case reflect.Float32, reflect.Float64:
		return floatDecoder(t)
	case reflect.Complex64, reflect.Complex128:
		return func(v any, dst reflect.Value) *ConvertError {
			c, ok := v.(complex128)
			if !ok {
				if _, isBig := v.(*big.Int); isBig {
					return mismatchErr(t, v)
				}
				f, ok := AsFloat(v)
				if !ok {
					return mismatchErr(t, v)
				}
				c = complex(f, 0)
			}
			dst.SetComplex(c)
			return nil
		}
	case reflect.String:
		return func(v any, dst reflect.Value) *ConvertError {
			s, ok := v.(string)
			if !ok {
				return mismatchErr(t, v)
			}
			dst.SetString(s)
			return nil
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return bytesDecoder(t)
		}
		return sliceDecoder(t)
	case reflect.Array:
		return arrayDecoder(t)
	case reflect.Map:
		if e := t.Elem(); e == emptyStruct || e.Kind() == reflect.Bool {
			return setOrMapDecoder(t)
		}
		return mapDecoder(t)
	case reflect.Struct:
		return structDecoder(t)
	case reflect.Pointer:
		elem := t.Elem()
		return func(v any, dst reflect.Value) *ConvertError {
			if v == nil {
				dst.SetZero()
				return nil
			}
			if dst.IsNil() {
				p := reflect.New(elem)
				if err := decoderFor(elem)(v, p.Elem()); err != nil {
					return err
				}
				dst.Set(p)
				return nil
			}
			return decoderFor(elem)(v, dst.Elem())
		}
	}
	return func(v any, dst reflect.Value) *ConvertError {
		return &ConvertError{From: TypeName(v), To: t, Detail: "no Python value converts to a " + t.Kind().String()}
	}
}

func intDecoder(t reflect.Type) decoder {
	bits := t.Bits()
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if bits < 64 {
		lo, hi = -1<<(bits-1), 1<<(bits-1)-1
	}
	return func(v any, dst reflect.Value) *ConvertError {
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case bool:
			n, _ = AsInt64(x)
		case *big.Int:
			if !x.IsInt64() {
				return overflowErr(t, v, x.String()+" does not fit")
			}
			n = x.Int64()
		default:
			return mismatchErr(t, v)
		}
		if n < lo || n > hi {
			return overflowErr(t, v, strconv.FormatInt(n, 10)+" does not fit")
		}
		dst.SetInt(n)
		return nil
	}
}

func uintDecoder(t reflect.Type) decoder {
	bits := t.Bits()
	hi := uint64(math.MaxUint64)
	if bits < 64 {
		hi = 1<<bits - 1
	}
	return func(v any, dst reflect.Value) *ConvertError {
		var n uint64
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return overflowErr(t, v, strconv.FormatInt(x, 10)+" does not fit")
			}
			n = uint64(x)
		case bool:
			if x {
				n = 1
			}
		case *big.Int:
			if !x.IsUint64() {
				return overflowErr(t, v, x.String()+" does not fit")
			}
			n = x.Uint64()
		default:
			return mismatchErr(t, v)
		}
		if n > hi {
			return overflowErr(t, v, strconv.FormatUint(n, 10)+" does not fit")
		}
		dst.SetUint(n)
		return nil
	}
}

func floatDecoder(t reflect.Type) decoder {
	return func(v any, dst reflect.Value) *ConvertError {
		if _, isComplex := v.(complex128); isComplex {
			return mismatchErr(t, v)
		}
		f, ok := AsFloat(v)
		if !ok {
			if _, isBig := v.(*big.Int); isBig {
				return overflowErr(t, v, "int too large to convert to float")
			}
			return mismatchErr(t, v)
		}
		if dst.OverflowFloat(f) {
			return overflowErr(t, v, strconv.FormatFloat(f, 'g', -1, 64)+" does not fit")
		}
		dst.SetFloat(f)
		return nil
	}
}

func bigDecoder(t reflect.Type) decoder {
	return func(v any, dst reflect.Value) *ConvertError {
		var b *big.Int
		switch x := v.(type) {
		case *big.Int:
			b = new(big.Int).Set(x)
		case int64:
			b = big.NewInt(x)
		case bool:
			n, _ := AsInt64(x)
			b = big.NewInt(n)
		case nil:
			if t == bigPtrType {
				dst.SetZero()
				return nil
			}
			return mismatchErr(t, v)
		default:
			return mismatchErr(t, v)
		}
		if t == bigType {
			dst.Set(reflect.ValueOf(b).Elem())
		} else {
			dst.Set(reflect.ValueOf(b))
		}
		return nil
	}
}

// timeLayouts are the forms of Python's datetime.isoformat() and
// date.isoformat(), and RFC 3339.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

func decodeTime(v any, dst reflect.Value) *ConvertError {
	s, ok := v.(string)
	if !ok {
		return mismatchErr(timeType, v)
	}
	for _, layout := range timeLayouts {
		if tm, err := time.Parse(layout, s); err == nil {
			dst.Set(reflect.ValueOf(tm))
			return nil
		}
	}
	return &ConvertError{From: "str", To: timeType, Detail: strconv.Quote(s) + " is not ISO 8601"}
}

// decodeDuration takes seconds, as FromGo writes a time.Duration and Pyro4
// a timedelta's total_seconds().
func decodeDuration(v any, dst reflect.Value) *ConvertError {
	if n, ok := v.(int64); ok {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return overflowErr(durationType, v, strconv.FormatInt(n, 10)+" seconds do not fit")
		}
		dst.SetInt(n * int64(time.Second))
		return nil
	}
	f, ok := AsFloat(v)
	if !ok || math.IsNaN(f) {
		return mismatchErr(durationType, v)
	}
	if math.Abs(f*1e9) > math.MaxInt64 {
		return overflowErr(durationType, v, strconv.FormatFloat(f, 'g', -1, 64)+" seconds do not fit")
	}
	dst.SetInt(int64(f * 1e9))
	return nil
}

// bytesDecoder accepts bytes, serpent's dict form of them, and a sequence
// of ints (json has no bytes).
func bytesDecoder(t reflect.Type) decoder {
	asSlice := sliceDecoder(t)
	return func(v any, dst reflect.Value) *ConvertError {
		var b []byte
		switch x := v.(type) {
		case nil:
			dst.SetZero()
			return nil
		case []byte, *Dict:
			var ok bool
			if b, ok = AsBytes(x); !ok {
				return mismatchErr(t, v)
			}
		case []any, Tuple, Set:
			return asSlice(v, dst)
		default:
			return mismatchErr(t, v)
		}
		dst.SetBytes(b)
		return nil
	}
}

func sliceDecoder(t reflect.Type) decoder {
	elem := t.Elem()
	return func(v any, dst reflect.Value) *ConvertError {
		if v == nil {
			dst.SetZero()
			return nil
		}
		items, ok := seqItems(v)
		if !ok {
			return mismatchErr(t, v)
		}
		dec := decoderFor(elem)
		out := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			if err := dec(it, out.Index(i)); err != nil {
				return err.under("[" + strconv.Itoa(i) + "]")
			}
		}
		dst.Set(out)
		return nil
	}
}

func arrayDecoder(t reflect.Type) decoder {
	elem := t.Elem()
	return func(v any, dst reflect.Value) *ConvertError {
		items, ok := seqItems(v)
		if !ok {
			return mismatchErr(t, v)
		}
		if len(items) != t.Len() {
			return &ConvertError{From: TypeName(v), To: t, Detail: fmt.Sprintf("%d items, not %d", len(items), t.Len())}
		}
		dec := decoderFor(elem)
		for i, it := range items {
			if err := dec(it, dst.Index(i)); err != nil {
				return err.under("[" + strconv.Itoa(i) + "]")
			}
		}
		return nil
	}
}

func mapDecoder(t reflect.Type) decoder {
	key, elem := t.Key(), t.Elem()
	return func(v any, dst reflect.Value) *ConvertError {
		if v == nil {
			dst.SetZero()
			return nil
		}
		d, ok := v.(*Dict)
		if !ok {
			return mismatchErr(t, v)
		}
		if dst.IsNil() {
			dst.Set(reflect.MakeMapWithSize(t, d.Len()))
		}
		kdec, edec := decoderFor(key), decoderFor(elem)
		for _, it := range d.Items() {
			kv := reflect.New(key).Elem()
			if err := decodeKey(kdec, it.Key, kv); err != nil {
				return err.under(" key " + reprKey(it.Key))
			}
			if !kv.Comparable() {
				return &ConvertError{From: TypeName(it.Key), To: key, Path: " key " + reprKey(it.Key), Detail: "unhashable in Go"}
			}
			ev := reflect.New(elem).Elem()
			if err := edec(it.Value, ev); err != nil {
				return err.under("[" + reprKey(it.Key) + "]")
			}
			dst.SetMapIndex(kv, ev)
		}
		return nil
	}
}

// decodeKey decodes a dict key. json can only send text keys, so a str
// that fails as such is parsed as the number or bool the Go key wants.
func decodeKey(dec decoder, k any, dst reflect.Value) *ConvertError {
	err := dec(k, dst)
	s, isStr := k.(string)
	if err == nil || !isStr {
		return err
	}
	var parsed any
	switch dst.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return err
		}
		parsed = Int(b)
	case reflect.Float32, reflect.Float64:
		f, perr := strconv.ParseFloat(s, 64)
		if perr != nil {
			return err
		}
		parsed = f
	case reflect.Bool:
		switch s {
		case "true":
			parsed = true
		case "false":
			parsed = false
		default:
			return err
		}
	default:
		return err
	}
	return dec(parsed, dst)
}

// setOrMapDecoder fills a map[K]struct{} or map[K]bool from a set (or,
// since json has no sets, a list or tuple) as well as from a dict.
func setOrMapDecoder(t reflect.Type) decoder {
	asMap := mapDecoder(t)
	key := t.Key()
	present := reflect.New(t.Elem()).Elem()
	if t.Elem().Kind() == reflect.Bool {
		present.SetBool(true)
	}
	return func(v any, dst reflect.Value) *ConvertError {
		items, ok := seqItems(v)
		if !ok {
			return asMap(v, dst)
		}
		if dst.IsNil() {
			dst.Set(reflect.MakeMapWithSize(t, len(items)))
		}
		kdec := decoderFor(key)
		for i, it := range items {
			kv := reflect.New(key).Elem()
			if err := kdec(it, kv); err != nil {
				return err.under("[" + strconv.Itoa(i) + "]")
			}
			if !kv.Comparable() {
				return &ConvertError{From: TypeName(it), To: key, Path: "[" + strconv.Itoa(i) + "]", Detail: "unhashable in Go"}
			}
			dst.SetMapIndex(kv, present)
		}
		return nil
	}
}

func structDecoder(t reflect.Type) decoder {
	return func(v any, dst reflect.Value) *ConvertError {
		d, ok := v.(*Dict)
		if !ok {
			return mismatchErr(t, v)
		}
		for _, it := range d.Items() {
			name, ok := it.Key.(string)
			if !ok {
				return &ConvertError{From: "dict", To: t, Detail: "key " + reprKey(it.Key) + " is not a str"}
			}
			idx, ok := StructFieldIndex(t, name)
			if !ok {
				continue
			}
			f, ok := StructField(dst, idx)
			if !ok {
				return &ConvertError{From: TypeName(it.Value), To: t, Path: "[" + reprKey(name) + "]",
					Detail: "field is behind an unexported embedded pointer"}
			}
			if err := decoderFor(f.Type())(it.Value, f); err != nil {
				return err.under("[" + reprKey(name) + "]")
			}
		}
		return nil
	}
}

// reprKey renders a dict key for a path, as Python shows it.
func reprKey(k any) string {
	switch x := k.(type) {
	case string:
		return "'" + x + "'"
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case Tuple:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = reprKey(e)
		}
		if len(x) == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprint(k)
}
