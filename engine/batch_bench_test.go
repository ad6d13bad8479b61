package engine

import (
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// batchEntries is how many calls a benchmark batch holds.
const batchEntries = 65

// benchTupleEcho is Pyro4's benchmark echo, def echo(*args): return args,
// which the comparison run's batches call.
type benchTupleEcho struct{}

func (*benchTupleEcho) Echo(args ...any) pyval.Tuple { return args }

// batchSession returns a session past its handshake with codec (a Pyro5
// codec makes it a Pyro5 session) and a function that runs one <batch>
// of batchEntries echo calls with a 64-byte str through it, as Pyro4's and Pyro5's
// BatchProxy send them, with no network.
func batchSession(tb testing.TB, codec serial.Codec, pyro5 bool) (call func()) {
	tb.Helper()
	cfg := config.Default()
	cfg.SerializersAccepted = "serpent,json,marshal,msgpack,pickle"
	d, err := New(Options{Host: "127.0.0.1", Config: &cfg, AllowPickle: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	if _, err := d.Register(&benchTupleEcho{}, "bench", false); err != nil {
		tb.Fatal(err)
	}
	entries := make([]any, batchEntries)
	for i := range entries {
		entries[i] = pyval.Tuple{"echo", pyval.Tuple{strings.Repeat("x", 64)}, pyval.NewDict(0)}
	}
	payload, err := codec.MarshalCall(nil, &serial.Call{Object: "bench", Method: "<batch>", Args: entries, KwargsNone: true}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	inline := func(f func()) bool { f(); return true }
	if pyro5 {
		s := readySession5(tb, d, codec, inline)
		frame, _ := wire.Append5(nil, &wire.Message5{Type: wire.MsgInvoke, Flags: wire.Flag5Batch, Seq: 1, SerializerID: uint8(codec.ID()), Data: payload}, nil)
		return answered(tb, s, frame)
	}
	s := readySession(tb, d, codec, inline)
	frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagBatch, Seq: 1, SerializerID: uint16(codec.ID()), Data: payload}, &wire.Options{})
	return answered(tb, s, frame)
}

// BenchmarkSessionBatch measures one <batch> of echo calls through
// Session.Process (frame parse -> decode -> dispatch -> encode -> frame),
// per serializer, and reports the cost per batched call.
func BenchmarkSessionBatch(b *testing.B) {
	for _, tc := range batchCodecs {
		b.Run(tc.name, func(b *testing.B) {
			call := batchSession(b, tc.codec, tc.pyro5)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchEntries), "ns/entry")
		})
	}
}

// batchCodecs are the serializers gyro reads batches in.
var batchCodecs = []struct {
	name  string
	codec serial.Codec
	pyro5 bool
}{
	{"serpent", serial.Serpent, false}, {"json", serial.JSON, false}, {"marshal", serial.Marshal, false},
	{"msgpack", serial.Msgpack, false}, {"pickle", serial.Pickle, false},
	{"serpent5", serial.Serpent5, true}, {"json5", serial.JSON5, true}, {"marshal5", serial.Marshal5, true},
	{"msgpack5", serial.Msgpack5, true},
}
