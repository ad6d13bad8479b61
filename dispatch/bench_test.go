package dispatch

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/serial"
)

// echoer has the signatures of the benchmarks.
type echoer struct{ calls int }

func (e *echoer) Echo(s string) string { return s }
func (e *echoer) Add(a, b int) int     { return a + b }
func (e *echoer) AddCtx(_ context.Context, a, b int) int {
	return a + b
}

func benchInvoke(b *testing.B, call *serial.Call) {
	r := registered(b, &echoer{}, "e")
	ctx := context.Background()
	cc := &CallContext{Conn: r.NewConn(nil)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Invoke(ctx, cc, call); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInvokeEcho(b *testing.B) {
	benchInvoke(b, &serial.Call{Object: "e", Method: "echo", Args: []any{"hello, world"}})
}

func BenchmarkInvokeAdd(b *testing.B) {
	benchInvoke(b, &serial.Call{Object: "e", Method: "add", Args: []any{int64(1000), int64(2000)}})
}

// BenchmarkInvokeReflect measures the general path (reflect.Value.Call),
// which methods taking a context.Context always use.
func BenchmarkInvokeReflect(b *testing.B) {
	benchInvoke(b, &serial.Call{Object: "e", Method: "add_ctx", Args: []any{int64(1000), int64(2000)}})
}

// TestInvokeAllocs holds the fast path to its allocation budget (the spec
// allows 2): none for a string echo, one for an int add (the boxed int64).
func TestInvokeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	r := registered(t, &echoer{}, "e")
	cc := &CallContext{Conn: r.NewConn(nil)}
	for _, tt := range []struct {
		call   *serial.Call
		budget float64
	}{
		{&serial.Call{Object: "e", Method: "echo", Args: []any{"hello, world"}}, 0},
		{&serial.Call{Object: "e", Method: "add", Args: []any{int64(1000), int64(2000)}}, 1},
	} {
		n := testing.AllocsPerRun(100, func() {
			if _, err := r.Invoke(context.Background(), cc, tt.call); err != nil {
				t.Fatal(err)
			}
		})
		if n > tt.budget {
			t.Errorf("%s: %v allocations per call, budget %v", tt.call.Method, n, tt.budget)
		}
	}
}

// BenchmarkInvokeEchoParallel calls from all Ps at once: the registration
// snapshot is read through an atomic pointer, so calls share no lock.
func BenchmarkInvokeEchoParallel(b *testing.B) {
	r := registered(b, &echoer{}, "e")
	call := &serial.Call{Object: "e", Method: "echo", Args: []any{"hello, world"}}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		cc := &CallContext{Conn: r.NewConn(nil)}
		for pb.Next() {
			if _, err := r.Invoke(context.Background(), cc, call); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
