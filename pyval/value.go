package pyval

import (
	"encoding/base64"
	"math"
	"math/big"
)

// Tuple is a Python tuple.
type Tuple []any

// Set is a Python set (or frozenset). Elements keep the order they were
// decoded or added in; the serializers write them in that order.
type Set []any

// Int returns the Python int v as the smallest Go shape: int64 when it fits,
// otherwise v itself.
func Int(v *big.Int) any {
	if v.IsInt64() {
		return v.Int64()
	}
	return v
}

// AsInt64 reports v as an int64 when v is a Python int (or bool) that fits.
func AsInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), true
		}
	}
	return 0, false
}

// AsFloat reports v as a float64 when v is a Python int, bool or float, as
// Python's float() would for a number.
func AsFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, !math.IsInf(f, 0)
	}
	return 0, false
}

// AsBytes reports v as bytes: a []byte as it is, or the dict serpent sends
// bytes as, {'data': <base64 str>, 'encoding': 'base64'}, decoded (what
// serpent.tobytes does in Python).
func AsBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case *Dict:
		if x.Len() != 2 {
			return nil, false
		}
		enc, _ := x.Get("encoding")
		data, _ := x.Get("data")
		s, ok := data.(string)
		if enc != "base64" || !ok {
			return nil, false
		}
		b, err := base64.StdEncoding.DecodeString(s)
		return b, err == nil
	}
	return nil, false
}

// TypeName returns the Python type name of a model value, for error messages
// in Python's own words ("expected str, got int").
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case complex128:
		return "complex"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case Tuple:
		return "tuple"
	case []any:
		return "list"
	case Set:
		return "set"
	case *Dict:
		return "dict"
	case URI, *URI:
		return "Pyro4.core.URI"
	case ProxyRef, *ProxyRef:
		return "Pyro4.core.Proxy"
	case *Exception:
		return "Exception"
	}
	return "object"
}

// Truthy is Python's bool(v) for model values: None, zeros and empty
// containers are false, everything else is true.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case *big.Int:
		return x.Sign() != 0
	case float64:
		return x != 0
	case complex128:
		return x != 0
	case string:
		return x != ""
	case []byte:
		return len(x) > 0
	case Tuple:
		return len(x) > 0
	case []any:
		return len(x) > 0
	case Set:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case *Dict:
		return x.Len() > 0
	}
	return true
}

// Iterate returns the items Python's iter() gives for a model value: the
// elements of a sequence or set, the keys of a dict, the characters of a
// str, the ints of a bytes. ok is false for a value Python cannot iterate.
func Iterate(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case Tuple:
		return x, true
	case Set:
		return x, true
	case *Dict:
		out := make([]any, 0, x.Len())
		for _, it := range x.Items() {
			out = append(out, it.Key)
		}
		return out, true
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, true
	case []byte:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = int64(c)
		}
		return out, true
	}
	return nil, false
}
