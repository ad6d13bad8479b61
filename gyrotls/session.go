package gyrotls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Defaults for SessionOptions.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxBuffered      = 1 << 20
	// minBuffered holds one whole TLS record: a smaller cap could never
	// make progress.
	minBuffered = 64 << 10
)

var (
	// ErrWouldBlock is ReadPlain's "nothing yet": feed more ciphertext (or
	// wait for the handshake) and call again.
	ErrWouldBlock = errors.New("gyrotls: would block")
	// ErrBufferFull: Feed or WritePlain would go past MaxBuffered. The
	// caller keeps what was not taken: read plaintext (after Feed) or send
	// Output (after WritePlain) first.
	ErrBufferFull = errors.New("gyrotls: session buffer full")
)

// SessionOptions tune a Session; the zero value gives the defaults.
type SessionOptions struct {
	// Notify is called from the session's handshake goroutine each time it
	// produced ciphertext to send, and once when the handshake finished
	// (either way). It must not block and must not call Close; waking the
	// reactor (an eventfd write, a channel send with default) is its job.
	// The reactor then sends Output and calls ReadPlain: application data
	// that arrived with the peer's last handshake flight is already
	// buffered and no socket readiness will announce it. Calls the
	// reactor makes itself (Feed, ReadPlain, WritePlain, Close) never call
	// Notify: the reactor checks Output after them.
	Notify func()
	// HandshakeTimeout bounds the handshake, and so the life of the
	// handshake goroutine; DefaultHandshakeTimeout when zero.
	HandshakeTimeout time.Duration
	// MaxBuffered caps the ciphertext fed and not yet decrypted, the
	// ciphertext waiting in Output (give or take one record's overhead), and
	// the plaintext queued before the handshake ends, each;
	// DefaultMaxBuffered when zero, never less than one TLS record.
	MaxBuffered int
}

type sessionState int

const (
	handshaking sessionState = iota
	established
	failed
	closed
)

// Session is TLS for a readiness-driven reactor: the reactor feeds the
// ciphertext it read from the socket and takes plaintext out, writes
// plaintext and takes ciphertext to send. It holds no goroutine once the
// handshake is over; during the handshake one goroutine runs crypto/tls's
// blocking handshake over an in-memory conn, because a tls.Conn cannot
// resume a handshake that saw an error.
//
// A Session is safe for concurrent use, but a reactor normally drives it
// from its one goroutine; only Notify comes from elsewhere.
type Session struct {
	tc     *tls.Conn
	mc     *memConn
	notify func()
	limit  int
	cancel context.CancelFunc
	done   chan struct{} // closed when the handshake goroutine has returned

	mu      sync.Mutex
	state   sessionState
	hsErr   error
	pending []byte // plaintext written during the handshake
	ok      bool   // the handshake succeeded (state may have moved on to closed)
}

// NewServerSession starts the server side of a TLS connection, with cfg
// from ServerConfig (or any server *tls.Config).
func NewServerSession(cfg *tls.Config, opts SessionOptions) *Session {
	return newSession(cfg, opts, tls.Server)
}

// NewClientSession starts the client side; cfg must name the server
// (ForHost) unless it skips verification. The ClientHello is ready in
// Output when Notify is first called.
func NewClientSession(cfg *tls.Config, opts SessionOptions) *Session {
	return newSession(cfg, opts, tls.Client)
}

func newSession(cfg *tls.Config, opts SessionOptions, side func(net.Conn, *tls.Config) *tls.Conn) *Session {
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if opts.MaxBuffered <= 0 {
		opts.MaxBuffered = DefaultMaxBuffered
	}
	s := &Session{notify: opts.Notify, limit: max(opts.MaxBuffered, minBuffered), done: make(chan struct{})}
	s.mc = newMemConn(opts.Notify)
	s.tc = side(s.mc, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), opts.HandshakeTimeout)
	s.cancel = cancel
	go s.handshake(ctx)
	return s
}

func (s *Session) handshake(ctx context.Context) {
	defer close(s.done)
	// On ctx's end crypto/tls closes the conn, which ends a blocked Read.
	err := s.tc.HandshakeContext(ctx)
	s.cancel()
	s.mc.stopBlocking()
	s.mu.Lock()
	if s.state == handshaking {
		if err == nil && len(s.pending) > 0 {
			_, err = s.tc.Write(s.pending)
			s.pending = nil
		}
		if err != nil {
			s.state, s.hsErr = failed, fmt.Errorf("gyrotls: handshake: %w", err)
		} else {
			s.state, s.ok = established, true
		}
	}
	s.mu.Unlock()
	if s.notify != nil {
		s.notify()
	}
}

// Feed hands the session ciphertext read from the socket. It takes at
// most up to MaxBuffered undecrypted bytes and returns how many it took,
// with ErrBufferFull when not all: call ReadPlain, then feed the rest.
func (s *Session) Feed(ciphertext []byte) (int, error) {
	return s.mc.feed(ciphertext, s.limit)
}

// FeedEOF tells the session the peer closed the connection: a handshake
// in progress fails at once, and ReadPlain returns io.EOF (clean, after a
// close_notify or at a record boundary) or an error once the fed
// ciphertext is used up.
func (s *Session) FeedEOF() { s.mc.feedEOF() }

// ReadPlain decrypts into p. It returns ErrWouldBlock while the handshake
// runs or when the fed ciphertext holds no whole record; io.EOF after the
// peer's close_notify; the handshake's error if it failed. Call it until
// ErrWouldBlock after every Feed and after Notify.
func (s *Session) ReadPlain(p []byte) (int, error) {
	if err := s.usable(); err != nil {
		return 0, err
	}
	n, err := s.tc.Read(p)
	if errors.Is(err, errWouldBlock) {
		if n > 0 {
			return n, nil
		}
		return 0, ErrWouldBlock
	}
	return n, err
}

// WritePlain encrypts p into Output. During the handshake p is queued and
// encrypted when it ends. It takes as much as fits under MaxBuffered and
// reports ErrBufferFull with the count taken when that is not all of p.
func (s *Session) WritePlain(p []byte) (int, error) {
	s.mu.Lock()
	if s.state == handshaking {
		defer s.mu.Unlock()
		n := min(len(p), max(s.limit-len(s.pending), 0))
		s.pending = append(s.pending, p[:n]...)
		if n < len(p) {
			return n, ErrBufferFull
		}
		return n, nil
	}
	s.mu.Unlock()
	if err := s.usable(); err != nil {
		return 0, err
	}
	_, out := s.mc.lens()
	n := min(len(p), max(s.limit-out, 0))
	if n > 0 {
		if _, err := s.tc.Write(p[:n]); err != nil {
			return 0, err
		}
	}
	if n < len(p) {
		return n, ErrBufferFull
	}
	return n, nil
}

// usable returns nil once the session is established, else why not.
func (s *Session) usable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case handshaking:
		return ErrWouldBlock
	case failed:
		return s.hsErr
	case closed:
		return net.ErrClosed
	}
	return nil
}

// Output appends the ciphertext waiting to be sent to dst and returns it;
// the session forgets it, so the caller sends (or buffers) all of it.
func (s *Session) Output(dst []byte) []byte { return s.mc.output(dst) }

// OutputLen is how much ciphertext waits in Output, to decide whether to
// ask the reactor for write readiness.
func (s *Session) OutputLen() int {
	_, out := s.mc.lens()
	return out
}

// HandshakeDone reports whether the handshake finished, and its error
// (net.ErrClosed when Close stopped it).
func (s *Session) HandshakeDone() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.hsErr != nil:
		return true, s.hsErr // even once closed: the reason is what a log wants
	case s.state == closed && !s.ok:
		return true, net.ErrClosed // closed before the handshake finished
	}
	return s.state != handshaking, nil
}

// ConnectionState is the tls.ConnectionState once the handshake is done,
// the zero value before.
func (s *Session) ConnectionState() tls.ConnectionState {
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	if st != established {
		return tls.ConnectionState{}
	}
	return s.tc.ConnectionState()
}

// PeerCertificates are the certificates the peer presented, leaf first;
// nil before the handshake or when it sent none.
func (s *Session) PeerCertificates() []*x509.Certificate {
	return s.ConnectionState().PeerCertificates
}

// Close ends the session. An established session queues a close_notify in
// Output, to be sent before closing the socket. Close stops a handshake in
// progress and returns once its goroutine has returned. It returns nil;
// calling it again does nothing.
func (s *Session) Close() error {
	s.mu.Lock()
	prev := s.state
	s.state = closed
	s.pending = nil
	s.mu.Unlock()
	if prev == closed {
		return nil
	}
	s.cancel()
	<-s.done
	if prev == established {
		// Queues close_notify, then closes the memConn.
		_ = s.tc.Close()
	}
	return s.mc.Close()
}
