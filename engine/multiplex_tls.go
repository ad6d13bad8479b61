package engine

import (
	"errors"
	"io"

	"github.com/gyro-rpc/gyro/gyrotls"
	"github.com/gyro-rpc/gyro/loop"
)

// multiplexTLS is the multiplex type's loop handler when SSL is on. Every
// connection has a gyrotls.Session: the ciphertext the loop read is fed
// to it and decrypted on the loop goroutine, the plaintext goes through
// the protocol Session as without TLS, and the replies are encrypted on
// the loop and queued with Conn.Write. No goroutine is kept per
// connection; only the TLS handshake runs on a short-lived one of
// gyrotls's, which wakes the loop with Trigger when it has something to
// send or has finished. A foreign loop driving the daemon through
// Sockets/Events runs the same code: Trigger wakes it through its
// wakeup descriptor.
type multiplexTLS struct {
	m       *multiplexServer
	scratch []byte // decrypted input, reused across connections
}

// tlsConn is one TLS connection of the multiplex type; only the loop
// goroutine touches it.
type tlsConn struct {
	ts      *gyrotls.Session
	s       *Session
	plain   []byte // decrypted input not processed yet: a partial request
	ct      []byte // ciphertext to queue, reused
	rec     records
	peerSet bool
	closing bool // no more requests are processed
}

func (h *multiplexTLS) OnOpen(c *loop.Conn) {
	m := h.m
	tc := &tlsConn{s: m.c.NewSession(c.RemoteAddr(), m.g.Go)}
	pump := func() { h.pump(c, tc) }
	tc.ts = gyrotls.NewServerSession(m.c.tls, m.c.TLSSessionOptions(func() {
		// from the handshake goroutine: continue on the loop
		m.l.Trigger(pump)
	}))
	c.SetContext(tc)
	c.SetPartial(true) // the handshake counts as a message in progress
}

func (h *multiplexTLS) OnData(c *loop.Conn, in []byte) int {
	tc := c.Context().(*tlsConn)
	fed := 0
	for {
		n, err := tc.ts.Feed(in[fed:])
		if err != nil && !errors.Is(err, gyrotls.ErrBufferFull) {
			h.close(c, tc) // the session failed already
			return len(in)
		}
		tc.rec.feed(in[fed : fed+n])
		fed += n
		h.pump(c, tc) // decrypting makes room in the session's buffer
		if fed == len(in) || n == 0 || tc.closing {
			return fed // the rest, if the buffer stayed full, comes again
		}
	}
}

func (h *multiplexTLS) OnClose(c *loop.Conn, err error) {
	tc, ok := c.Context().(*tlsConn)
	if !ok {
		return
	}
	tc.closing = true
	tc.ts.Close() // returns once a handshake goroutine has ended
	tc.s.Close()
}

// pump moves everything that is ready: the handshake's outcome, decrypted
// requests to the protocol session, replies and TLS records to the loop.
// It runs after each Feed and whenever the handshake goroutine woke the
// loop.
func (h *multiplexTLS) pump(c *loop.Conn, tc *tlsConn) {
	if tc.closing {
		return
	}
	done, err := tc.ts.HandshakeDone()
	if done && err != nil {
		h.fail(c, tc, err)
		return
	}
	if done && !tc.peerSet {
		tc.s.SetPeerCertificates(tc.ts.PeerCertificates())
		tc.peerSet = true
	}
	for done {
		buf := h.scratch[:0]
		if len(tc.plain) > 0 {
			// continue the partial request where it is kept
			if cap(tc.plain)-len(tc.plain) < readChunk/4 {
				grown := make([]byte, len(tc.plain), max(2*cap(tc.plain), len(tc.plain)+readChunk))
				copy(grown, tc.plain)
				tc.plain = grown
			}
			buf = tc.plain
		} else if cap(buf) < readChunk {
			buf = make([]byte, 0, readChunk)
			h.scratch = buf
		}
		k, err := tc.ts.ReadPlain(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if k > 0 && !h.process(c, tc, buf, len(tc.plain) > 0) {
			return
		}
		if errors.Is(err, gyrotls.ErrWouldBlock) {
			break
		}
		if err != nil {
			h.fail(c, tc, err)
			return
		}
	}
	h.send(c, tc)
	c.SetPartial(!done || tc.rec.partial() || len(tc.plain) > 0)
}

// process answers the complete requests in buf and keeps the partial one
// that may end it; inPlace says buf extends tc.plain. false means the
// connection is closing.
func (h *multiplexTLS) process(c *loop.Conn, tc *tlsConn, buf []byte, inPlace bool) bool {
	m := h.m
	off := 0
	for off < len(buf) {
		n, out, closeAfter := tc.s.Process(m.ctx, buf[off:], m.out[:0])
		m.out = out
		off += n
		if len(out) > 0 && !h.seal(c, tc, out) {
			return false
		}
		if closeAfter {
			h.close(c, tc)
			return false
		}
		if n == 0 {
			break // a partial request
		}
	}
	rest := buf[off:]
	if inPlace {
		tc.plain = buf[:copy(buf, rest)]
	} else {
		tc.plain = append(tc.plain[:0], rest...)
	}
	if len(tc.plain) == 0 && cap(tc.plain) > 4*readChunk {
		tc.plain = nil // a large request is done: give its memory back
	}
	return true
}

// seal encrypts replies and queues the records; false means the session
// failed and the connection is closing.
func (h *multiplexTLS) seal(c *loop.Conn, tc *tlsConn, out []byte) bool {
	for len(out) > 0 {
		n, err := tc.ts.WritePlain(out)
		out = out[n:]
		h.send(c, tc)
		if err != nil && !errors.Is(err, gyrotls.ErrBufferFull) {
			h.fail(c, tc, err)
			return false
		}
	}
	return true
}

// send queues the ciphertext the session has for the peer.
func (h *multiplexTLS) send(c *loop.Conn, tc *tlsConn) {
	if tc.ts.OutputLen() == 0 {
		return
	}
	tc.ct = tc.ts.Output(tc.ct[:0])
	c.Write(tc.ct) // copied
	if cap(tc.ct) > 4*readChunk {
		tc.ct = nil
	}
}

// fail ends a connection whose TLS failed or whose peer sent close_notify,
// after sending what the session has (an alert, say).
func (h *multiplexTLS) fail(c *loop.Conn, tc *tlsConn, err error) {
	if !errors.Is(err, io.EOF) {
		h.m.c.log.Debug("TLS connection failed", "client", c.RemoteAddr(), "error", err)
	}
	h.close(c, tc)
}

// close sends what the session has for the peer and closes gracefully;
// nothing more is processed.
func (h *multiplexTLS) close(c *loop.Conn, tc *tlsConn) {
	tc.closing = true
	h.send(c, tc)
	c.Close()
}

// records follows the TLS record framing of the fed ciphertext, to tell
// whether a record is half received: crypto/tls keeps such a record to
// itself, and COMMTIMEOUT must still apply to it.
type records struct {
	hdr  [5]byte
	nh   int // header bytes seen of the current record
	body int // body bytes still to come
}

func (r *records) feed(p []byte) {
	for len(p) > 0 {
		if r.body > 0 {
			k := min(r.body, len(p))
			r.body -= k
			p = p[k:]
			continue
		}
		k := copy(r.hdr[r.nh:], p)
		r.nh += k
		p = p[k:]
		if r.nh == len(r.hdr) {
			r.body = int(r.hdr[3])<<8 | int(r.hdr[4])
			r.nh = 0
		}
	}
}

func (r *records) partial() bool { return r.nh > 0 || r.body > 0 }
