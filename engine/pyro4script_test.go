package engine_test

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// scriptAgainst serves d while the Pyro4 client script in testdata runs
// with arg (a URI of d's, or "pyro4" for the script's own Pyro4 daemon
// when d is nil), and returns what the script printed.
func scriptAgainst(t *testing.T, ctx context.Context, d *engine.Daemon, script, arg string) string {
	t.Helper()
	if d == nil {
		out, err := pyrotest.RunScript(t, ctx, script, []string{arg}, "")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx) }()
	out, err := pyrotest.RunScript(t, ctx, script, []string{arg}, "")
	d.Shutdown()
	if serr := <-done; serr != nil {
		t.Errorf("Serve: %v", serr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}
