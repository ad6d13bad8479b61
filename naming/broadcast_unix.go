//go:build unix

package naming

import (
	"net"
	"syscall"
)

func setsockoptInt(fd uintptr, level, opt, value int) error {
	return syscall.SetsockoptInt(int(fd), level, opt, value)
}

// recvNow receives one datagram without waiting.
func recvNow(fd uintptr, buf []byte) (int, *net.UDPAddr, error) {
	n, sa, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT)
	if err != nil {
		return 0, nil, err
	}
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return n, &net.UDPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}, nil
	case *syscall.SockaddrInet6:
		return n, &net.UDPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}, nil
	}
	return n, nil, nil
}
