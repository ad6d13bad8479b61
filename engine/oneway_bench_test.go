package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/gyro-rpc/gyro/internal/spawn"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// onewaySink counts the oneway calls it gets: the benchmark waits for
// every round to have run before it sends the next.
type onewaySink struct{ wg *sync.WaitGroup }

func (o *onewaySink) Oneway(s string) { o.wg.Done() }

// BenchmarkSessionOneway measures threaded oneway calls (ONEWAY_THREADED,
// the default) through a session, as a pipelining client sends them:
// rounds of onewayRound calls in one read, each run on the goroutines the
// server type would give it. A round is done when all of its calls ran;
// ns/call covers parsing, decoding, handing over and running them.
func BenchmarkSessionOneway(b *testing.B) {
	const onewayRound = 64
	for _, codec := range []serial.Codec{serial.Serpent, serial.Marshal} {
		b.Run(codec.Name(), func(b *testing.B) {
			var wg sync.WaitGroup
			d := benchDaemon(b)
			if _, err := d.Register(&onewaySink{&wg}, "sink", false); err != nil {
				b.Fatal(err)
			}
			var g spawn.Group
			defer g.Wait(context.Background())
			s := readySession(b, d, codec, g.Go)
			payload, _ := codec.MarshalCall(nil, &serial.Call{Object: "sink", Method: "oneway", Args: []any{"hello"}}, nil)
			var round []byte
			for i := range onewayRound {
				round, _ = wire.Append(round, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagOneway, Seq: uint16(i), SerializerID: uint16(codec.ID()), Data: payload}, &wire.Options{})
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += onewayRound {
				wg.Add(onewayRound)
				n, out, closeAfter := s.Process(ctx, round, nil)
				if closeAfter || n != len(round) || len(out) != 0 {
					b.Fatalf("oneway round: n=%d close=%v out=%q", n, closeAfter, out)
				}
				wg.Wait()
			}
		})
	}
}
