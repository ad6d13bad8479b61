package multicore

import (
	"github.com/panjf2000/gnet/v2"

	"github.com/gyro-rpc/gyro/wire"
)

// trackPartial runs when OnTraffic returns, with the time it started and
// how many bytes gnet buffered then: it records what COMMTIMEOUT is
// counted from. Taking a request is activity; bytes left that start a
// request begin its clock, which later bytes of the same request do not
// reset, so a client trickling a request cannot hold the connection.
// Input left for back-pressure is the server's wait, not the client's.
func (g *gconn) trackPartial(c gnet.Conn, now int64, before int) {
	left := c.InboundBuffered()
	g.mu.Lock()
	paused := g.paused
	g.mu.Unlock()
	took := left < before
	if took {
		g.lastActive.Store(now)
	}
	switch {
	case left == 0 || paused:
		g.partialSince.Store(0)
	case took || g.partialSince.Load() == 0:
		g.partialSince.Store(now)
	}
}

// timedOut applies COMMTIMEOUT to a connection no worker holds: a request
// must be complete within ct of its first byte, and a connection with no
// request in progress must show activity (a request taken or a reply
// written) within ct.
func (g *gconn) timedOut(now, ct int64) bool {
	if p := g.partialSince.Load(); p != 0 {
		return now-p > ct
	}
	return now-g.lastActive.Load() > ct
}

// MaxUnreadInput is how many bytes of input a connection held back for
// back-pressure (its replies are not being read) may have waiting, beyond
// the request at their front. gnet cannot stop reading one connection:
// it reads whatever the socket has into the connection's buffer. Where
// the other server types stop reading such a client, and its own socket
// buffers push back, this type closes the connection once that much is
// buffered.
const MaxUnreadInput = 1 << 20

// overfull reports whether a paused connection has buffered more input
// than MaxUnreadInput beyond the request at the front of it.
func (g *gconn) overfull(c inbound, opts *wire.Options) bool {
	buffered := c.InboundBuffered()
	if buffered <= MaxUnreadInput {
		return false
	}
	front := 0
	if hdr, err := c.Peek(wire.HeaderSize); err == nil {
		front, _ = wire.FrameLen(hdr, opts)
	}
	return buffered-front > MaxUnreadInput
}
