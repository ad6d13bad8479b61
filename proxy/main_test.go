package proxy_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves goroutines behind (a proxy's
// context watch, a pipelined connection's reader, a fake server's
// connection handler). Goroutines there before the tests (the default pool
// that the multicore server type's worker library starts at init) are not
// the tests'.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}
