package serial

import "testing"

// FuzzPickleDecode checks that the pickle decoder never panics or hangs on
// any input, that what it accepts re-encodes, and that gyro's own encoding
// decodes again. Seeds: the real Pyro4 payloads in testdata/pickle,
// including the one that would run os.system.
func FuzzPickleDecode(f *testing.F) {
	for _, b := range readPickleGolden(f) {
		f.Add(b)
	}
	f.Add([]byte("c__builtin__\neval\n(S'1'\ntR."))
	f.Fuzz(func(t *testing.T, b []byte) {
		var call Call
		_ = Pickle.UnmarshalCall(b, &call)
		v, err := Pickle.Unmarshal(b)
		if err != nil {
			return
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
