//go:build unix

package loop

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Listen opens a listening socket on network "tcp", "tcp4", "tcp6" or
// "unix" and adds it to the loop; it returns the bound address (with the
// real port when addr asks for port 0). TCP listeners get SO_REUSEADDR; "tcp"
// with an unspecified host listens dual-stack where IPv6 is available. A
// unix socket file created here is removed by Close; abstract addresses
// ("@name", Linux) are supported. Errors are *net.OpError, as from
// net.Listen.
//
// Listen, AddListener and AddListenerFD must be called before the loop is
// driven or on the loop goroutine (e.g. in a function passed to Trigger).
func (l *Loop) Listen(network, addr string) (net.Addr, error) {
	if l.done {
		return nil, ErrClosed
	}
	opErr := func(a net.Addr, err error) error {
		return &net.OpError{Op: "listen", Net: network, Addr: a, Err: err}
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
		ta, err := net.ResolveTCPAddr(network, addr)
		if err != nil {
			return nil, opErr(nil, err)
		}
		fd, err := listenTCP(network, ta, l.backlog)
		if err != nil {
			return nil, opErr(ta, err)
		}
		return l.addListener(fd, true, "")
	case "unix":
		ua, err := net.ResolveUnixAddr(network, addr)
		if err != nil {
			return nil, opErr(nil, err)
		}
		fd, err := socket(unix.AF_UNIX)
		if err != nil {
			return nil, opErr(ua, err)
		}
		if err := bindListen(fd, &unix.SockaddrUnix{Name: ua.Name}, l.backlog); err != nil {
			unix.Close(fd)
			return nil, opErr(ua, err)
		}
		unlink := ""
		if ua.Name != "" && !strings.HasPrefix(ua.Name, "@") {
			unlink = ua.Name
		}
		a, err := l.addListener(fd, false, unlink)
		if err != nil && unlink != "" {
			os.Remove(unlink)
		}
		return a, err
	}
	return nil, opErr(nil, net.UnknownNetworkError(network))
}

func listenTCP(network string, ta *net.TCPAddr, backlog int) (int, error) {
	ip := ta.IP
	unspecified := len(ip) == 0 || ip.IsUnspecified()
	var v6 bool
	switch network {
	case "tcp4":
		if !unspecified && ip.To4() == nil {
			return -1, &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
		}
	case "tcp6":
		if !unspecified && ip.To4() != nil {
			return -1, &net.AddrError{Err: "non-IPv6 address", Addr: ip.String()}
		}
		v6 = true
	default:
		v6 = unspecified || ip.To4() == nil
	}
	if v6 {
		fd, err := listenTCP6(network, ta, unspecified, backlog)
		if err == nil || network != "tcp" || !unspecified || !errors.Is(err, unix.EAFNOSUPPORT) {
			return fd, err
		}
		// No IPv6 on this host: fall back to IPv4 for "tcp" wildcards.
	}
	var sa unix.SockaddrInet4
	sa.Port = ta.Port
	if !unspecified {
		copy(sa.Addr[:], ip.To4())
	}
	fd, err := socket(unix.AF_INET)
	if err != nil {
		return -1, err
	}
	if err = reuseAddr(fd); err == nil {
		err = bindListen(fd, &sa, backlog)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func listenTCP6(network string, ta *net.TCPAddr, unspecified bool, backlog int) (int, error) {
	var sa unix.SockaddrInet6
	sa.Port = ta.Port
	if !unspecified {
		copy(sa.Addr[:], ta.IP.To16())
	}
	if ta.Zone != "" {
		ifi, err := net.InterfaceByName(ta.Zone)
		if err != nil {
			return -1, err
		}
		sa.ZoneId = uint32(ifi.Index)
	}
	fd, err := socket(unix.AF_INET6)
	if err != nil {
		return -1, err
	}
	// Dual-stack only for a "tcp" wildcard, as net.Listen does.
	v6only := 1
	if network == "tcp" && unspecified {
		v6only = 0
	}
	if err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
		err = os.NewSyscallError("setsockopt", err)
	}
	if err == nil {
		err = reuseAddr(fd)
	}
	if err == nil {
		err = bindListen(fd, &sa, backlog)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func reuseAddr(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	return nil
}

func bindListen(fd int, sa unix.Sockaddr, backlog int) error {
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return os.NewSyscallError("listen", err)
	}
	return nil
}

// AddListener adds a listener created elsewhere (a *net.TCPListener or
// *net.UnixListener, anything implementing syscall.Conn). The loop works on
// a duplicate of its descriptor: the caller keeps ownership of ln and may
// close it, but must not Accept on it any more.
func (l *Loop) AddListener(ln net.Listener) (net.Addr, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("loop: AddListener: %T has no descriptor", ln)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("loop: AddListener: %w", err)
	}
	dup := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		dup, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, fmt.Errorf("loop: AddListener: %w", err)
	}
	if derr != nil {
		return nil, fmt.Errorf("loop: AddListener: %w", os.NewSyscallError("fcntl", derr))
	}
	a, err := l.AddListenerFD(dup)
	if err != nil {
		unix.Close(dup)
	}
	return a, err
}

// AddListenerFD adds a listening stream socket given as a raw descriptor
// (e.g. from socket activation). The loop takes ownership of fd and closes
// it on Close, but not if AddListenerFD fails.
func (l *Loop) AddListenerFD(fd int) (net.Addr, error) {
	if l.done {
		return nil, ErrClosed
	}
	if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && v == 0 {
		return nil, fmt.Errorf("loop: AddListenerFD: descriptor %d is not listening", fd)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, fmt.Errorf("loop: AddListenerFD: %w", os.NewSyscallError("getsockname", err))
	}
	_, isUnix := sa.(*unix.SockaddrUnix)
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, fmt.Errorf("loop: AddListenerFD: %w", os.NewSyscallError("setnonblock", err))
	}
	unix.CloseOnExec(fd)
	return l.addListener(fd, !isUnix, "")
}

func (l *Loop) addListener(fd int, tcp bool, unlink string) (net.Addr, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("getsockname", err)
	}
	ln := &listener{fd: fd, addr: sockaddrToAddr(sa), tcp: tcp, unlink: unlink}
	if err := l.poll.add(fd, Readable); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if l.acceptResume > 0 {
		ln.paused = true
		_ = l.poll.mod(fd, 0)
	}
	l.lns = append(l.lns, ln)
	return ln.addr, nil
}

func sockaddrToAddr(sa unix.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), sa.Addr[:]...)), Port: sa.Port}
	case *unix.SockaddrInet6:
		a := &net.TCPAddr{IP: net.IP(append([]byte(nil), sa.Addr[:]...)), Port: sa.Port}
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a.Zone = ifi.Name
			}
		}
		return a
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: "unix"}
	}
	return nil
}

// CloseListeners closes every listener now, so that new clients are
// refused, and keeps the connections. Like every Loop method other than
// Trigger and Shutdown it runs on the loop's goroutine: from elsewhere,
// pass it to Trigger.
func (l *Loop) CloseListeners() error {
	var errs []error
	for _, ln := range l.lns {
		if err := l.closeListener(ln); err != nil {
			errs = append(errs, err)
		}
	}
	l.lns = nil
	return errors.Join(errs...)
}
