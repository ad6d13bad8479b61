package serial

import (
	"bytes"
	"testing"
)

// FuzzMsgpackDecode checks that neither generation's decoder panics, that
// what it accepts re-encodes, and that the re-encoding is stable (decoding
// and encoding it again gives the same bytes). Seeds: every payload the
// real Pyro4 and Pyro5 wrote in testdata/msgpack.
func FuzzMsgpackDecode(f *testing.F) {
	for _, gen := range []string{"pyro4", "pyro5"} {
		for _, b := range readMsgpackGolden(f, gen) {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range []Codec{Msgpack, Msgpack5} {
			var call Call
			_ = c.UnmarshalCall(b, &call)
			v, err := c.Unmarshal(b)
			if err != nil {
				continue
			}
			out, err := c.Marshal(nil, v, nil)
			if err != nil {
				t.Fatalf("%s: Marshal(%#v) of decoded %x: %v", c.Name(), v, b, err)
			}
			v2, err := c.Unmarshal(out)
			if err != nil {
				t.Fatalf("%s: re-encoded %x does not decode: %v", c.Name(), out, err)
			}
			out2, err := c.Marshal(nil, v2, nil)
			if err != nil || !bytes.Equal(out, out2) {
				t.Fatalf("%s: unstable encoding:\n%x\n%x (%v)", c.Name(), out, out2, err)
			}
		}
	})
}
