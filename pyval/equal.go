package pyval

import (
	"bytes"
	"math"
	"math/big"
)

// Equal reports whether two model values are equal as Python's == would say
// for the types that can be dict keys or set members, and structurally for
// the rest. Numbers compare across int, bool and float (1 == 1.0 == True).
func Equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Tuple:
		y, ok := b.(Tuple)
		return ok && equalSlices(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && equalSlices(x, y)
	case Set:
		y, ok := b.(Set)
		if !ok || len(x) != len(y) {
			return false
		}
		for _, e := range x {
			if !y.Contains(e) {
				return false
			}
		}
		return true
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, it := range x.Items() {
			v, ok := y.Get(it.Key)
			if !ok || !Equal(it.Value, v) {
				return false
			}
		}
		return true
	case complex128:
		y, ok := b.(complex128)
		return ok && x == y
	case bool, int64, *big.Int, float64:
		return numEqual(a, b)
	case URI:
		y, ok := b.(URI)
		return ok && x == y
	case *Exception:
		y, ok := b.(*Exception)
		return ok && x.Class == y.Class && equalSlices(x.Args, y.Args)
	}
	return false
}

func equalSlices(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func numEqual(a, b any) bool {
	if ia, ok := AsInt64(a); ok {
		if ib, ok := AsInt64(b); ok {
			return ia == ib
		}
	}
	if ba, ok := a.(*big.Int); ok {
		if bb, ok := b.(*big.Int); ok {
			return ba.Cmp(bb) == 0
		}
	}
	fa, ok1 := AsFloat(a)
	fb, ok2 := AsFloat(b)
	if !ok1 || !ok2 {
		return false
	}
	if math.IsNaN(fa) || math.IsNaN(fb) {
		return false
	}
	return fa == fb
}

// Contains reports whether the set has an element equal to v.
func (s Set) Contains(v any) bool {
	for _, e := range s {
		if Equal(e, v) {
			return true
		}
	}
	return false
}
