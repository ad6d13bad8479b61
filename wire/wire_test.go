package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// Section 2.4 of the fact sheet: serpent and json echo("hi") captures with
// client CORR 00112233-4455-6677-8899-aabbccddeeff.
var specCaptures = []struct {
	name    string
	dump    string
	cksum   uint16
	msg     Message
	golden  string // the same frame captured by capture.py
	dataLen int
}{
	{
		name: "serpent CONNECT",
		dump: `50 59 52 4f 00 30 00 01 00 10 00 00 00 00 00 4a
			00 01 00 16 00 00 35 8b 43 4f 52 52 00 10 00 11
			22 33 44 55 66 77 88 99 aa bb cc dd ee ff 23 20
			73 65 72 70 65 6e 74 20 75 74 66 2d 38 20 70 79
			74 68 6f 6e 33 2e 32 0a 7b 27 68 61 6e 64 73 68
			61 6b 65 27 3a 27 68 65 6c 6c 6f 27 2c 27 6f 62
			6a 65 63 74 27 3a 27 74 65 73 74 2e 65 63 68 6f
			73 65 72 76 65 72 27 7d`,
		cksum:  0x358b,
		msg:    Message{Type: MsgConnect, Flags: FlagMetaOnConnect, SerializerID: 1, Data: []byte(serpentHeader + "{'handshake':'hello','object':'test.echoserver'}")},
		golden: "serpent_connect", dataLen: 74,
	},
	{
		name: "serpent INVOKE",
		dump: `50 59 52 4f 00 30 00 04 00 00 00 01 00 00 00 3f
			00 01 00 16 00 00 35 74 43 4f 52 52 00 10 00 11
			22 33 44 55 66 77 88 99 aa bb cc dd ee ff 23 20
			73 65 72 70 65 6e 74 20 75 74 66 2d 38 20 70 79
			74 68 6f 6e 33 2e 32 0a 28 27 74 65 73 74 2e 65
			63 68 6f 73 65 72 76 65 72 27 2c 27 65 63 68 6f
			27 2c 28 27 68 69 27 2c 29 2c 7b 7d 29`,
		cksum:  0x3574,
		msg:    Message{Type: MsgInvoke, Seq: 1, SerializerID: 1, Data: []byte(serpentHeader + "('test.echoserver','echo',('hi',),{})")},
		golden: "serpent_invoke", dataLen: 63,
	},
	{
		name: "serpent RESULT",
		dump: `50 59 52 4f 00 30 00 05 00 00 00 01 00 00 00 1e
			00 01 00 16 00 00 35 54 43 4f 52 52 00 10 00 11
			22 33 44 55 66 77 88 99 aa bb cc dd ee ff 23 20
			73 65 72 70 65 6e 74 20 75 74 66 2d 38 20 70 79
			74 68 6f 6e 33 2e 32 0a 27 68 69 27`,
		cksum:  0x3554,
		msg:    Message{Type: MsgResult, Seq: 1, SerializerID: 1, Data: []byte(serpentHeader + "'hi'")},
		golden: "serpent_result", dataLen: 30,
	},
	{
		name: "json CONNECT",
		dump: `50 59 52 4f 00 30 00 01 00 10 00 00 00 00 00 33
			00 02 00 16 00 00 35 75 43 4f 52 52 00 10 00 11
			22 33 44 55 66 77 88 99 aa bb cc dd ee ff 7b 22
			68 61 6e 64 73 68 61 6b 65 22 3a 20 22 68 65 6c
			6c 6f 22 2c 20 22 6f 62 6a 65 63 74 22 3a 20 22
			74 65 73 74 2e 65 63 68 6f 73 65 72 76 65 72 22
			7d`,
		cksum:  0x3575,
		msg:    Message{Type: MsgConnect, Flags: FlagMetaOnConnect, SerializerID: 2, Data: []byte(`{"handshake": "hello", "object": "test.echoserver"}`)},
		golden: "json_connect", dataLen: 51,
	},
	{
		name: "json INVOKE",
		dump: `50 59 52 4f 00 30 00 04 00 00 00 01 00 00 00 4f
			00 02 00 16 00 00 35 85 43 4f 52 52 00 10 00 11
			22 33 44 55 66 77 88 99 aa bb cc dd ee ff 7b 22
			6f 62 6a 65 63 74 22 3a 20 22 74 65 73 74 2e 65
			63 68 6f 73 65 72 76 65 72 22 2c 20 22 6d 65 74
			68 6f 64 22 3a 20 22 65 63 68 6f 22 2c 20 22 70
			61 72 61 6d 73 22 3a 20 5b 22 68 69 22 5d 2c 20
			22 6b 77 61 72 67 73 22 3a 20 7b 7d 7d`,
		cksum:  0x3585,
		msg:    Message{Type: MsgInvoke, Seq: 1, SerializerID: 2, Data: []byte(`{"object": "test.echoserver", "method": "echo", "params": ["hi"], "kwargs": {}}`)},
		golden: "json_invoke", dataLen: 79,
	},
	{
		name: "json RESULT",
		dump: `50 59 52 4f 00 30 00 05 00 00 00 01 00 00 00 04
			00 02 00 16 00 00 35 3b 43 4f 52 52 00 10 00 11
			22 33 44 55 66 77 88 99 aa bb cc dd ee ff 22 68
			69 22`,
		cksum:  0x353b,
		msg:    Message{Type: MsgResult, Seq: 1, SerializerID: 2, Data: []byte(`"hi"`)},
		golden: "json_result", dataLen: 4,
	},
}

func TestSpecCaptures(t *testing.T) {
	for _, c := range specCaptures {
		t.Run(c.name, func(t *testing.T) {
			want := mustHex(c.dump)
			m := c.msg
			m.SetAnnotation("CORR", corr)
			got, err := Append(nil, &m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Append\n got %x\nwant %x", got, want)
			}
			if g := golden(t, c.golden); !bytes.Equal(g, want) {
				t.Errorf("%s.golden differs from the fact sheet capture", c.golden)
			}
			h, err := ParseHeader(want)
			if err != nil {
				t.Fatal(err)
			}
			if h.Checksum != c.cksum || h.DataLen != c.dataLen || h.AnnLen != 22 || h.FrameSize() != len(want) {
				t.Errorf("header %+v, want checksum %#x data %d ann 22 size %d", h, c.cksum, c.dataLen, len(want))
			}
		})
	}
}

func TestChecksumExample(t *testing.T) {
	// Section 1.2: CONNECT, serpent, flags 0x10, seq 0, data 74, annotations 22.
	h := Header{Type: MsgConnect, Flags: FlagMetaOnConnect, DataLen: 74, SerializerID: 1, AnnLen: 22}
	if got := Checksum(h); got != 0x358B {
		t.Errorf("Checksum = %#x, want 0x358b", got)
	}
	// The sum wraps at 16 bits, and a (malicious) negative data length
	// contributes its two's complement like in Pyro4.
	h = Header{Type: 0xFFFF, Flags: 0xFFFF, Seq: 0xFFFF, DataLen: -1, SerializerID: 0xFFFF, AnnLen: 0xFFFF}
	if got, want := Checksum(h), uint16((5*0xFFFF+0xFFFFFFFF+48+0x34E9)&0xFFFF); got != want {
		t.Errorf("Checksum = %#x, want %#x", got, want)
	}
}

func TestHMACVector(t *testing.T) {
	// Section 1.4.
	m := Message{Type: MsgInvoke, Seq: 1, SerializerID: 1,
		Data:        []byte(serpentHeader + "('test.echoserver','echo',('hi',),{})"),
		Annotations: []Annotation{{"CORR", corr}}}
	out, err := Append(nil, &m, &Options{HMACKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(out)
	if err != nil {
		t.Fatal(err)
	}
	if h.AnnLen != 48 || h.DataLen != 63 || h.Checksum != 0x358E {
		t.Errorf("header %+v, want ann 48, data 63, checksum 0x358e", h)
	}
	back, _, err := Parse(out, &Options{HMACKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := back.Annotation("HMAC")
	if want := mustHex("5695d26099080433a008095892adc9d5537eb12f"); !bytes.Equal(mac, want) {
		t.Errorf("HMAC = %x, want %x", mac, want)
	}
	if !bytes.Equal(out, golden(t, "hmac_invoke")) {
		t.Errorf("frame differs from hmac_invoke.golden")
	}
	// The HMAC in m is replaced, not trusted, when signing.
	m.SetAnnotation("HMAC", []byte("bogus"))
	again, err := Append(nil, &m, &Options{HMACKey: secret})
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("Append with a stale HMAC annotation = %x, %v; want %x", again, err, out)
	}
}

// frame builds a raw frame with a correct checksum unless told otherwise.
func frame(h Header, anns, data []byte) []byte {
	b := make([]byte, HeaderSize, HeaderSize+len(anns)+len(data))
	putHeader(b, h)
	b = append(b, anns...)
	return append(b, data...)
}

func chunk(key string, v []byte) []byte {
	b := append([]byte(key), 0, 0)
	binary.BigEndian.PutUint16(b[len(key):], uint16(len(v)))
	return append(b, v...)
}

func withChecksum(b []byte) []byte {
	h := Header{
		Type: MsgType(binary.BigEndian.Uint16(b[6:])), Flags: Flags(binary.BigEndian.Uint16(b[8:])),
		Seq: binary.BigEndian.Uint16(b[10:]), DataLen: int(int32(binary.BigEndian.Uint32(b[12:]))),
		SerializerID: binary.BigEndian.Uint16(b[16:]), AnnLen: int(binary.BigEndian.Uint16(b[18:])),
	}
	binary.BigEndian.PutUint16(b[22:], Checksum(h))
	return b
}

// mutate returns a copy of the serpent INVOKE golden frame changed by f.
func mutate(t testing.TB, f func(b []byte) []byte) []byte {
	return f(bytes.Clone(golden(t, "serpent_invoke")))
}

// countingReader records how much of its input was consumed.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		opts *Options
		err  error
		text string // exact error text, when Pyro4 has one
	}{
		{"bad tag", mutate(t, func(b []byte) []byte { b[0] = 'X'; return b }), nil, ErrInvalidHeader, "invalid data or unsupported protocol version"},
		{"lower-case tag", mutate(t, func(b []byte) []byte { copy(b, "pyro"); return b }), nil, ErrInvalidHeader, "invalid data or unsupported protocol version"},
		{"version 47", mutate(t, func(b []byte) []byte { b[5] = 47; return withChecksum(b) }), nil, ErrInvalidHeader, "invalid data or unsupported protocol version"},
		{"version 49", mutate(t, func(b []byte) []byte { b[5] = 49; return withChecksum(b) }), nil, ErrInvalidHeader, "invalid data or unsupported protocol version"},
		{"version 0x0130", mutate(t, func(b []byte) []byte { b[4] = 1; return b }), nil, ErrInvalidHeader, "invalid data or unsupported protocol version"},
		{"bad checksum", mutate(t, func(b []byte) []byte { b[23]++; return b }), nil, ErrChecksum, "header checksum mismatch"},
		{"field changed under checksum", mutate(t, func(b []byte) []byte { b[11]++; return b }), nil, ErrChecksum, "header checksum mismatch"},
		{"negative data length", mutate(t, func(b []byte) []byte { b[12] = 0x80; return withChecksum(b) }), nil, ErrDataLength, "invalid message size (outside range 0..2Gb)"},
		{"data length -1", mutate(t, func(b []byte) []byte { copy(b[12:], []byte{0xff, 0xff, 0xff, 0xff}); return withChecksum(b) }), nil, ErrDataLength, ""},
		{"oversize", golden(t, "serpent_invoke"), &Options{MaxMessageSize: 84}, ErrTooLarge, "max message size exceeded (85 where max=84)"},
		{"oversize huge length", mutate(t, func(b []byte) []byte { b[12] = 0x7f; return withChecksum(b) }), &Options{MaxMessageSize: 1 << 20}, ErrTooLarge, "max message size exceeded (2130706517 where max=1048576)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(how string, err error) {
				t.Helper()
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: err = %v, want %v", how, err, tt.err)
				} else if tt.text != "" && err.Error() != tt.text {
					t.Errorf("%s: err text = %q, want %q", how, err, tt.text)
				}
			}
			// Reported with only the header present, before any body bytes.
			_, n, err := Parse(tt.b[:HeaderSize], tt.opts)
			check("Parse(header)", err)
			if n != 0 {
				t.Errorf("Parse(header): n = %d, want 0", n)
			}
			_, _, err = Parse(tt.b, tt.opts)
			check("Parse", err)

			cr := &countingReader{r: bytes.NewReader(tt.b)}
			m, err := ReadMessage(cr, tt.opts)
			check("ReadMessage", err)
			if cr.n != HeaderSize {
				t.Errorf("ReadMessage consumed %d bytes, want only the header", cr.n)
			}
			if errors.Is(err, ErrTooLarge) && (m == nil || m.Type != MsgInvoke || m.Seq != 1) {
				t.Errorf("ReadMessage: oversize message header = %+v, want INVOKE seq 1", m)
			}

			d := NewDecoder(tt.opts)
			d.Feed(tt.b[:HeaderSize])
			_, err = d.Next()
			check("Decoder", err)
			d.Feed(tt.b[HeaderSize:])
			_, err2 := d.Next()
			if err2 != err {
				t.Errorf("Decoder error is not sticky: %v then %v", err, err2)
			}
		})
	}
}

func TestParseHeaderIgnoresReservedAndUnknownFlags(t *testing.T) {
	b := mutate(t, func(b []byte) []byte {
		b[20], b[21] = 0xAB, 0xCD // reserved: not checked, not in the checksum
		b[9] |= 0x80              // unknown flag
		return withChecksum(b)
	})
	m, n, err := Parse(b, nil)
	if err != nil || n != len(b) || m.Flags != 0x80 {
		t.Fatalf("Parse = flags %v, n %d, err %v", m.Flags, n, err)
	}
	out, _ := Append(nil, &m, nil)
	if out[20] != 0 || out[21] != 0 || !bytes.Equal(out[22:], b[22:]) {
		t.Errorf("re-encoded %x, want reserved 0 and the rest as %x", out, b)
	}
	if _, err := ParseHeader(b[:HeaderSize-1]); err != ErrShortHeader {
		t.Errorf("ParseHeader(23 bytes) = %v, want ErrShortHeader", err)
	}
}

func TestTruncatedNeedsMore(t *testing.T) {
	for name, f := range goldenFiles(t) {
		opts := optsFor(goldenCases[name])
		for k := 0; k < len(f); k++ {
			m, n, err := Parse(f[:k], opts)
			if n != 0 || err != nil {
				t.Fatalf("%s: Parse(%d of %d bytes) = n %d, err %v; want need-more", name, k, len(f), n, err)
			}
			if m.Type != 0 || m.Data != nil || m.Annotations != nil {
				t.Fatalf("%s: Parse(%d bytes) filled in %+v", name, k, m)
			}
		}
		if _, err := ReadMessage(bytes.NewReader(f[:len(f)-1]), opts); err != io.ErrUnexpectedEOF {
			t.Errorf("%s: ReadMessage(truncated) = %v, want io.ErrUnexpectedEOF", name, err)
		}
		if _, err := ReadMessage(bytes.NewReader(f[:5]), opts); err != io.ErrUnexpectedEOF {
			t.Errorf("%s: ReadMessage(5 bytes) = %v, want io.ErrUnexpectedEOF", name, err)
		}
	}
	if _, err := ReadMessage(bytes.NewReader(nil), nil); err != io.EOF {
		t.Errorf("ReadMessage(empty) = %v, want io.EOF", err)
	}
}

func TestAnnotationErrors(t *testing.T) {
	data := []byte("x")
	hdr := func(anns []byte) Header {
		return Header{Type: MsgResult, SerializerID: 1, AnnLen: len(anns), DataLen: len(data)}
	}
	tests := []struct {
		name string
		anns []byte
	}{
		{"chunk overruns ann_len", append(chunk("CORR", corr), chunk("XUSR", []byte("abc"))[:8]...)},
		{"value length past the end", []byte{'C', 'O', 'R', 'R', 0xff, 0xff, 1, 2}},
		{"truncated chunk header", []byte("CORR\x00")},
		{"three bytes", []byte("COR")},
		{"non-ASCII key", chunk("CO\xffR", []byte("v"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := frame(hdr(tt.anns), tt.anns, data)
			m, n, err := Parse(b, nil)
			if !errors.Is(err, ErrAnnotation) {
				t.Fatalf("Parse: err = %v, want ErrAnnotation", err)
			}
			if n != len(b) || m.Type != MsgResult {
				t.Errorf("Parse: n = %d, type %v; want the whole frame and its header", n, m.Type)
			}
			if _, err := ReadMessage(bytes.NewReader(b), nil); !errors.Is(err, ErrAnnotation) {
				t.Errorf("ReadMessage: err = %v, want ErrAnnotation", err)
			}
		})
	}
}

func TestAnnotationsLastWins(t *testing.T) {
	anns := append(append(chunk("XUSR", []byte("first")), chunk("CORR", corr)...), chunk("XUSR", []byte("second"))...)
	b := frame(Header{Type: MsgInvoke, AnnLen: len(anns), DataLen: 2}, anns, []byte("{}"))
	m, _, err := Parse(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Annotation("XUSR"); string(v) != "second" {
		t.Errorf("Annotation(XUSR) = %q, want the last one", v)
	}
	if len(m.Annotations) != 3 {
		t.Errorf("Annotations = %d entries, want all 3 in wire order", len(m.Annotations))
	}
	m.SetAnnotation("XUSR", []byte("third"))
	m.SetAnnotation("NEWK", []byte("new"))
	if v, _ := m.Annotation("XUSR"); string(v) != "third" || len(m.Annotations) != 4 {
		t.Errorf("after SetAnnotation: %+v", m.Annotations)
	}
	if _, ok := m.Annotation("NONE"); ok {
		t.Error("Annotation(NONE) found")
	}
	// Signed with duplicates: both ends agree on the last-wins values.
	out, err := Append(nil, &m, &Options{HMACKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := Parse(out, &Options{HMACKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(&back); strings.Join(got, ",") != "CORR,XUSR,XUSR,NEWK,HMAC" {
		t.Errorf("wire order = %v, want CORR first and HMAC last", got)
	}
}

func TestAppendAnnotationErrors(t *testing.T) {
	for _, a := range []Annotation{
		{"ABC", nil}, {"ABCDE", nil}, {"", nil}, {"AB\u00e9", nil}, {"ABCD", make([]byte, 0x10000)},
	} {
		m := Message{Type: MsgInvoke, Annotations: []Annotation{a}}
		dst := []byte("keep")
		out, err := Append(dst, &m, nil)
		if !errors.Is(err, ErrAnnotation) || string(out) != "keep" {
			t.Errorf("Append(key %q) = %q, %v; want dst unchanged and ErrAnnotation", a.Key, out, err)
		}
	}
	// The total must fit in the 16-bit ann_len.
	m := Message{Annotations: []Annotation{{"AAAA", make([]byte, 40000)}, {"BBBB", make([]byte, 40000)}}}
	if _, err := Append(nil, &m, nil); !errors.Is(err, ErrAnnotation) {
		t.Errorf("Append(80 kB of annotations) = %v, want ErrAnnotation", err)
	}
}

func TestHMACErrors(t *testing.T) {
	signed := golden(t, "hmac_invoke")
	unsigned := golden(t, "serpent_invoke")
	tamperedData := bytes.Clone(signed)
	tamperedData[len(tamperedData)-2] ^= 1
	tamperedCorr := bytes.Clone(signed)
	tamperedCorr[HeaderSize+6] ^= 1
	shortMAC := func() []byte {
		anns := append(chunk("CORR", corr), chunk("HMAC", []byte("short"))...)
		return frame(Header{Type: MsgInvoke, AnnLen: len(anns), DataLen: 2}, anns, []byte("{}"))
	}()
	tests := []struct {
		name  string
		b     []byte
		key   []byte
		err   error
		text  string
		typ   MsgType
		inSeq uint16
	}{
		{"tampered payload", tamperedData, secret, ErrHMACMismatch, "message hmac mismatch", MsgInvoke, 1},
		{"tampered annotation", tamperedCorr, secret, ErrHMACMismatch, "message hmac mismatch", MsgInvoke, 1},
		{"wrong key", signed, []byte("Secret"), ErrHMACMismatch, "message hmac mismatch", MsgInvoke, 1},
		{"short hmac", shortMAC, secret, ErrHMACMismatch, "message hmac mismatch", MsgInvoke, 0},
		{"signed, no key", signed, nil, ErrHMACAsymmetric, "hmac key config not symmetric", MsgInvoke, 1},
		{"unsigned, key", unsigned, secret, ErrHMACAsymmetric, "hmac key config not symmetric", MsgInvoke, 1},
		{"signed CONNECT, no key", golden(t, "hmac_connect"), nil, ErrHMACAsymmetric, "hmac key config not symmetric", MsgConnect, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &Options{HMACKey: tt.key}
			m, n, err := Parse(tt.b, opts)
			if err != tt.err || err.Error() != tt.text {
				t.Fatalf("Parse: err = %v, want %q", err, tt.text)
			}
			if n != len(tt.b) || m.Type != tt.typ || m.Seq != tt.inSeq {
				t.Errorf("Parse: n %d, %v seq %d; want the frame size and its header", n, m.Type, m.Seq)
			}
			rm, err := ReadMessage(bytes.NewReader(tt.b), opts)
			if err != tt.err || rm == nil || rm.Type != tt.typ {
				t.Errorf("ReadMessage = %+v, %v; want header and %v", rm, err, tt.err)
			}
		})
	}
	if _, _, err := Parse(signed, &Options{HMACKey: secret}); err != nil {
		t.Errorf("Parse(signed, right key) = %v", err)
	}
}

func TestCompression(t *testing.T) {
	random := make([]byte, 1000)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(random)
	tests := []struct {
		name     string
		data     []byte
		compress bool
		want     bool // compressed on the wire
	}{
		{"199 bytes", bytes.Repeat([]byte("a"), 199), true, false},
		{"200 bytes", bytes.Repeat([]byte("a"), 200), true, true},
		{"incompressible", random, true, false},
		{"compression off", bytes.Repeat([]byte("a"), 1000), false, false},
		{"empty", nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An incoming FlagCompressed means nothing to Append.
			m := Message{Type: MsgResult, Flags: FlagCompressed | FlagBatch, Seq: 9, Data: tt.data,
				Annotations: []Annotation{{"CORR", corr}}}
			opts := &Options{Compress: tt.compress}
			out, err := Append([]byte("prefix"), &m, opts)
			if err != nil {
				t.Fatal(err)
			}
			if string(out[:6]) != "prefix" {
				t.Fatalf("Append clobbered dst")
			}
			out = out[6:]
			h, err := ParseHeader(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Flags&FlagCompressed != 0; got != tt.want || h.Flags&FlagBatch == 0 {
				t.Fatalf("flags %v, want compressed=%v and BATCH kept", h.Flags, tt.want)
			}
			payload := out[HeaderSize+h.AnnLen:]
			if tt.want {
				if len(payload) >= len(tt.data) || !bytes.HasPrefix(payload, []byte{0x78, 0x9c}) {
					t.Errorf("payload %x is not a smaller zlib stream", payload)
				}
			} else if !bytes.Equal(payload, tt.data) {
				t.Errorf("payload changed without compression")
			}
			back, n, err := Parse(out, nil)
			if err != nil || n != len(out) || !bytes.Equal(back.Data, tt.data) {
				t.Errorf("Parse = %q, %d, %v; want the original data", back.Data, n, err)
			}
		})
	}
}

func TestCompressedSizeLimits(t *testing.T) {
	data := bytes.Repeat([]byte("compress me, "), 100) // 1300 bytes, deflates to far less
	m := Message{Type: MsgResult, Data: data}
	// The size limit applies to the bytes as sent: compressed, it fits.
	out, err := Append(nil, &m, &Options{Compress: true, MaxMessageSize: 100})
	if err != nil {
		t.Fatalf("Append compressed under the limit: %v", err)
	}
	_, err = Append([]byte("keep"), &m, &Options{MaxMessageSize: 1299})
	if !errors.Is(err, ErrTooLarge) || err.Error() != "max message size exceeded (1300 where max=1299)" {
		t.Errorf("Append uncompressed over the limit: %v", err)
	}
	// Inflated, it does not: MaxMessageSize bounds the payload both ways,
	// unless MaxInflatedSize says otherwise.
	if _, _, err := Parse(out, &Options{MaxMessageSize: 100}); !errors.Is(err, ErrInflatedTooLarge) {
		t.Errorf("Parse inflating past MaxMessageSize: %v, want ErrInflatedTooLarge", err)
	}
	if _, _, err := Parse(out, &Options{MaxMessageSize: 100, MaxInflatedSize: 1300}); err != nil {
		t.Errorf("Parse under the wire limit and MaxInflatedSize: %v", err)
	}
	if _, _, err := Parse(out, &Options{MaxInflatedSize: 1299}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse over MaxInflatedSize: %v, want ErrTooLarge", err)
	}
	if back, _, err := Parse(out, &Options{MaxInflatedSize: 1300}); err != nil || !bytes.Equal(back.Data, data) {
		t.Errorf("Parse at MaxInflatedSize: %v", err)
	}

	// A corrupt zlib stream.
	bad := frame(Header{Type: MsgResult, Flags: FlagCompressed, DataLen: 5}, nil, []byte("\x78\x9cjunk"[:5]))
	if _, _, err := Parse(bad, nil); !errors.Is(err, ErrDecompress) {
		t.Errorf("Parse(corrupt zlib) = %v, want ErrDecompress", err)
	}
	h, _ := ParseHeader(out)
	cut := frame(Header{Type: MsgResult, Flags: FlagCompressed, DataLen: h.DataLen - 3}, nil, out[HeaderSize:len(out)-3])
	if _, _, err := Parse(cut, nil); !errors.Is(err, ErrDecompress) {
		t.Errorf("Parse(truncated zlib) = %v, want ErrDecompress", err)
	}
}

func TestAppendTooLargeWithHMAC(t *testing.T) {
	m := Message{Type: MsgInvoke, Data: make([]byte, 50)}
	// 50 + 26 (HMAC chunk) = 76
	if _, err := Append(nil, &m, &Options{HMACKey: secret, MaxMessageSize: 75}); err == nil ||
		err.Error() != "max message size exceeded (76 where max=75)" {
		t.Errorf("Append = %v", err)
	}
	if _, err := Append(nil, &m, &Options{HMACKey: secret, MaxMessageSize: 76}); err != nil {
		t.Errorf("Append at the limit = %v", err)
	}
}

func TestErrInvalidType(t *testing.T) {
	err := ErrInvalidType(MsgInvoke)
	if err.Error() != "invalid msg type 4 received" || !errors.Is(err, ErrUnexpectedType) {
		t.Errorf("ErrInvalidType(4) = %q, Is(ErrUnexpectedType) = %v", err, errors.Is(err, ErrUnexpectedType))
	}
}

func TestStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{MsgConnectOK.String(), "CONNECTOK"},
		{MsgType(9).String(), "MsgType(9)"},
		{(FlagItemStreamResult | FlagException).String(), "EXCEPTION|ITEMSTREAMRESULT"},
		{Flags(0x180).String(), "0x180"},
		{(FlagOneway | 0x100).String(), "ONEWAY|0x100"},
		{Flags(0).String(), "0"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestReadMessageStream(t *testing.T) {
	files := goldenFiles(t)
	var stream []byte
	var want []Message
	for _, name := range sortedNames(files) {
		if goldenCases[name].hmac {
			continue
		}
		stream = append(stream, files[name]...)
		m, _, _ := Parse(files[name], nil)
		want = append(want, m)
	}
	r := bytes.NewReader(stream)
	for i := range want {
		m, err := ReadMessage(r, nil)
		if err != nil || !sameMessage(m, &want[i]) || m.Flags != want[i].Flags || len(m.Annotations) != len(want[i].Annotations) {
			t.Fatalf("message %d = %+v, %v; want %+v", i, m, err, want[i])
		}
	}
	if _, err := ReadMessage(r, nil); err != io.EOF {
		t.Errorf("after the last message: %v, want io.EOF", err)
	}
}

func TestReadBodyGrows(t *testing.T) {
	// A frame larger than readBody's first step still arrives whole.
	m := Message{Type: MsgResult, Data: bytes.Repeat([]byte("0123456789abcdef"), 1<<17)} // 2 MiB
	out, _ := Append(nil, &m, nil)
	got, err := ReadMessage(iotestHalfReader{bytes.NewReader(out)}, nil)
	if err != nil || !bytes.Equal(got.Data, m.Data) {
		t.Fatalf("ReadMessage(2 MiB) = %v", err)
	}
	// A lying header on a short stream fails without allocating the claim.
	// (1 GiB: where int has 32 bits, a length that with the header would
	// overflow int is refused as ErrDataLength before any read)
	lie := frame(Header{Type: MsgResult, DataLen: 1 << 30}, nil, []byte("short"))
	if _, err := ReadMessage(bytes.NewReader(lie), nil); err != io.ErrUnexpectedEOF {
		t.Errorf("ReadMessage(lying length) = %v, want io.ErrUnexpectedEOF", err)
	}
}

// iotestHalfReader returns at most half of what is asked for, to exercise
// reads that arrive in pieces.
type iotestHalfReader struct{ r io.Reader }

func (h iotestHalfReader) Read(p []byte) (int, error) { return h.r.Read(p[:(len(p)+1)/2]) }
