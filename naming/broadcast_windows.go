package naming

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

func setsockoptInt(fd uintptr, level, opt, value int) error {
	return syscall.SetsockoptInt(syscall.Handle(fd), level, opt, value)
}

// recvNow cannot receive without waiting on Go's (overlapped, blocking)
// Windows sockets: BroadcastServer.Events is for Unix foreign loops.
func recvNow(uintptr, []byte) (int, *net.UDPAddr, error) {
	return 0, nil, fmt.Errorf("naming: BroadcastServer.Events on windows (use Serve): %w", errors.ErrUnsupported)
}
