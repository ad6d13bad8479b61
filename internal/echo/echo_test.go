package echo

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// TestQuietCallsRenderNothing: a quiet echo server renders no repr of the
// message (Pyro4's only does when verbose), so echo and oneway_echo do not
// allocate.
func TestQuietCallsRenderNothing(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, false, nil)
	var msg any = strings.Repeat("x", 64)
	if n := testing.AllocsPerRun(100, func() { s.OnewayEcho(msg) }); n != 0 {
		t.Errorf("oneway_echo: %v allocs per call, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { s.Echo(msg) }); n != 0 {
		t.Errorf("echo: %v allocs per call, want 0", n)
	}
	if out.Len() != 0 {
		t.Errorf("quiet server printed %q", out.String())
	}
}

// TestVerboseCallsPrintRepr: a verbose echo server prints each call with
// the Python repr of its message, as Pyro4's does.
func TestVerboseCallsPrintRepr(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, true, nil)
	if got := s.Echo("it's"); got != "it's" {
		t.Errorf("echo returned %v", got)
	}
	if got := s.OnewayEcho([]any{int64(1), "a"}); got != "bogus return value" {
		t.Errorf("oneway_echo returned %q", got)
	}
	want := regexp.MustCompile(`^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} - echo: "it's"\n` +
		`\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} - oneway_echo: \[1, 'a'\]\n$`)
	if !want.MatchString(out.String()) {
		t.Errorf("verbose output %q does not match %v", out.String(), want)
	}
}

// TestDispatchFastPath: echo and oneway_echo have signatures dispatch calls
// directly (within its budget of 2 allocations per call), not through
// reflect, whose frames grow the stack of every threaded oneway's fresh
// goroutine.
func TestDispatchFastPath(t *testing.T) {
	r := dispatch.NewRegistry(dispatch.Options{Logger: slog.New(slog.DiscardHandler)})
	if _, err := r.Register(New(nil, false, nil), ObjectID, false); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cc := &dispatch.CallContext{Conn: r.NewConn(nil)}
	for _, method := range []string{"echo", "oneway_echo"} {
		call := &serial.Call{Object: ObjectID, Method: method, Args: []any{strings.Repeat("x", 64)}, Kwargs: pyval.DictOf()}
		n := testing.AllocsPerRun(100, func() {
			if _, err := r.Invoke(ctx, cc, call); err != nil {
				t.Fatal(err)
			}
		})
		if n > 2 {
			t.Errorf("%s: %v allocs per call, want at most 2", method, n)
		}
	}
}
