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

// BenchmarkSessionInvoke measures one full dispatch of a small call with no
// network: frame parse -> decode -> dispatch -> encode -> frame, per
// serializer. It is the daemon's per-call cost above the transport.
func BenchmarkSessionInvoke(b *testing.B) {
	cfg := config.Default()
	d, err := New(Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	d.Register(&benchEcho{}, "bench", false)
	for _, codec := range []serial.Codec{serial.Serpent, serial.JSON, serial.Marshal} {
		b.Run(codec.Name(), func(b *testing.B) {
			s := newSession(d, nil, func(f func()) { f() })
			hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", "bench"), nil)
			s.handle(context.Background(), &wire.Message{Type: wire.MsgConnect, Flags: wire.FlagMetaOnConnect, SerializerID: uint16(codec.ID()), Data: hs})
			if !s.ready {
				b.Fatalf("handshake failed: %q", s.out)
			}
			payload, _ := codec.MarshalCall(nil, &serial.Call{Object: "bench", Method: "echo", Args: []any{"hello"}, Kwargs: pyval.NewDict(0)}, nil)
			frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Seq: 1, SerializerID: uint16(codec.ID()), Data: payload}, &wire.Options{})
			var m wire.Message
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.out = s.out[:0]
				if _, err := wire.ParseInto(&m, frame, &d.wopts); err != nil {
					b.Fatal(err)
				}
				if s.handle(ctx, &m) {
					b.Fatal("connection closed")
				}
			}
			if len(s.out) == 0 {
				b.Fatal("no reply")
			}
		})
	}
}
