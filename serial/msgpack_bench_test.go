package serial

import (
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

// The call and result a typical echo round trip carries, in msgpack.
var benchMsgpackCall = &Call{Object: "test.echoserver", Method: "echo", Args: []any{"hello", int64(42), 1.5}}

func BenchmarkMsgpackMarshalCall(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = Msgpack.MarshalCall(buf[:0], benchMsgpackCall, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMsgpackUnmarshalCall(b *testing.B) {
	data, err := Msgpack.MarshalCall(nil, benchMsgpackCall, nil)
	if err != nil {
		b.Fatal(err)
	}
	var c Call
	b.ReportAllocs()
	for b.Loop() {
		if err := Msgpack.UnmarshalCall(data, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMsgpackUnmarshalDict(b *testing.B) {
	data, err := Msgpack.Marshal(nil, pyval.DictOf("name", "gyro", "n", int64(3), "list", []any{1.5, "x", nil}), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Msgpack.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}
