// Package echo is the object behind `gyro echoserver`: the Go counterpart
// of Pyro4's Pyro4.test.echoserver.EchoServer, with the same remote names
// and the same behaviour, for interop tests and for trying a client out.
package echo

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// ObjectID is the id the echo server is registered under.
const ObjectID = "test.echoserver"

// EchoServer is the echo object. Its zero value is not usable; use New.
// The type has Pyro's class name because servers put it in their error
// texts ("'EchoServer' object has no attribute 'x'"), which clients of
// either generation then see exactly as from Pyro's own echo server.
type EchoServer struct {
	mu         sync.Mutex // serializes the verbose lines
	verbose    atomic.Bool
	out        io.Writer
	onShutdown func()
	// SlowDelay is how long Slow and OnewaySlow take (Pyro4: 5 s).
	SlowDelay time.Duration
}

// New returns an echo server that prints its verbose lines to out and calls
// onShutdown (if not nil) when a client calls shutdown().
func New(out io.Writer, verbose bool, onShutdown func()) *EchoServer {
	s := &EchoServer{out: out, onShutdown: onShutdown, SlowDelay: 5 * time.Second}
	s.verbose.Store(verbose)
	return s
}

// PyroExpose gives the Pyro4 names that Go cannot spell and marks the
// oneway methods, as Pyro4's @oneway does.
func (s *EchoServer) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{
		Only: []string{"Echo", "Error", "ErrorWithText", "OnewayEcho", "Slow", "Generator",
			"Nan", "Inf", "OnewaySlow", "Dunder", "Shutdown"},
		Names:  map[string]string{"Dunder": "__dunder__"},
		Oneway: []string{"OnewayEcho", "OnewaySlow"},
		Attrs:  map[string]dispatch.Attr{"verbose": {Get: "Verbose", Set: "SetVerbose"}},
		Params: map[string][]string{"Echo": {"message"}, "OnewayEcho": {"message"}},
	}
}

func (s *EchoServer) logf(format string, a ...any) {
	if !s.verbose.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out != nil {
		fmt.Fprintf(s.out, "%s - %s\n", time.Now().Format("Mon Jan _2 15:04:05 2006"), fmt.Sprintf(format, a...))
	}
}

// Echo returns its argument.
func (s *EchoServer) Echo(message any) any {
	if s.verbose.Load() { // repr costs more than the call
		s.logf("echo: %s", serial.Repr(message))
	}
	return message
}

// Error raises ValueError with the text of the client's generation's echo
// server: Pyro4's and Pyro5's differ.
func (s *EchoServer) Error(ctx context.Context) error {
	s.logf("error: generating exception")
	if cc, ok := dispatch.FromContext(ctx); ok && cc.Protocol == wire.Pyro5 {
		return pyval.NewException("ValueError", "this is the generated error from echoserver echo() method")
	}
	return pyval.NewException("ValueError", "expected error from echoserver error() method")
}

// ErrorWithText raises ValueError("the message of the error").
func (s *EchoServer) ErrorWithText() error {
	s.logf("error: generating exception")
	return pyval.NewException("ValueError", "the message of the error")
}

// OnewayEcho is echo as a oneway call; its return value never travels.
func (s *EchoServer) OnewayEcho(message any) any {
	if s.verbose.Load() {
		s.logf("oneway_echo: %s", serial.Repr(message))
	}
	return "bogus return value"
}

// Slow answers after SlowDelay.
func (s *EchoServer) Slow() string {
	s.logf("slow: waiting a bit...")
	time.Sleep(s.SlowDelay)
	s.logf("slow: returning result")
	return "Finally, an answer!"
}

// Generator streams "one", "two", "three".
func (s *EchoServer) Generator() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, v := range []string{"one", "two", "three"} {
			if !yield(v) {
				return
			}
		}
	}
}

// Nan returns float('nan').
func (s *EchoServer) Nan() float64 { return math.NaN() }

// Inf returns float('inf').
func (s *EchoServer) Inf() float64 { return math.Inf(1) }

// OnewaySlow is slow as a oneway call.
func (s *EchoServer) OnewaySlow() string {
	s.logf("oneway_slow: waiting a bit...")
	time.Sleep(s.SlowDelay)
	s.logf("oneway_slow: returning result")
	return "bogus return value"
}

// Dunder is remote as __dunder__: dunder names are not private.
func (s *EchoServer) Dunder() string { return "should be allowed (dunder)" }

// Shutdown asks the server to stop after this reply.
func (s *EchoServer) Shutdown() {
	s.logf("shutting down")
	if s.onShutdown != nil {
		s.onShutdown()
	}
}

// Verbose is the getter of the remote attribute verbose.
func (s *EchoServer) Verbose() bool { return s.verbose.Load() }

// SetVerbose is its setter; like Python's bool(), any value is accepted.
func (s *EchoServer) SetVerbose(v any) { s.verbose.Store(pyval.Truthy(v)) }
