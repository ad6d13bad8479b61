//go:build linux

package sockio

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Read and Write read and write a connected, non-blocking socket.
//
// recvfrom and sendto without an address go from the socket layer straight
// to the protocol, where read and write pass through the file layer
// first. MSG_NOSIGNAL: a peer that reset the connection gets the write an
// EPIPE, not the process a SIGPIPE. Errors are raw errnos, as from
// unix.Read and unix.Write, so callers can tell EAGAIN apart.
//
// Both are raw system calls, without the runtime's syscall bookkeeping:
// the socket is non-blocking, so the call never waits, and with the
// bookkeeping a reactor that spends much of its time in short sends and
// receives keeps sysmon at its shortest period taking the P away from it
// mid-call, which the reactor then has to win back (on a loaded core a
// context switch or two per round). A reactor's blocking call, its
// epoll_wait, keeps the bookkeeping so the P serves other goroutines
// while it waits.
func Read(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// Write: see Read.
func Write(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
