package pyval

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"
)

func bigInt(s string) *big.Int {
	x, ok := new(big.Int).SetString(s, 0)
	if !ok {
		panic(s)
	}
	return x
}

// keyValues are hashable values with Python's verdict on which are equal:
// values with the same group number are ==, all others are not (group -1:
// equal to nothing, NaN).
var keyValues = []struct {
	v     any
	group int
}{
	{int64(1), 1}, {true, 1}, {1.0, 1}, {complex(1, 0), 1}, {bigInt("1"), 1},
	{int64(0), 0}, {false, 0}, {0.0, 0}, {math.Copysign(0, -1), 0}, {complex(0, 0), 0},
	{int64(-1), 2}, {-1.0, 2},
	{1.5, 3}, {complex(1.5, 0), 3},
	{complex(1, 2), 4},
	{complex(1, -2), 5},
	{math.Inf(1), 6}, {complex(math.Inf(1), 0), 6},
	{math.Inf(-1), 7},
	{bigInt("9007199254740993"), 8}, {int64(9007199254740993), 8}, // 2**53+1: no float equals it
	{9007199254740992.0, 9}, {int64(9007199254740992), 9},
	{bigInt("0x10000000000000000"), 10}, {18446744073709551616.0, 10}, // 2**64
	{bigInt("-0x8000000000000000"), 11}, {int64(math.MinInt64), 11}, {-9223372036854775808.0, 11},
	{"1", 12},
	{"", 13},
	{[]byte("1"), 14},
	{[]byte{}, 15},
	{nil, 16},
	{Tuple{}, 17},
	{Tuple{int64(1), "a"}, 18}, {Tuple{1.0, "a"}, 18}, {Tuple{true, "a"}, 18},
	{Tuple{"a", int64(1)}, 19},
	{Tuple{Tuple{int64(2)}}, 20}, {Tuple{Tuple{2.0}}, 20},
	{Set{int64(1), int64(2)}, 21}, {Set{2.0, true}, 21}, // frozensets: order does not matter
	{Set{int64(1)}, 22},
	{math.NaN(), -1}, {complex(math.NaN(), 0), -1}, {complex(0, math.NaN()), -1}, {Tuple{math.NaN()}, -1},
}

func TestKeyEqual(t *testing.T) {
	for i, a := range keyValues {
		for j, b := range keyValues {
			want := a.group >= 0 && a.group == b.group
			if got := KeyEqual(a.v, b.v); got != want {
				t.Errorf("KeyEqual(%#v, %#v) = %v, want %v", a.v, b.v, got, want)
			}
			ka, oka := AppendKey(nil, a.v)
			kb, okb := AppendKey(nil, b.v)
			if got := oka && okb && bytes.Equal(ka, kb); got != want {
				t.Errorf("AppendKey(%#v) = %q, %v; AppendKey(%#v) = %q, %v; want same: %v", a.v, ka, oka, b.v, kb, okb, want)
			}
			if (a.group >= 0) != oka {
				t.Errorf("AppendKey(%#v) ok = %v", a.v, oka)
			}
			// Equal agrees with KeyEqual on keys.
			if got := Equal(a.v, b.v); got != want {
				t.Errorf("Equal(%#v, %#v) = %v, want %v", a.v, b.v, got, want)
			}
			var x KeyIndex
			x.Add(a.v, i)
			if got, ok := x.Find(b.v); ok != want || ok && got != i {
				t.Errorf("KeyIndex with %#v: Find(%#v) = %d, %v; want %v", a.v, b.v, got, ok, want)
			}
			_ = j
		}
	}
}

func TestKeyUnhashable(t *testing.T) {
	for _, v := range []any{[]any{}, NewDict(0), Tuple{[]any{}}, URI{}} {
		if Hashable(v) {
			t.Errorf("Hashable(%#v)", v)
		}
		if _, ok := AppendKey(nil, v); ok {
			t.Errorf("AppendKey(%#v) ok", v)
		}
		if KeyEqual(v, v) {
			t.Errorf("KeyEqual(%#v, itself)", v)
		}
	}
	for _, v := range keyValues {
		if _, isSet := v.v.(Set); Hashable(v.v) == isSet {
			t.Errorf("Hashable(%#v) = %v", v.v, !isSet)
		}
	}
}

// TestDictKeys checks Dict's Python semantics, for small and large dicts.
func TestDictKeys(t *testing.T) {
	for _, n := range []int{3, indexFrom, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := NewDict(0)
			for i := range n {
				d.Set(int64(i), "int")
				d.Set(fmt.Sprint(i), "str")
			}
			d.Set(1.0, "float") // replaces the value of 1, keeps the key
			d.Set(true, "bool") // the same key again
			d.Set(complex(2, 0), "complex")
			d.Set(math.NaN(), "nan") // a new key every time
			d.Set(math.NaN(), "nan")
			if d.Len() != 2*n+2 {
				t.Fatalf("Len = %d, want %d", d.Len(), 2*n+2)
			}
			if k := d.Items()[1*2].Key; k != int64(1) {
				t.Errorf("key 1 is %#v, want int64(1)", k)
			}
			for key, want := range map[any]any{int64(1): "bool", 2.0: "complex", "1": "str", false: "int"} {
				if v, ok := d.Get(key); !ok || v != want {
					t.Errorf("Get(%#v) = %v, %v; want %v", key, v, ok, want)
				}
			}
			if _, ok := d.Get(math.NaN()); ok {
				t.Error("Get(NaN) found a key")
			}
			if !d.Delete(0.0) || d.Delete(false) {
				t.Error("Delete(0.0) then Delete(false) did not remove key 0 exactly once")
			}
			d.Set(int64(n+1), "new")
			if v, _ := d.Get(float64(n + 1)); v != "new" {
				t.Errorf("after Delete and Set: Get(%d.0) = %v", n+1, v)
			}
			if v, _ := d.Get("0"); v != "str" {
				t.Errorf("after Delete: Get(\"0\") = %v", v)
			}
		})
	}
}

func TestAddItemAddElem(t *testing.T) {
	// A surrounding dict's items sit below base and are not looked at.
	items := []Item{{"outer", 0}}
	var idx *KeyIndex
	for i := range 20 {
		items = AddItem(items, 1, &idx, float64(i%10), i)
	}
	items = AddItem(items, 1, &idx, "outer", "inner")
	if len(items) != 12 || items[1].Key != 0.0 || items[1].Value != 10 || items[11].Value != "inner" {
		t.Fatalf("items = %v", items)
	}
	elems := []any{"outer"}
	var sidx *KeyIndex
	for i := range 20 {
		var added bool
		elems, added = AddElem(elems, 1, &sidx, int64(i%10))
		if added != (i < 10) {
			t.Fatalf("AddElem(%d) added = %v", i%10, added)
		}
	}
	if elems, added := AddElem(elems, 1, &sidx, true); added || len(elems) != 11 {
		t.Fatalf("AddElem(True) added %v, %d elems", added, len(elems))
	}
}

// fuzzValue builds a hashable value from b, returning the rest of b.
func fuzzValue(b []byte, depth int) (any, []byte) {
	if len(b) == 0 {
		return nil, b
	}
	op, b := b[0], b[1:]
	take := func(n int) []byte {
		n = min(n, len(b))
		out := b[:n]
		b = b[n:]
		return out
	}
	u64 := func() uint64 {
		var v uint64
		for _, c := range take(8) {
			v = v<<8 | uint64(c)
		}
		return v
	}
	small := func() float64 { return float64(int8(u64())) / 2 } // often integral, often equal across kinds
	switch op % 12 {
	case 0:
		return nil, b
	case 1:
		return op&0x80 != 0, b
	case 2:
		return int64(int8(u64())), b
	case 3:
		return int64(u64()), b
	case 4:
		return small(), b
	case 5:
		return math.Float64frombits(u64()), b
	case 6:
		return complex(small(), float64(op>>7)), b
	case 7:
		x := new(big.Int).SetBytes(take(9))
		if op&0x80 != 0 {
			x.Neg(x)
		}
		return x, b // not always normalized to int64: KeyEqual must not care
	case 8:
		return string(take(int(op>>4) % 4)), b
	case 9:
		return take(int(op>>4) % 4), b
	case 10, 11:
		if depth > 3 {
			return nil, b
		}
		var t Tuple
		for range int(op>>4) % 3 {
			var v any
			v, b = fuzzValue(b, depth+1)
			t = append(t, v)
		}
		if op%12 == 11 { // a frozenset: distinct elements
			var s Set
			for _, v := range t {
				if !slices.ContainsFunc(s, func(e any) bool { return KeyEqual(e, v) }) {
					s = append(s, v)
				}
			}
			return s, b
		}
		return t, b
	}
	return nil, b
}

// FuzzKeyEqual checks that KeyEqual, AppendKey and KeyIndex agree, so the
// decoders' linear scans and their indexes find the same duplicates.
func FuzzKeyEqual(f *testing.F) {
	f.Add([]byte{2, 1, 4, 2, 6, 2})
	f.Add([]byte{7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0x1a, 2, 1, 8, 'a', 0x1a, 4, 2, 8, 'a'})
	f.Add([]byte{0x1b, 2, 3, 1, 0x1b, 2, 6, 0x81})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, rest := fuzzValue(b, 0)
		c, _ := fuzzValue(rest, 0)
		eq := KeyEqual(a, c)
		if eq != KeyEqual(c, a) {
			t.Fatalf("KeyEqual(%#v, %#v) is not symmetric", a, c)
		}
		ka, oka := AppendKey(nil, a)
		kc, okc := AppendKey(nil, c)
		if got := oka && okc && bytes.Equal(ka, kc); got != eq {
			t.Fatalf("KeyEqual(%#v, %#v) = %v, but keys %q %v, %q %v", a, c, eq, ka, oka, kc, okc)
		}
		if oka != KeyEqual(a, a) {
			t.Fatalf("%#v: AppendKey ok = %v, equal to itself %v", a, oka, !oka)
		}
		var x KeyIndex
		x.Add(a, 7)
		if i, ok := x.Find(c); ok != eq || ok && i != 7 {
			t.Fatalf("KeyIndex of %#v: Find(%#v) = %d, %v; want %v", a, c, i, ok, eq)
		}
	})
}
