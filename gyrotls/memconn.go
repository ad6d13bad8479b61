package gyrotls

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"
)

// errWouldBlock is what memConn.Read returns when no ciphertext is buffered
// after the handshake. crypto/tls does not record a net.Error whose
// Temporary() is true as the connection's read error (Conn.readRecordOrCCS),
// and it keeps a partial record in its own buffer, so the next Read, after
// more is fed, carries on where this one stopped.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "gyrotls: no ciphertext buffered" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// memConn is the net.Conn a Session's tls.Conn runs over: reads take what
// the reactor fed, writes collect what the reactor must send. Reads block
// only while blocking is set (the handshake, which crypto/tls cannot resume
// after an error); after it they return errWouldBlock at once.
type memConn struct {
	mu       sync.Mutex
	in       bytes.Buffer // fed, not yet read by crypto/tls
	out      bytes.Buffer // written by crypto/tls, not yet taken
	blocking bool
	eof      bool // the peer closed its side: Read returns io.EOF once in is empty
	closed   bool
	wake     chan struct{} // a blocked Read waits on it; capacity 1
	closedCh chan struct{}
	notify   func() // called after a write while blocking (the handshake goroutine)
}

func newMemConn(notify func()) *memConn {
	return &memConn{blocking: true, wake: make(chan struct{}, 1), closedCh: make(chan struct{}), notify: notify}
}

func (m *memConn) Read(p []byte) (int, error) {
	for {
		m.mu.Lock()
		switch {
		case m.in.Len() > 0:
			n, _ := m.in.Read(p)
			m.mu.Unlock()
			return n, nil
		case m.closed:
			m.mu.Unlock()
			return 0, net.ErrClosed
		case m.eof:
			m.mu.Unlock()
			return 0, io.EOF
		case !m.blocking:
			m.mu.Unlock()
			return 0, errWouldBlock
		}
		m.mu.Unlock()
		select {
		case <-m.wake:
		case <-m.closedCh:
		}
	}
}

func (m *memConn) Write(p []byte) (int, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return 0, net.ErrClosed
	}
	m.out.Write(p)
	hs := m.blocking
	m.mu.Unlock()
	if hs && m.notify != nil {
		m.notify()
	}
	return len(p), nil
}

// feed appends ciphertext, up to max buffered bytes in all.
func (m *memConn) feed(p []byte, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.eof {
		return 0, net.ErrClosed
	}
	n := len(p)
	if room := limit - m.in.Len(); n > room {
		n = max(room, 0)
	}
	m.in.Write(p[:n])
	m.signal()
	if n < len(p) {
		return n, ErrBufferFull
	}
	return n, nil
}

func (m *memConn) feedEOF() {
	m.mu.Lock()
	m.eof = true
	m.signal()
	m.mu.Unlock()
}

func (m *memConn) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *memConn) stopBlocking() {
	m.mu.Lock()
	m.blocking = false
	m.mu.Unlock()
}

func (m *memConn) output(dst []byte) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	dst = append(dst, m.out.Bytes()...)
	m.out.Reset()
	return dst
}

func (m *memConn) lens() (in, out int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.in.Len(), m.out.Len()
}

// Close stops reads and writes; ciphertext already written stays
// available to output, so a close_notify queued before it is still sent.
func (m *memConn) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.closedCh)
	}
	return nil
}

// Deadlines are the reactor's business: crypto/tls only sets one around
// close_notify, whose write never blocks here.
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }
func (m *memConn) LocalAddr() net.Addr              { return memAddr{} }
func (m *memConn) RemoteAddr() net.Addr             { return memAddr{} }

type memAddr struct{}

func (memAddr) Network() string { return "gyrotls" }
func (memAddr) String() string  { return "session" }
