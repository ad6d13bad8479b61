//go:build unix && !linux

package loop

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

func socket(family int) (int, error) {
	// ForkLock keeps a concurrent fork+exec from inheriting the descriptor
	// before it is marked close-on-exec.
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("setnonblock", err)
	}
	return fd, nil
}

func accept(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, nil, err
	}
	return nfd, sa, nil
}

// waker is a self-pipe: wake writes a byte, drain empties the pipe.
type waker struct{ rfd, wfd int }

func newWaker() (waker, error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return waker{-1, -1}, os.NewSyscallError("pipe", err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return waker{-1, -1}, os.NewSyscallError("setnonblock", err)
		}
	}
	return waker{p[0], p[1]}, nil
}

func (w waker) wake() {
	// EAGAIN means the pipe is full: the loop is awake anyway.
	_, _ = unix.Write(w.wfd, []byte{1})
}

func (w waker) drain() {
	var b [64]byte
	for {
		n, err := unix.Read(w.rfd, b[:])
		if n <= 0 || err != nil {
			return
		}
	}
}

func (w waker) close() error {
	err1 := unix.Close(w.rfd)
	err2 := unix.Close(w.wfd)
	if err1 != nil {
		return os.NewSyscallError("close", err1)
	}
	if err2 != nil {
		return os.NewSyscallError("close", err2)
	}
	return nil
}
