package engine

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/internal/spawn"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// FuzzSession feeds arbitrary bytes to a fresh session, Pyro4's or Pyro5's
// as the first bytes say: it must never panic, never consume more than it
// was given, and every reply it writes must be a well-formed frame of the
// connection's generation.
func FuzzSession(f *testing.F) {
	for _, codec := range []serial.Codec{serial.Serpent, serial.JSON, serial.Marshal} {
		hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", "bench"), nil)
		call, _ := codec.MarshalCall(nil, &serial.Call{Object: "bench", Method: "echo", Args: []any{"x"}}, nil)
		b, _ := wire.Append(nil, &wire.Message{Type: wire.MsgConnect, Flags: wire.FlagMetaOnConnect, SerializerID: uint16(codec.ID()), Data: hs}, nil)
		b, _ = wire.Append(b, &wire.Message{Type: wire.MsgInvoke, Seq: 1, SerializerID: uint16(codec.ID()), Data: call}, nil)
		f.Add(b)
		// a threaded oneway: it goes to the daemon's queue and its workers
		b, _ = wire.Append(b, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagOneway, Seq: 2, SerializerID: uint16(codec.ID()), Data: call}, nil)
		f.Add(b)
		// and a normal call after it: the session pushes its run of oneways first
		b, _ = wire.Append(b, &wire.Message{Type: wire.MsgInvoke, Seq: 3, SerializerID: uint16(codec.ID()), Data: call}, nil)
		f.Add(b)
	}
	for _, codec := range []serial.Codec{serial.Serpent5, serial.JSON5, serial.Marshal5, serial.Msgpack5} {
		hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", "bench"), nil)
		call, _ := codec.MarshalCall(nil, &serial.Call{Object: "bench", Method: "echo", Args: []any{"x"}}, nil)
		b, _ := wire.Append5(nil, &wire.Message5{Type: wire.MsgConnect, SerializerID: uint8(codec.ID()), Data: hs}, nil)
		b, _ = wire.Append5(b, &wire.Message5{Type: wire.MsgInvoke, Flags: wire.Flag5CorrID, Seq: 1, SerializerID: uint8(codec.ID()), Data: call,
			Annotations: []wire.Annotation{{Key: "XYZW", Value: []byte("v")}}}, nil)
		b, _ = wire.Append5(b, &wire.Message5{Type: wire.MsgPing, Seq: 2, SerializerID: 42, Data: []byte("ping")}, nil)
		f.Add(b)
	}
	d := benchDaemon(f)
	// oneway workers run on goroutines, as on every server type (run
	// inline, one would wait for the queue's lock its caller holds), and
	// end with the queue, so each input's are gone before the next
	d.core.oneways.quiesce()
	f.Fuzz(func(t *testing.T, in []byte) {
		var g spawn.Group
		defer g.Wait(context.Background())
		s := d.core.NewSession(nil, g.Go)
		defer s.Close()
		n, out, _ := s.Process(context.Background(), in, nil)
		if n < 0 || n > len(in) {
			t.Fatalf("consumed %d of %d bytes", n, len(in))
		}
		for len(out) > 0 {
			var k int
			var err error
			if s.gen == wire.Pyro5 {
				_, k, err = wire.Parse5(out, nil)
			} else {
				_, k, err = wire.Parse(out, nil)
			}
			if err != nil || k == 0 {
				t.Fatalf("reply is not a protocol %d frame (%v): %q", s.gen, err, out)
			}
			out = out[k:]
		}
	})
}
