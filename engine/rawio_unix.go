//go:build unix

package engine

import (
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/internal/sockio"
)

// rawIO reads and writes a plain connection of the thread type through
// its syscall.RawConn with sockio's calls, as the reactors do: the
// runtime's netpoller still parks the goroutine until the socket is ready
// and still applies the connection's deadlines, but the reads and writes,
// which never wait, skip the syscall bookkeeping that keeps sysmon taking
// the P from a busy server mid-call (see sockio).
type rawIO struct {
	rc syscall.RawConn
	// what a Read and a Write have in hand, apart as for a net.Conn
	// one goroutine may read while another writes
	rd, wr  rawOp
	readFn  func(fd uintptr) bool
	writeFn func(fd uintptr) bool
}

// rawOp is a read or write in progress: its buffer, the bytes done, the
// errno that ended it.
type rawOp struct {
	p   []byte
	n   int
	err error
}

// plainIO returns what the thread type reads and writes for a connection
// without TLS: a rawIO where nc has a RawConn, nc itself otherwise.
func plainIO(nc net.Conn) io.ReadWriter {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	r := &rawIO{rc: rc}
	r.readFn, r.writeFn = r.read, r.write
	return r
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.rd = rawOp{p: p}
	err := r.rc.Read(r.readFn)
	n, rerr := r.rd.n, r.rd.err
	r.rd = rawOp{}
	switch {
	case err != nil: // a deadline, a close
		return 0, err
	case rerr != nil:
		return 0, os.NewSyscallError("recvfrom", rerr)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// read is the RawConn callback of Read: false asks to wait for the socket.
func (r *rawIO) read(fd uintptr) bool {
	for {
		r.rd.n, r.rd.err = sockio.Read(int(fd), r.rd.p)
		switch r.rd.err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			r.rd.err = nil
			return false
		}
		return true
	}
}

func (r *rawIO) Write(p []byte) (int, error) {
	r.wr = rawOp{p: p}
	err := r.rc.Write(r.writeFn)
	n, werr := r.wr.n, r.wr.err
	r.wr = rawOp{}
	if err == nil && werr != nil {
		err = os.NewSyscallError("sendto", werr)
	}
	return n, err
}

// write is the RawConn callback of Write: it writes all of r.wr.p, asking
// to wait whenever the socket's buffer is full.
func (r *rawIO) write(fd uintptr) bool {
	w := &r.wr
	for w.n < len(w.p) {
		n, err := sockio.Write(int(fd), w.p[w.n:])
		switch err {
		case nil:
			w.n += n
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			w.err = err
			return true
		}
	}
	return true
}

// serve is run's read loop for a connection without TLS, inside one
// RawConn read: a read that left nothing in the socket lets the loop
// wait for more at once, where a new read would prepare the poller
// afresh, forgetting what it saw arrive, and so has to try the socket
// first, a system call that finds it empty after every round of a busy
// connection. Data that arrives meanwhile is not missed: it wakes the
// wait, or has woken it already.
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
