//go:build !race

package engine

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// TestSessionInvokeAllocs pins the per-call allocations of the dispatch
// core: one for a small echo call, the decoded argument string boxed with
// its header (serial's boxString). Everything else (frame, args array,
// kwargs, reply buffer) is reused. Not under -race, whose pools
// drop items on purpose.
func TestSessionInvokeAllocs(t *testing.T) {
	for _, codec := range []serial.Codec{serial.Serpent, serial.JSON, serial.Marshal} {
		t.Run(codec.Name(), func(t *testing.T) {
			call := echoSession(t, codec)
			call() // the first call fills the session's buffers
			if n := testing.AllocsPerRun(200, call); n > 1 {
				t.Errorf("%.1f allocations per echo call, want at most 1 (the str argument)", n)
			}
		})
	}
}

// TestSessionInvokeObservedAllocs: an interceptor that does nothing adds no
// allocation per call (its CallInfo, CallStats and handler are the
// session's).
func TestSessionInvokeObservedAllocs(t *testing.T) {
	nop := Interceptor{
		Call:     func(ctx context.Context, _ *CallInfo, next CallHandler) (any, error) { return next(ctx) },
		CallDone: func(*CallInfo, *CallStats) {},
	}
	call := echoSession(t, serial.Serpent, nop)
	call()
	if n := testing.AllocsPerRun(200, call); n > 1 {
		t.Errorf("%.1f allocations per observed echo call, want at most 1", n)
	}
}

// TestObservedOnewayAllocs: an observed threaded oneway call costs the
// interceptors no allocation either: its CallInfo travels in the queued
// task, which the queue reuses.
func TestObservedOnewayAllocs(t *testing.T) {
	nop := Interceptor{
		Call:     func(ctx context.Context, _ *CallInfo, next CallHandler) (any, error) { return next(ctx) },
		CallDone: func(*CallInfo, *CallStats) {},
	}
	d := benchDaemon(t, nop)
	d.core.oneways.quiesce() // the worker ends with the queue, so it can run here
	var worker func()
	s := readySession(t, d, serial.Serpent, func(f func()) bool { worker = f; return true })
	payload, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "bench", Method: "echo", Args: []any{"hello"}}, nil)
	frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagOneway, Seq: 1, SerializerID: serial.IDSerpent, Data: payload}, &wire.Options{})
	ctx := context.Background()
	call := func() {
		if n, out, closeAfter := s.Process(ctx, frame, nil); n != len(frame) || closeAfter || len(out) != 0 {
			t.Fatalf("oneway: consumed %d of %d, close %v, replies %q", n, len(frame), closeAfter, out)
		}
		worker()
	}
	call()
	// the str argument, and the worker's start (a method value): the
	// queue's worker ends with each call here, where it lingers in a server
	if n := testing.AllocsPerRun(200, call); n > 2 {
		t.Errorf("%.1f allocations per observed oneway call, want at most 2", n)
	}
}
