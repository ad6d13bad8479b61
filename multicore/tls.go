package multicore

import (
	"errors"
	"io"

	"github.com/panjf2000/gnet/v2"

	"github.com/gyro-rpc/gyro/gyrotls"
	"github.com/gyro-rpc/gyro/wire"
)

// readChunk is how much room decrypted input gets at a time: one TLS
// record's plaintext.
const readChunk = 16 << 10

// handler returns gnet's event handler: with SSL on, the TLS one.
func (s *server) handler() gnet.EventHandler {
	if s.c.TLSConfig() != nil {
		return &tlsHandler{handler{s: s}}
	}
	return &handler{s: s}
}

// tlsHandler is the multicore type with SSL on; gnet has no TLS. Each
// connection has a gyrotls.Session: OnTraffic feeds it what gnet read and
// decrypts on the loop, before framing; workers encrypt their replies in
// flush. Records are taken from the session and written under the
// connection's lock, by the loop (handshake, alerts) and by the worker
// (replies) alike, so they reach the socket in order. The handshake runs
// on a short-lived goroutine of gyrotls's that wakes the connection with
// gnet's Wake; none is kept per connection.
type tlsHandler struct{ handler }

func (h *tlsHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	out, act := h.handler.OnOpen(c)
	if act != gnet.None {
		return out, act
	}
	g := c.Context().(*gconn)
	g.tls = gyrotls.NewServerSession(h.s.c.TLSConfig(), h.s.c.TLSSessionOptions(func() {
		_ = c.Wake(nil) // from the handshake goroutine: continue on the loop
	}))
	return out, act
}

func (h *tlsHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	act := h.handler.OnClose(c, err)
	if g, ok := c.Context().(*gconn); ok && g.tls != nil {
		g.tls.Close() // returns once a handshake goroutine has ended
	}
	return act
}

// OnTraffic runs when gnet read ciphertext, and when the handshake
// goroutine, a worker or the ticker woke the connection.
func (h *tlsHandler) OnTraffic(c gnet.Conn) gnet.Action {
	g := c.Context().(*gconn)
	s := h.s
	g.lastActive.Store(s.since())
	g.outBuffered.Store(int64(c.OutboundBuffered()))
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		return gnet.None
	}
	done, err := g.tls.HandshakeDone()
	if done && err != nil {
		return h.fail(c, g, err)
	}
	if done && !g.peerSet {
		// no worker has had this session yet: nothing was decrypted before
		g.s.SetPeerCertificates(g.tls.PeerCertificates())
		g.peerSet = true
	}
	// Feed, decrypt and frame until nothing moves or back-pressure stops
	// it: gnet calls again only when more arrives or on Wake.
	act := gnet.None
	for progress := true; progress && act == gnet.None; {
		progress = false
		if n := c.InboundBuffered(); n > 0 {
			buf, _ := c.Peek(n)
			k, err := g.tls.Feed(buf)
			if k > 0 { // gnet's Discard(0) drops everything
				c.Discard(k) // the rest, if the session's buffer is full, after decrypting
			}
			if err != nil && !errors.Is(err, gyrotls.ErrBufferFull) {
				return gnet.Close
			}
			progress = k > 0
		}
		if !done {
			break // the handshake goroutine wakes the connection when it ends
		}
		for len(g.plain) < h.want(g) {
			if cap(g.plain)-len(g.plain) < readChunk/4 {
				grown := make([]byte, len(g.plain), max(2*cap(g.plain), len(g.plain)+readChunk))
				copy(grown, g.plain)
				g.plain = grown
			}
			k, err := g.tls.ReadPlain(g.plain[len(g.plain):cap(g.plain)])
			g.plain = g.plain[:len(g.plain)+k]
			progress = progress || k > 0
			if errors.Is(err, gyrotls.ErrWouldBlock) {
				break
			}
			if err != nil {
				if len(g.plain) > 0 {
					h.frame(g, &plainIn{b: g.plain}) // what came before close_notify
				}
				return h.fail(c, g, err)
			}
		}
		if len(g.plain) == 0 {
			continue
		}
		in := &plainIn{b: g.plain}
		act = h.frame(g, in)
		rest := copy(g.plain, in.b)
		progress = progress || rest < len(g.plain)
		g.plain = g.plain[:rest]
		if rest == 0 && cap(g.plain) > 4*readChunk {
			g.plain = nil // a large request is done: give its memory back
		}
		g.mu.Lock()
		if g.paused || g.dead {
			progress = false
		}
		g.mu.Unlock()
	}
	s.send(g, &g.ct, false) // handshake flights, alerts
	return act
}

// want is how much decrypted input to hold before framing: enough for
// the request at the front, and no more than the input back-pressure
// bound otherwise.
func (h *tlsHandler) want(g *gconn) int {
	if size, err := wire.FrameLen(g.plain, h.s.c.WireOptions()); err == nil && size > maxPendingIn {
		return size
	}
	return maxPendingIn
}

// fail sends what the session has for the peer (an alert) and closes.
func (h *tlsHandler) fail(c gnet.Conn, g *gconn, err error) gnet.Action {
	if !errors.Is(err, io.EOF) {
		h.s.c.Logger().Debug("TLS connection failed", "client", c.RemoteAddr(), "error", err)
	}
	h.s.send(g, &g.ct, true)
	return gnet.None
}

// flushTLS encrypts the worker's replies and sends the records.
func (s *server) flushTLS(g *gconn, closeAfter bool) {
	plain := g.out
	for {
		n, err := g.tls.WritePlain(plain)
		plain = plain[n:]
		failed := err != nil && !errors.Is(err, gyrotls.ErrBufferFull)
		last := len(plain) == 0 || failed
		s.send(g, &g.sealed, failed || (closeAfter && last))
		if last {
			break
		}
	}
	g.out = g.out[:0]
}

// plainIn is decrypted input as frame reads it.
type plainIn struct{ b []byte }

func (p *plainIn) Peek(n int) ([]byte, error) {
	if n > len(p.b) {
		return nil, io.ErrShortBuffer
	}
	return p.b[:n], nil
}

func (p *plainIn) Discard(n int) (int, error) {
	n = min(n, len(p.b))
	p.b = p.b[n:]
	return n, nil
}

func (p *plainIn) InboundBuffered() int { return len(p.b) }
