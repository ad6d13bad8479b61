package proxy_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves goroutines behind (a proxy's
// context watch, a fake server's connection handler).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
