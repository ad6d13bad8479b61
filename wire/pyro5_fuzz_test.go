package wire

import (
	"bytes"
	"testing"
)

var fuzzOptions5 = []*Options{
	nil,
	{MaxMessageSize: 300, MaxInflatedSize: 1 << 16},
}

// FuzzParse5 checks that Parse5 never panics, that a frame it accepts
// needs all of its bytes, and that the message re-encodes to a frame that
// parses to the same message (byte for byte when it was not compressed).
// The seed corpus is every Pyro5 golden frame.
func FuzzParse5(f *testing.F) {
	for _, b := range goldenFiles5(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, opts := range fuzzOptions5 {
			fuzzOne5(t, b, opts)
		}
		if _, err := DetectProtocol(b); err == nil && len(b) >= HeaderSize5 {
			// Reach the body checks past a mutated magic number too.
			fixed := bytes.Clone(b)
			fixed[4], fixed[5], fixed[38], fixed[39] = 0x01, 0xf6, 0x4d, 0xc5
			fuzzOne5(t, fixed, nil)
		}
	})
}

func fuzzOne5(t *testing.T, b []byte, opts *Options) {
	m, n, err := Parse5(b, opts)
	if err != nil || n == 0 {
		if n != 0 && (n < HeaderSize5 || n > len(b)) {
			t.Fatalf("error %v with n = %d of %d", err, n, len(b))
		}
		return
	}
	if n < HeaderSize5 || n > len(b) {
		t.Fatalf("n = %d of %d", n, len(b))
	}
	if m2, k, err := Parse5(b[:n-1], opts); k != 0 || err != nil || m2.Type != 0 {
		t.Fatalf("prefix of %d bytes: n = %d, err %v; want need-more", n-1, k, err)
	}
	compressed := m.Flags&Flag5Compressed != 0
	out, err := Append5(nil, &m, &Options{Compress: compressed})
	if err != nil {
		t.Fatalf("Append5(%+v): %v", m, err)
	}
	back, k, err := Parse5(out, nil)
	if err != nil || k != len(out) {
		t.Fatalf("re-encoded frame: n = %d of %d, err %v", k, len(out), err)
	}
	if back.Type != m.Type || back.Seq != m.Seq || back.SerializerID != m.SerializerID || back.CorrID != m.CorrID ||
		!bytes.Equal(back.Data, m.Data) || len(back.Annotations) != len(m.Annotations) {
		t.Fatalf("re-encoded message differs:\n got %+v\nwant %+v", back, m)
	}
	for i, a := range m.Annotations {
		if back.Annotations[i].Key != a.Key || !bytes.Equal(back.Annotations[i].Value, a.Value) {
			t.Fatalf("annotation %d: got %q want %q", i, back.Annotations[i], a)
		}
	}
	if !compressed && b[36] == 0 && b[37] == 0 && !bytes.Equal(out, b[:n]) {
		t.Fatalf("re-encoding changed the frame:\n got %x\nwant %x", out, b[:n])
	}
}
