//go:build unix

package loop

import (
	"net"
	"os"

	"github.com/valyala/bytebufferpool"
	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/internal/sockio"
)

const (
	stateOpen    uint8 = iota
	stateClosing       // Close called or peer EOF: flushing, no more input
	stateClosed
)

// Conn is one accepted connection. Its methods must be called on the loop
// goroutine (from Handler callbacks, the Tick, or functions passed to
// Trigger); other goroutines hand work back with Loop.Trigger. A Conn is
// never reused, so it is safe to keep references after OnClose: its methods
// then report ErrClosed or zero values.
type Conn struct {
	l        *Loop
	fd       int
	listener *listener
	remote   net.Addr
	local    net.Addr
	ctx      any

	in    *bytebufferpool.ByteBuffer // unconsumed input; nil when none
	out   *bytebufferpool.ByteBuffer // output; out.B[off:] is not yet sent
	off   int
	state uint8
	err   error // why the connection is closing
	mask  Interest
	dirty bool

	paused       bool  // back-pressure: not reading
	partial      bool  // the handler holds part of a message (SetPartial)
	lastActive   int64 // last consumed input or accepted output
	readDeadline int64 // partial input must complete by then; 0: none
	hidx         int   // position in the timer heap; -1: not in it
	hkey         int64 // heap key, <= the real deadline
}

// Write appends p to c's output. The output is written at the end of the
// current step (after all ready events are handled); what the kernel does
// not accept stays queued and is sent when the socket becomes writable, so
// Write never blocks. Write copies p, except that a write of directWrite
// bytes or more with nothing queued before it goes to the kernel at once
// (coalescing gains nothing at that size, and the copy is saved); only
// what the kernel does not take is queued. It returns ErrClosed after
// Close or once the connection is closing; it never returns a short count
// otherwise.
func (c *Conn) Write(p []byte) (int, error) {
	if c.state != stateOpen {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	total := len(p)
	if total >= directWrite && c.pending() == 0 {
		// an error is left for the flush that follows to meet again
		n, _ := c.writeSome(p)
		if n == len(p) {
			return total, nil
		}
		p = p[n:]
	}
	if c.out == nil {
		c.out = bufPool.Get()
	} else if c.off > 0 && c.off >= len(c.out.B)-c.off {
		// The sent prefix outweighs the rest: compact (amortised O(1)).
		c.out.B = c.out.B[:copy(c.out.B, c.out.B[c.off:])]
		c.off = 0
	}
	c.out.B = append(c.out.B, p...)
	c.l.markDirty(c)
	return total, nil
}

// directWrite is the size from which Write tries the kernel first.
const directWrite = 32 << 10

// writeSome writes what the kernel takes of p without blocking and
// returns how much; EAGAIN is no error, others come back as the write's.
func (c *Conn) writeSome(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := sockio.Write(c.fd, p[done:])
		if n > 0 {
			done += n
			c.lastActive = c.l.now
		}
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return done, nil
		case err != nil:
			return done, os.NewSyscallError("write", err)
		case n <= 0:
			return done, nil
		}
	}
	return done, nil
}

// Close closes c gracefully: no more input is delivered, pending output is
// flushed, then the descriptor is closed and OnClose(c, nil) is called (at
// the end of the current step at the earliest, never from within Close).
// Closing a closing or closed connection does nothing.
func (c *Conn) Close() {
	c.l.closeConn(c, nil)
}

// Fd returns the connection's descriptor, e.g. for setsockopt. Do not read,
// write or close it. After OnClose the number may belong to another file.
func (c *Conn) Fd() int { return c.fd }

// RemoteAddr returns the peer's address (*net.TCPAddr or *net.UnixAddr).
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// LocalAddr returns the local address of the connection.
func (c *Conn) LocalAddr() net.Addr {
	if c.local == nil {
		if c.state != stateClosed {
			if sa, err := unix.Getsockname(c.fd); err == nil {
				c.local = sockaddrToAddr(sa)
			}
		}
		if c.local == nil {
			return c.listener.addr
		}
	}
	return c.local
}

// Loop returns the loop that owns c.
func (c *Conn) Loop() *Loop { return c.l }

// SetContext attaches an arbitrary value (the owner's session) to c.
func (c *Conn) SetContext(v any) { c.ctx = v }

// Context returns the value set by SetContext.
func (c *Conn) Context() any { return c.ctx }

// OutboundBuffered reports the bytes written but not yet accepted by the
// kernel.
func (c *Conn) OutboundBuffered() int { return c.pending() }

// InboundBuffered reports the bytes read but not yet consumed by OnData.
func (c *Conn) InboundBuffered() int {
	if c.in == nil {
		return 0
	}
	return len(c.in.B)
}

// Paused reports whether the loop stopped reading from c because of
// back-pressure (see Options.MaxWriteBuffer).
func (c *Conn) Paused() bool { return c.paused }

func (c *Conn) pending() int {
	if c.out == nil {
		return 0
	}
	return len(c.out.B) - c.off
}

func (c *Conn) releaseIn() {
	if c.in != nil {
		bufPool.Put(c.in)
		c.in = nil
	}
}

// deadline returns when c times out, or noDeadline.
func (c *Conn) deadline(l *Loop) int64 {
	d := int64(noDeadline)
	if l.idle > 0 {
		d = c.lastActive + l.idle
	}
	if c.readDeadline != 0 && c.readDeadline < d {
		d = c.readDeadline
	}
	return d
}
