//go:build !race

package engine

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/serial"
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
