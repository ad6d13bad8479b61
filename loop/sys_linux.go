//go:build linux

package loop

import (
	"encoding/binary"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// socket creates a non-blocking, close-on-exec stream socket atomically.
func socket(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// accept returns a non-blocking, close-on-exec connection; errors are raw
// errnos so the caller can tell EAGAIN from real failures.
func accept(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}

// readSocket and writeSocket read and write a connection's socket.
// recvfrom and sendto without an address go from the socket layer straight
// to the protocol, where read and write pass through the file layer
// first; every connection the loop serves is a socket. MSG_NOSIGNAL: a
// peer that reset the connection gets the write an EPIPE, not the process
// a SIGPIPE. Errors are raw errnos, as from unix.Read and unix.Write, so
// the callers can tell EAGAIN apart.
//
// Both are raw system calls, without the runtime's syscall bookkeeping:
// the sockets are non-blocking, so the call never waits, and with the
// bookkeeping a loop that spends much of its time in short sends and
// receives keeps sysmon at its shortest period taking the P away from
// it mid-call, which the loop then has to win back (on a loaded core a
// context switch or two per round). The loop's one blocking call,
// epoll_wait, keeps the bookkeeping so the P serves other goroutines
// while it waits.
func readSocket(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func writeSocket(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// waker is an eventfd: one descriptor, readable while its counter is non-zero.
type waker struct{ rfd, wfd int }

func newWaker() (waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return waker{-1, -1}, os.NewSyscallError("eventfd", err)
	}
	return waker{fd, fd}, nil
}

func (w waker) wake() {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	// EAGAIN means the counter is saturated: the loop is awake anyway.
	_, _ = unix.Write(w.wfd, b[:])
}

func (w waker) drain() {
	var b [8]byte
	_, _ = unix.Read(w.rfd, b[:]) // one read resets the counter
}

func (w waker) close() error {
	if err := unix.Close(w.rfd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
