//go:build !race

package engine

import (
	"testing"

	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// echoSession5 is echoSession for a Pyro5 client: a session past its
// protocol 502 handshake and one echo("hello") call through it.
func echoSession5(tb testing.TB, codec serial.Codec) (call func()) {
	tb.Helper()
	s := readySession5(tb, benchDaemon(tb), codec, func(f func()) bool { f(); return true })
	payload, _ := codec.MarshalCall(nil, &serial.Call{Object: "bench", Method: "echo", Args: []any{"hello"}}, nil)
	frame, _ := wire.Append5(nil, &wire.Message5{Type: wire.MsgInvoke, Seq: 1, SerializerID: uint8(codec.ID()), Data: payload}, nil)
	return answered(tb, s, frame)
}

// TestSession5InvokeAllocs: serving a Pyro5 client costs no allocation
// more per call than a Pyro4 client (TestSessionInvokeAllocs).
func TestSession5InvokeAllocs(t *testing.T) {
	for _, codec := range []serial.Codec{serial.Serpent5, serial.JSON5, serial.Marshal5} {
		t.Run(codec.Name(), func(t *testing.T) {
			call := echoSession5(t, codec)
			call()
			if n := testing.AllocsPerRun(200, call); n > 2 {
				t.Errorf("%.1f allocations per echo call, want at most 2", n)
			}
		})
	}
}

// BenchmarkSession5Invoke is BenchmarkSessionInvoke for a Pyro5 client.
func BenchmarkSession5Invoke(b *testing.B) {
	for _, codec := range []serial.Codec{serial.Serpent5, serial.JSON5, serial.Marshal5, serial.Msgpack5} {
		b.Run(codec.Name(), func(b *testing.B) {
			call := echoSession5(b, codec)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call()
			}
		})
	}
}
