//go:build linux

package loop

import (
	"encoding/binary"
	"os"

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
