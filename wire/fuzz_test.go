package wire

import (
	"bytes"
	"testing"
)

// fuzzOptions are the receiver configurations every input is parsed with.
var fuzzOptions = []*Options{
	nil,
	{HMACKey: secret},
	{MaxMessageSize: 300, MaxInflatedSize: 1 << 16},
}

// FuzzParse checks that Parse never panics, that a frame it accepts needs
// all of its bytes, and that the message re-encodes to a frame that parses
// to the same message (byte for byte when nothing forces a change).
func FuzzParse(f *testing.F) {
	for _, b := range goldenFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, opts := range fuzzOptions {
			fuzzOne(t, b, opts)
		}
		// Most mutations only break the checksum; fixing it up lets them
		// reach the length, annotation, HMAC and zlib code.
		if len(b) >= HeaderSize {
			fixed := withChecksum(bytes.Clone(b))
			for _, opts := range fuzzOptions {
				fuzzOne(t, fixed, opts)
			}
		}
	})
}

func fuzzOne(t *testing.T, b []byte, opts *Options) {
	m, n, err := Parse(b, opts)
	if err != nil || n == 0 {
		if n != 0 && (n < HeaderSize || n > len(b)) {
			t.Fatalf("error %v with n = %d of %d", err, n, len(b))
		}
		return
	}
	if n < HeaderSize || n > len(b) {
		t.Fatalf("n = %d of %d", n, len(b))
	}
	if m2, k, err := Parse(b[:n-1], opts); k != 0 || err != nil || m2.Type != 0 {
		t.Fatalf("prefix of %d bytes: n = %d, err %v; want need-more", n-1, k, err)
	}
	var key []byte
	if opts != nil {
		key = opts.HMACKey
	}
	compressed := m.Flags&FlagCompressed != 0
	out, err := Append(nil, &m, &Options{HMACKey: key, Compress: compressed})
	if err != nil {
		t.Fatalf("Append(%+v): %v", m, err)
	}
	back, k, err := Parse(out, &Options{HMACKey: key})
	if err != nil || k != len(out) {
		t.Fatalf("re-encoded frame: n = %d of %d, err %v", k, len(out), err)
	}
	if !sameIgnoringHMAC(&back, &m) {
		t.Fatalf("re-encoded message differs:\n got %+v\nwant %+v", back, m)
	}
	if !compressed && canonical(&m, key != nil) && b[20] == 0 && b[21] == 0 && !bytes.Equal(out, b[:n]) {
		t.Fatalf("re-encoding changed the frame:\n got %x\nwant %x", out, b[:n])
	}
}

// sameIgnoringHMAC is sameMessage, except that the HMAC value only has to
// be present on both: re-compressing changes the payload it covers.
func sameIgnoringHMAC(a, b *Message) bool {
	_, ha := a.Annotation(hmacKey)
	_, hb := b.Annotation(hmacKey)
	strip := func(m *Message) *Message {
		c := *m
		c.Annotations = nil
		for _, x := range m.Annotations {
			if x.Key != hmacKey {
				c.Annotations = append(c.Annotations, x)
			}
		}
		return &c
	}
	return ha == hb && sameMessage(strip(a), strip(b))
}

// canonical reports whether Append writes m's annotations in the order they
// came: CORR chunks first, HMAC chunks last (at most one when re-signing).
func canonical(m *Message, signing bool) bool {
	phase, macs := 0, 0
	for _, a := range m.Annotations {
		p := 1
		switch a.Key {
		case corrKey:
			p = 0
		case hmacKey:
			p = 2
			macs++
		}
		if p < phase {
			return false
		}
		phase = p
	}
	return !signing || macs <= 1
}
