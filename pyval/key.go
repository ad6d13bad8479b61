package pyval

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"slices"
	"strconv"
)

// Python's dict-key equality, in one place: Dict, Set and every decoder's
// duplicate-key check use KeyEqual, AppendKey and KeyIndex, so that
// 1 == 1.0 == True == 1+0j, 0.0 == -0.0, and a NaN equals nothing, the same
// way everywhere.

// indexFrom is the number of keys from which a dict or set being built
// gets a KeyIndex: below it a linear scan is cheaper, above it the scan
// would make building quadratic.
const indexFrom = 8

// Hashable reports whether v can be a dict key or set member: None, bool,
// int, float, complex, str, bytes, and tuples of those. A Set counts as a
// set, not a frozenset (a decoder that reads a frozenset knows it is one).
func Hashable(v any) bool {
	switch x := v.(type) {
	case nil, bool, int64, *big.Int, float64, complex128, string, []byte:
		return true
	case Tuple:
		for _, e := range x {
			if !Hashable(e) {
				return false
			}
		}
		return true
	}
	return false
}

// KeyEqual reports whether a and b are equal as dict keys, by Python's ==:
// numbers compare by value across bool, int, float and complex, str with
// str, bytes with bytes, tuples (and frozensets, held as Set) element by
// element. A NaN equals nothing, itself included: decoded values are never
// the same object, which is the only way Python finds two NaN keys equal.
// Values that cannot be keys are equal to nothing.
func KeyEqual(a, b any) bool {
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
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !KeyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case Set: // a frozenset; its elements are distinct
		y, ok := b.(Set)
		if !ok || len(x) != len(y) {
			return false
		}
		for _, e := range x {
			if !slices.ContainsFunc(y, func(f any) bool { return KeyEqual(e, f) }) {
				return false
			}
		}
		return true
	case bool, int64, *big.Int, float64, complex128:
		return numEqual(a, b)
	}
	return false
}

// numEqual is Python's == between two numbers, exact for every pair (an
// int above 2**53 is not equal to the float next to it).
func numEqual(a, b any) bool {
	ra, ia, ok := realImag(a)
	if !ok {
		return false
	}
	rb, ib, ok := realImag(b)
	if !ok {
		return false
	}
	if ia != ib { // false for a NaN too
		return false
	}
	return realEqual(ra, rb)
}

// realImag splits a number into its real part (bool, int64, *big.Int or
// float64) and its imaginary part.
func realImag(v any) (re any, im float64, ok bool) {
	switch x := v.(type) {
	case bool, int64, *big.Int, float64:
		return x, 0, true
	case complex128:
		return real(x), imag(x), true
	}
	return nil, 0, false
}

func realEqual(a, b any) bool {
	fa, aFloat := a.(float64)
	fb, bFloat := b.(float64)
	switch {
	case aFloat && bFloat:
		return fa == fb
	case aFloat:
		return floatEqualsInt(fa, b)
	case bFloat:
		return floatEqualsInt(fb, a)
	}
	if ia, ok := AsInt64(a); ok {
		ib, ok := AsInt64(b)
		return ok && ia == ib
	}
	if _, ok := AsInt64(b); ok {
		return false // a is a *big.Int outside int64, b is not
	}
	return a.(*big.Int).Cmp(b.(*big.Int)) == 0
}

// floatEqualsInt compares a float with a bool, int64 or *big.Int exactly.
func floatEqualsInt(f float64, n any) bool {
	if f != math.Trunc(f) || math.IsInf(f, 0) { // NaN included
		return false
	}
	if i, ok := AsInt64(n); ok {
		return f >= -(1<<63) && f < 1<<63 && int64(f) == i
	}
	bf, _ := new(big.Float).SetFloat64(f).Int(nil)
	return bf.Cmp(n.(*big.Int)) == 0
}

// AppendKey appends to dst a byte string that is the same for two values
// exactly when KeyEqual finds them equal. ok is false for a value that is
// equal to nothing: a NaN (or a tuple holding one) and a value that cannot
// be a key.
func AppendKey(dst []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, 'n'), true
	case string:
		dst = append(dst, 's')
		dst = binary.AppendUvarint(dst, uint64(len(x)))
		return append(dst, x...), true
	case []byte:
		dst = append(dst, 'b')
		dst = binary.AppendUvarint(dst, uint64(len(x)))
		return append(dst, x...), true
	case bool, int64:
		n, _ := AsInt64(x)
		return appendIntKey(dst, n), true
	case *big.Int:
		dst = append(dst, 'i') // hex: linear even for a huge int
		return append(x.Append(dst, 16), ';'), true
	case float64:
		return appendFloatKey(dst, x)
	case complex128:
		if imag(x) == 0 {
			return appendFloatKey(dst, real(x))
		}
		dst = append(dst, 'c')
		if dst, ok = appendFloatKey(dst, real(x)); !ok {
			return dst, false
		}
		return appendFloatKey(dst, imag(x))
	case Tuple:
		dst = append(dst, 't')
		dst = binary.AppendUvarint(dst, uint64(len(x)))
		for _, el := range x {
			if dst, ok = AppendKey(dst, el); !ok {
				return dst, false
			}
		}
		return dst, true
	case Set: // a frozenset: its elements' keys, sorted
		keys := make([]string, len(x))
		for i, el := range x {
			k, ok := AppendKey(nil, el)
			if !ok {
				return dst, false
			}
			keys[i] = string(k)
		}
		slices.Sort(keys)
		dst = append(dst, 'F')
		dst = binary.AppendUvarint(dst, uint64(len(x)))
		for _, k := range keys {
			dst = binary.AppendUvarint(dst, uint64(len(k)))
			dst = append(dst, k...)
		}
		return dst, true
	}
	return dst, false
}

func appendIntKey(dst []byte, n int64) []byte {
	dst = append(dst, 'i')
	return append(strconv.AppendInt(dst, n, 16), ';')
}

func appendFloatKey(dst []byte, f float64) ([]byte, bool) {
	switch {
	case math.IsNaN(f):
		return dst, false
	case f == math.Trunc(f) && !math.IsInf(f, 0):
		if f >= -(1<<63) && f < 1<<63 {
			return appendIntKey(dst, int64(f)), true
		}
		bi, _ := new(big.Float).SetFloat64(f).Int(nil)
		dst = append(dst, 'i')
		return append(bi.Append(dst, 16), ';'), true
	}
	dst = append(dst, 'f')
	return append(strconv.AppendFloat(dst, f, 'g', -1, 64), ';'), true
}

// intKey maps the numbers that equal an int64 to it, for KeyIndex's
// allocation-free int map.
func intKey(k any) (int64, bool) {
	switch x := k.(type) {
	case int64, bool, *big.Int:
		return AsInt64(x)
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), true
		}
	case complex128:
		if imag(x) == 0 {
			return intKey(real(x))
		}
	}
	return 0, false
}

// KeyIndex finds, among the keys of a dict or set, the position of one
// equal (KeyEqual) to a given key, in constant time. Its zero value is
// empty and ready to use. Keys equal to nothing (NaN) are never found.
type KeyIndex struct {
	strs  map[string]int
	ints  map[int64]int
	other map[string]int
	buf   []byte
}

// Find returns the position recorded for a key equal to k.
func (x *KeyIndex) Find(k any) (int, bool) {
	if s, ok := k.(string); ok {
		i, ok := x.strs[s]
		return i, ok
	}
	if n, ok := intKey(k); ok {
		i, ok := x.ints[n]
		return i, ok
	}
	var ok bool
	if x.buf, ok = AppendKey(x.buf[:0], k); !ok {
		return 0, false
	}
	i, ok := x.other[string(x.buf)]
	return i, ok
}

// Add records k at position i, replacing what an equal key had.
func (x *KeyIndex) Add(k any, i int) {
	if s, ok := k.(string); ok {
		if x.strs == nil {
			x.strs = make(map[string]int)
		}
		x.strs[s] = i
		return
	}
	if n, ok := intKey(k); ok {
		if x.ints == nil {
			x.ints = make(map[int64]int)
		}
		x.ints[n] = i
		return
	}
	var ok bool
	if x.buf, ok = AppendKey(x.buf[:0], k); !ok {
		return
	}
	if x.other == nil {
		x.other = make(map[string]int)
	}
	x.other[string(x.buf)] = i
}

// find returns the position in s of a key equal to k, or -1: through idx
// when there is one, else by a linear scan.
func find[T any](s []T, key func(*T) any, idx *KeyIndex, k any) int {
	if idx != nil {
		if i, ok := idx.Find(k); ok {
			return i
		}
		return -1
	}
	if ks, ok := k.(string); ok { // the common case, without KeyEqual's switch
		for i := range s {
			if sk, ok := key(&s[i]).(string); ok && sk == ks {
				return i
			}
		}
		return -1
	}
	for i := range s {
		if KeyEqual(key(&s[i]), k) {
			return i
		}
	}
	return -1
}

// growIndex builds *idx from the keys of s once s has indexFrom of them.
func growIndex[T any](s []T, key func(*T) any, idx **KeyIndex) {
	if *idx != nil || len(s) < indexFrom {
		return
	}
	x := new(KeyIndex)
	for i := range s {
		x.Add(key(&s[i]), i)
	}
	*idx = x
}

func itemKey(it *Item) any { return it.Key }
func elemKey(e *any) any   { return *e }

// AddItem is how a decoder adds k: v to the dict it is building in
// items[base:] (the rest of items belongs to the dicts around it): when an
// equal key is there already its value is replaced, as a Python dict keeps
// the first key and the last value; otherwise the item is appended. *idx
// starts nil and is built once the dict is big enough to need it.
func AddItem(items []Item, base int, idx **KeyIndex, k, v any) []Item {
	its := items[base:]
	growIndex(its, itemKey, idx)
	if i := find(its, itemKey, *idx, k); i >= 0 {
		its[i].Value = v
		return items
	}
	if *idx != nil {
		(*idx).Add(k, len(its))
	}
	return append(items, Item{Key: k, Value: v})
}

// AddElem is AddItem for a set being built in elems[base:]: v is appended
// unless an equal element is there, as a Python set keeps the first of
// equal elements. It reports whether v was added.
func AddElem(elems []any, base int, idx **KeyIndex, v any) ([]any, bool) {
	es := elems[base:]
	growIndex(es, elemKey, idx)
	if find(es, elemKey, *idx, v) >= 0 {
		return elems, false
	}
	if *idx != nil {
		(*idx).Add(v, len(es))
	}
	return append(elems, v), true
}
