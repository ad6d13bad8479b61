//go:build unix

package naming

import (
	"errors"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestBroadcastEvents drives the server as a foreign event loop would:
// poll its socket, then hand the ready descriptor to Events.
func TestBroadcastEvents(t *testing.T) {
	bc := newBC(t, "PYRO:Pyro.NameServer@0.0.0.0:9090")
	fds := bc.Sockets()
	if len(fds) != 1 || fds[0] < 0 {
		t.Fatalf("Sockets() = %v", fds)
	}
	// nothing pending: Events must return at once, not wait
	done := make(chan error, 1)
	go func() { done <- bc.Events(fds) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Events with nothing to read: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Events blocked on an empty socket")
	}
	if err := bc.Events([]int{fds[0] + 1000}); err != nil {
		t.Errorf("Events on a foreign descriptor: %v", err)
	}
	c := ask(t, bc, "GET_NSURI")
	pfd := []unix.PollFd{{Fd: int32(fds[0]), Events: unix.POLLIN}}
	if n, err := unix.Poll(pfd, 10_000); n != 1 || err != nil {
		t.Fatalf("poll: %d, %v", n, err)
	}
	if err := bc.Events(fds); err != nil {
		t.Fatal(err)
	}
	if got := readReply(t, c); got != "PYRO:Pyro.NameServer@127.0.0.1:9090" {
		t.Errorf("reply %q", got)
	}
	bc.Close()
	if err := bc.Events(fds); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Events after Close: %v", err)
	}
}
