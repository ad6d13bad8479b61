package wire

import "testing"

// benchInvoke5 is echo("hi") as a Pyro5 proxy sends it in serpent.
var benchInvoke5 = Message5{Type: MsgInvoke, Seq: 1, SerializerID: 1, Flags: Flag5CorrID,
	CorrID: [16]byte{1, 2, 3}, Data: benchInvoke.Data}

func BenchmarkAppend5(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		var err error
		if buf, err = Append5(buf[:0], &benchInvoke5, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkParse5(b *testing.B) {
	frame, _ := Append5(nil, &benchInvoke5, nil)
	var m Message5
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := Parse5Into(&m, frame, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetectProtocol(b *testing.B) {
	frame, _ := Append5(nil, &benchInvoke5, nil)
	for b.Loop() {
		if v, _ := DetectProtocol(frame); v != Pyro5 {
			b.Fatal(v)
		}
	}
}
