package engine

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

type benchEcho struct{}

func (*benchEcho) Echo(s string) string { return s }

// echoSession returns a session past its handshake with codec and a
// function that runs one echo("hello") call through it, from the frame
// parse to the framed reply, with no network.
func echoSession(tb testing.TB, codec serial.Codec, ics ...Interceptor) (call func()) {
	tb.Helper()
	d := benchDaemon(tb, ics...)
	s := readySession(tb, d, codec, func(f func()) bool { f(); return true })
	payload, _ := codec.MarshalCall(nil, &serial.Call{Object: "bench", Method: "echo", Args: []any{"hello"}}, nil)
	frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Seq: 1, SerializerID: uint16(codec.ID()), Data: payload}, &wire.Options{})
	return answered(tb, s, frame)
}

// answered returns a function that runs frame through s, reusing one
// output buffer, and fails tb unless the whole frame is read and answered.
func answered(tb testing.TB, s *Session, frame []byte) func() {
	var out []byte
	ctx := context.Background()
	return func() {
		n, o, closeAfter := s.Process(ctx, frame, out[:0])
		out = o
		if closeAfter || n != len(frame) || len(out) == 0 {
			tb.Fatalf("no reply: %q", out)
		}
	}
}

// benchDaemon returns a daemon serving benchEcho as "bench".
func benchDaemon(tb testing.TB, ics ...Interceptor) *Daemon {
	tb.Helper()
	cfg := config.Default()
	d, err := New(Options{Host: "127.0.0.1", Config: &cfg, Interceptors: ics})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Register(&benchEcho{}, "bench", false); err != nil {
		tb.Fatal(err)
	}
	return d
}

// readySession returns a session of d that has done its handshake in
// codec; spawn runs its threaded oneway calls.
func readySession(tb testing.TB, d *Daemon, codec serial.Codec, spawn func(func()) bool) *Session {
	tb.Helper()
	s := d.core.NewSession(nil, spawn)
	hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello"), nil)
	frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgConnect, SerializerID: uint16(codec.ID()), Data: hs}, nil)
	_, out, _ := s.Process(context.Background(), frame, nil)
	if !s.ready {
		tb.Fatalf("handshake failed: %q", out)
	}
	return s
}

// readySession5 is readySession for a Pyro5 client of object "bench".
func readySession5(tb testing.TB, d *Daemon, codec serial.Codec, spawn func(func()) bool) *Session {
	tb.Helper()
	s := d.core.NewSession(nil, spawn)
	hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", "bench"), nil)
	frame, _ := wire.Append5(nil, &wire.Message5{Type: wire.MsgConnect, SerializerID: uint8(codec.ID()), Data: hs}, nil)
	_, out, _ := s.Process(context.Background(), frame, nil)
	if !s.ready {
		tb.Fatalf("handshake failed: %q", out)
	}
	return s
}

// BenchmarkSessionInvoke measures one full dispatch of a small call with no
// network: frame parse -> decode -> dispatch -> encode -> frame, per
// serializer. It is the daemon's per-call cost above the transport.
func BenchmarkSessionInvoke(b *testing.B) {
	for _, codec := range []serial.Codec{serial.Serpent, serial.JSON, serial.Marshal} {
		b.Run(codec.Name(), func(b *testing.B) {
			call := echoSession(b, codec)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call()
			}
		})
	}
}

// BenchmarkSessionInvokeObserved is BenchmarkSessionInvoke with an
// interceptor that does nothing: the cost of observing itself.
func BenchmarkSessionInvokeObserved(b *testing.B) {
	nop := Interceptor{
		Call:     func(ctx context.Context, _ *CallInfo, next CallHandler) (any, error) { return next(ctx) },
		CallDone: func(*CallInfo, *CallStats) {},
		Conn:     func(*ConnEvent) {},
	}
	for _, codec := range []serial.Codec{serial.Serpent, serial.JSON, serial.Marshal} {
		b.Run(codec.Name(), func(b *testing.B) {
			call := echoSession(b, codec, nop)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call()
			}
		})
	}
}
