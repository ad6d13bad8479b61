package pyval

// Equal reports whether two model values are equal as Python's == would say:
// for the types that can be dict keys or set members as KeyEqual does
// (1 == 1.0 == True == 1+0j, a NaN equals nothing), and structurally for the
// rest (lists, dicts, sets, URIs, exceptions).
func Equal(a, b any) bool {
	switch x := a.(type) {
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
	case URI:
		y, ok := b.(URI)
		return ok && x == y
	case *Exception:
		y, ok := b.(*Exception)
		return ok && x.Class == y.Class && equalSlices(x.Args, y.Args)
	}
	return KeyEqual(a, b) // str, bytes, None, numbers
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

// Contains reports whether the set has an element equal to v.
func (s Set) Contains(v any) bool {
	for _, e := range s {
		if Equal(e, v) {
			return true
		}
	}
	return false
}
