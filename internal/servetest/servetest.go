package servetest

import (
	"context"
	"testing"
)

// Server is what Serve runs: an *engine.Daemon or a *naming.NS.
type Server interface {
	Serve(ctx context.Context) error
	Close() error
}

// Serve runs s on a goroutine until the test ends, then stops and closes
// it; an error from s.Serve fails the test. The returned context ends with
// the test's cleanup.
func Serve(t testing.TB, s Server) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		s.Close()
	})
	return ctx
}
