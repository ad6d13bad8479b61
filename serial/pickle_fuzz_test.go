package serial

import (
	"encoding/hex"
	"math"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

// FuzzPickleDecode checks that the pickle decoder never panics or hangs on
// any input, that what it accepts re-encodes, that gyro's own encoding
// decodes again, and that the rewrite 32-bit platforms decode through
// (rewriteLongs) means the same. Seeds: the real Pyro4 payloads in
// testdata/pickle, including the one that would run os.system.
func FuzzPickleDecode(f *testing.F) {
	for _, b := range readPickleGolden(f) {
		f.Add(b)
	}
	f.Add([]byte("c__builtin__\neval\n(S'1'\ntR."))
	for _, tt := range longPickles {
		b, _ := hex.DecodeString(tt.hex)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var call Call
		_ = Pickle.UnmarshalCall(b, &call)
		v, err := Pickle.Unmarshal(b)
		if err != nil {
			return
		}
		if r := rewriteLongs(b); &r[0] != &b[0] {
			if w, err := Pickle.Unmarshal(r); err != nil || !sameDecoded(w, v) {
				t.Fatalf("%x decodes to %#v, rewritten for 32 bits to %#v (%v)", b, v, w, err)
			}
		}
		out, err := Pickle.Marshal(nil, v, nil)
		if err != nil {
			t.Fatalf("Marshal(%#v) of decoded %x: %v", v, b, err)
		}
		if _, err := Pickle.Unmarshal(out); err != nil {
			t.Fatalf("gyro's pickle %x of %#v does not decode: %v", out, v, err)
		}
	})
}

// sameDecoded reports whether two decodes of one payload are the same
// value: sets in any order (gopickle keeps them in Go maps), a NaN equal to
// itself, the rest as sameMsgpackValue.
func sameDecoded(a, b any) bool {
	elems := func(x, y []any) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameDecoded(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case pyval.Tuple:
		y, ok := b.(pyval.Tuple)
		return ok && elems(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && elems(x, y)
	case pyval.Set:
		y, ok := b.(pyval.Set)
		if !ok || len(x) != len(y) {
			return false
		}
		for _, e := range x {
			found := false
			for _, f := range y {
				if found = sameDecoded(e, f); found {
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	case *pyval.Dict:
		y, ok := b.(*pyval.Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		xi, yi := x.Items(), y.Items()
		for i := range xi {
			if !sameDecoded(xi[i].Key, yi[i].Key) || !sameDecoded(xi[i].Value, yi[i].Value) {
				return false
			}
		}
		return true
	}
	return sameMsgpackValue(a, b)
}
