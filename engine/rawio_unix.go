//go:build unix

package engine

import (
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/internal/sockio"
)

// rawIO serves a plain connection of the thread type through its
// syscall.RawConn with sockio's calls, as the reactors read and write
// theirs: the runtime's netpoller still parks the goroutine until the
// socket is ready and still applies the connection's deadlines, but the
// reads and writes, which never wait, skip the syscall bookkeeping that
// keeps sysmon taking the P from a busy server mid-call (see sockio).
type rawIO struct {
	rc syscall.RawConn
	// the write in progress: its bytes, how many are written, the errno
	// that ended it
	p       []byte
	n       int
	err     error
	writeFn func(fd uintptr) bool
}

// rawServer returns a rawIO for nc where nc has a RawConn (a TCP or Unix
// connection; a TLS one does not), nil otherwise.
func rawServer(nc net.Conn) connServer {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawIO{rc: rc}
	r.writeFn = r.write
	return r
}

// Write writes all of p, waiting whenever the socket's buffer is full.
func (r *rawIO) Write(p []byte) (int, error) {
	r.p, r.n, r.err = p, 0, nil
	err := r.rc.Write(r.writeFn)
	n, werr := r.n, r.err
	r.p = nil
	if err == nil && werr != nil {
		err = os.NewSyscallError("sendto", werr)
	}
	return n, err
}

// write is the RawConn callback of Write: false asks to wait for the
// socket.
func (r *rawIO) write(fd uintptr) bool {
	for r.n < len(r.p) {
		n, err := sockio.Write(int(fd), r.p[r.n:])
		switch err {
		case nil:
			r.n += n
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			r.err = err
			return true
		}
	}
	return true
}

// serve is run's read loop, inside one RawConn read: a read that left
// nothing in the socket lets the loop wait for more at once, where a new
// RawConn read would prepare the poller afresh, forgetting what it saw
// arrive, and so has to try the socket first, a system call that finds it
// empty after every round of a busy connection. Data that arrives
// meanwhile is not missed: it wakes the wait, or has woken it already.
// The replies go out through r's Write (c.w).
func (r *rawIO) serve(c *threadConn) {
	var drained bool
	r.rc.Read(func(fd uintptr) bool {
		for {
			if !c.ready() {
				return true
			}
			if drained {
				drained = false
				return false
			}
			space := c.buf[len(c.buf):cap(c.buf)]
			k, err := sockio.Read(int(fd), space)
			switch {
			case err == unix.EINTR:
				continue
			case err == unix.EAGAIN:
				return false
			case err != nil || k == 0:
				return true
			}
			drained = k < len(space)
			if c.handle(k) {
				return true
			}
		}
	})
}
