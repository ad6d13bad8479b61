package main

import (
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/benchobj"
	"github.com/gyro-rpc/gyro/internal/echo"
	"github.com/gyro-rpc/gyro/internal/servetest"
	"github.com/gyro-rpc/gyro/serial"
)

// startDaemon serves bench.py's object and the echo server's on 127.0.0.1
// in this process until the test ends.
func startDaemon(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(benchobj.Bench{}, benchobj.ObjectID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(echo.New(nil, false, nil), echoObj, false); err != nil {
		t.Fatal(err)
	}
	servetest.Serve(t, d)
	return d.Addr().String()
}

// TestPipelinedRounds runs each pipelined workload briefly against a gyro
// daemon and checks that the client read exactly the replies of every
// round it counted: afterwards one more call gets its own reply and
// nothing else is left to read, so no round's replies were miscounted.
func TestPipelinedRounds(t *testing.T) {
	addr := startDaemon(t)
	tg := target{name: "gyro-thread", kind: kPyro}
	for _, w := range []workload{
		{name: pipelinedCalls, conns: 2, mode: "calls", depth: 16, size: 64, ser: serial.IDSerpent},
		{name: "pipe", conns: 2, mode: "pipe", size: 64, ser: serial.IDSerpent},
		{name: "batch", conns: 2, mode: "batch", size: 64, ser: serial.IDSerpent},
		{name: onewayEchoWorkload, conns: 2, mode: "pipe", size: 64, ser: serial.IDSerpent, obj: echoObj, ow: "oneway_echo"},
		{name: "seq", conns: 3, mode: "seq", size: 64, ser: serial.IDSerpent},
	} {
		t.Run(w.name, func(t *testing.T) {
			ot := tg
			ot.obj = w.obj
			conns, err := dialAll(ot, addr, w, w.conns)
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll(conns)
			r, err := load(conns, w, 30*time.Millisecond, 0)
			if err != nil {
				t.Fatal(err)
			}
			per, _ := w.perRound()
			if !w.pipelined() {
				per = 1
			}
			if r.calls == 0 || r.calls%int64(per) != 0 {
				t.Errorf("%d calls, want a positive multiple of %d", r.calls, per)
			}
			if !w.pipelined() && int64(len(r.lat)) != r.calls {
				t.Errorf("%d latencies for %d calls", len(r.lat), r.calls)
			}
			for _, c := range conns {
				if err := c.call(); err != nil {
					t.Fatal(err)
				}
				if n := c.br.Buffered(); n != 0 {
					t.Errorf("%d bytes left after the last reply", n)
				}
			}
		})
	}
}
