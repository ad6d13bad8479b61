package engine

import (
	"net"
	"syscall"
)

// listenerFd returns the descriptor of a listener, for Sockets(); -1 when the
// listener has none (a custom net.Listener).
func listenerFd(ln net.Listener) int {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}

// noReuseAddr clears SO_REUSEADDR (Go sets it on listeners) when SOCK_REUSE
// is off.
func noReuseAddr(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = clearReuseAddr(fd) })
	if err != nil {
		return err
	}
	return serr
}
