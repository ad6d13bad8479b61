package serial

import (
	"encoding/hex"
	"testing"
)

// FuzzPickleDecode checks that the pickle decoder never panics or hangs on
// any input, that what it accepts re-encodes, that gyro's own encoding
// decodes again, and that the rewrite 32-bit platforms decode through
// (rewriteLongs) means the same (sameValue). Seeds: the real Pyro4 payloads in
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
		if r, _ := rewriteLongs(b); &r[0] != &b[0] {
			if w, err := Pickle.Unmarshal(r); err != nil || !sameValue(w, v) {
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
