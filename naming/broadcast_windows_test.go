package naming

import (
	"errors"
	"testing"
)

// TestBroadcastEventsUnsupported: Windows has no non-blocking receive for
// Go's sockets, so Events says so instead of blocking (Serve works).
func TestBroadcastEventsUnsupported(t *testing.T) {
	bc := newBC(t, "PYRO:Pyro.NameServer@127.0.0.1:9090")
	if err := bc.Events(bc.Sockets()); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Events = %v, want ErrUnsupported", err)
	}
}
