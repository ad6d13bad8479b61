package wire

import "testing"

// A small serpent INVOKE: echo("hi") as the Pyro4 proxy sends it.
var benchInvoke = Message{Type: MsgInvoke, Seq: 1, SerializerID: 1,
	Data: []byte(serpentHeader + "('test.echoserver','echo',('hi',),{})")}

func BenchmarkAppend(b *testing.B) {
	withCorr := benchInvoke
	withCorr.Annotations = []Annotation{{"CORR", corr}}
	for _, bc := range []struct {
		name string
		m    *Message
		opts *Options
	}{
		{"plain", &benchInvoke, nil},
		{"corr", &withCorr, nil},
		{"corr+hmac", &withCorr, &Options{HMACKey: secret}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256)
			for b.Loop() {
				var err error
				buf, err = Append(buf[:0], bc.m, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkParse(b *testing.B) {
	plain, _ := Append(nil, &benchInvoke, nil)
	withCorr := golden(b, "serpent_invoke")
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			if _, _, err := Parse(plain, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Parse must allocate the Annotations slice; ParseInto reuses it.
	b.Run("corr", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(withCorr)))
		for b.Loop() {
			if _, _, err := Parse(withCorr, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("corr-into", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(withCorr)))
		var m Message
		for b.Loop() {
			if _, err := ParseInto(&m, withCorr, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
