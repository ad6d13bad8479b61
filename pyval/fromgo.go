package pyval

import (
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Valuer lets a Go type choose its own Python form.
type Valuer interface {
	PyValue() (any, error)
}

// FromGo converts a Go value into the model. Values already in the model are
// returned as they are (containers are not walked: their elements are
// converted by the serializer as it meets them). Other values convert as:
//
//	int/uint kinds        int64 (*big.Int above MaxInt64)
//	float32, complex64    float64, complex128
//	named string kinds    string
//	[]T, [N]T             []any
//	map[K]V               *Dict, keys sorted for a stable encoding
//	struct                *Dict of exported fields, named by the `pyro`
//	                      tag, else the `json` tag, else SnakeCase(field);
//	                      tag "-" skips a field
//	pointer, interface    what they point at (nil is None)
//	time.Time             ISO 8601 text, as Python's datetime.isoformat()
//	time.Duration         float seconds, as Pyro4 sends a timedelta
//	Valuer                PyValue()
//	error                 *Exception (builtins.Exception) unless it is one
//
// Functions, channels and unsafe pointers are a SerializeError.
func FromGo(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, []byte, complex128, *big.Int,
		Tuple, []any, Set, *Dict, ClassDicter:
		return v, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case big.Int:
		return Int(&x), nil
	case time.Time:
		return x.Format("2006-01-02T15:04:05.000000"), nil
	case time.Duration:
		return x.Seconds(), nil
	case Valuer:
		return x.PyValue()
	case error:
		return &Exception{Class: ClassException, Args: Tuple{x.Error()}}, nil
	}
	return fromReflect(reflect.ValueOf(v))
}

func fromReflect(rv reflect.Value) (any, error) {
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > 1<<63-1 {
			return new(big.Int).SetUint64(u), nil
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Complex64, reflect.Complex128:
		return rv.Complex(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Slice:
		if rv.IsNil() {
			return nil, nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes(), nil
		}
		fallthrough
	case reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, nil
	case reflect.Map:
		if rv.IsNil() {
			return nil, nil
		}
		keys := rv.MapKeys()
		sortKeys(keys)
		d := NewDict(len(keys))
		for _, k := range keys {
			kv, err := FromGo(k.Interface())
			if err != nil {
				return nil, err
			}
			d.Append(kv, rv.MapIndex(k).Interface())
		}
		return d, nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return FromGo(rv.Elem().Interface())
	case reflect.Struct:
		fields := structFields(rv.Type())
		d := NewDict(len(fields))
		for _, f := range fields {
			d.Append(f.name, rv.FieldByIndex(f.index).Interface())
		}
		return d, nil
	}
	return nil, NewException(ClassSerializeError, fmt.Sprintf("don't know how to serialize %s", rv.Type()))
}

func sortKeys(keys []reflect.Value) {
	if len(keys) < 2 {
		return
	}
	switch keys[0].Kind() {
	case reflect.String:
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		sort.Slice(keys, func(i, j int) bool { return keys[i].Int() < keys[j].Int() })
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		sort.Slice(keys, func(i, j int) bool { return keys[i].Uint() < keys[j].Uint() })
	}
}

type field struct {
	name  string
	index []int
}

var structCache sync.Map // reflect.Type -> []field; computed once per type

// structFields lists the exported fields of t with their Python names.
func structFields(t reflect.Type) []field {
	if f, ok := structCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for _, sf := range reflect.VisibleFields(t) {
		if !sf.IsExported() || sf.Anonymous {
			continue
		}
		name := SnakeCase(sf.Name)
		if tag, ok := sf.Tag.Lookup("pyro"); ok {
			name, _, _ = strings.Cut(tag, ",")
		} else if tag, ok := sf.Tag.Lookup("json"); ok {
			if n, _, _ := strings.Cut(tag, ","); n != "" {
				name = n
			}
		}
		if name == "-" {
			continue
		}
		out = append(out, field{name, sf.Index})
	}
	structCache.Store(t, out)
	return out
}

// StructFieldIndex returns the field index path of the exported field of
// struct type t whose Python name is name (see FromGo), for decoding a dict
// into a struct.
func StructFieldIndex(t reflect.Type, name string) ([]int, bool) {
	for _, f := range structFields(t) {
		if f.name == name {
			return f.index, true
		}
	}
	return nil, false
}

// StructField is v.FieldByIndex(index) for an index from StructFieldIndex
// that allocates the nil embedded pointers on the way, as decoding into a
// struct must; false when the field cannot be set (it lies behind an
// unexported embedded pointer, or v is not addressable).
func StructField(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, v.CanSet()
}

// SnakeCase maps a Go identifier to the Python name gyro exposes it under:
// "OnewayEcho" -> "oneway_echo", "URIFor" -> "uri_for", "Echo2" -> "echo2",
// "HTTPServer" -> "http_server", "ID" -> "id".
func SnakeCase(s string) string {
	r := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 {
				prev := r[i-1]
				nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
