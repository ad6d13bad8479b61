package gyrotls

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/testcerts"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testDeadline bounds every socket operation of a test.
const testDeadline = 30 * time.Second

func serverCfg(t *testing.T, f *testcerts.Files, requireClient bool) *tls.Config {
	t.Helper()
	c := config.Default()
	c.SSLServerCert, c.SSLServerKey = f.ServerCert, f.ServerKey
	c.SSLRequireClientCert, c.SSLCACerts = requireClient, f.CACert
	cfg, err := ServerConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func clientCfg(t *testing.T, ca, cert, key string) *tls.Config {
	t.Helper()
	c := config.Default()
	c.SSLCACerts, c.SSLClientCert, c.SSLClientKey = ca, cert, key
	cfg, err := ClientConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return ForHost(cfg, "localhost")
}

// notifier returns a Notify that wakes a one-slot channel, as a reactor's
// eventfd would.
func notifier() (func(), chan struct{}) {
	ch := make(chan struct{}, 1)
	return func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, ch
}

// reactor drives a server Session over conn the way a readiness loop does:
// every Session call happens on this one goroutine; a reader goroutine
// stands in for the socket's readable events. chunk is the most it feeds
// at once (1 feeds byte by byte). It echoes the plaintext it gets, and
// returns the handshake or read error that ended it (nil on a clean EOF).
func reactor(s *Session, conn net.Conn, wake <-chan struct{}, chunk int) error {
	stop := make(chan struct{})
	defer close(stop)
	reads := socketReads(conn, stop)
	flush := func() error {
		if out := s.Output(nil); len(out) > 0 {
			_, err := conn.Write(out)
			return err
		}
		return nil
	}
	plain := make([]byte, 4096)
	pump := func() error {
		for {
			n, err := s.ReadPlain(plain)
			for p := plain[:n]; len(p) > 0; {
				k, werr := s.WritePlain(p)
				p = p[k:]
				if werr != nil && !errors.Is(werr, ErrBufferFull) {
					return werr
				}
				if err := flush(); err != nil {
					return err
				}
			}
			switch {
			case errors.Is(err, io.EOF):
				return io.EOF
			case errors.Is(err, ErrWouldBlock):
				return flush()
			case err != nil:
				_ = flush() // an alert, or close_notify's answer
				return err
			}
		}
	}
	for {
		select {
		case <-wake:
			if err := flush(); err != nil {
				return err
			}
			if done, err := s.HandshakeDone(); done && err != nil {
				_ = flush()
				return err
			}
			if err := pump(); err != nil {
				return err
			}
		case b, ok := <-reads:
			if !ok {
				s.FeedEOF()
				if done, _ := s.HandshakeDone(); !done {
					<-wake // the handshake goroutine ends on EOF
				}
				if err := pump(); !errors.Is(err, io.EOF) {
					return err
				}
				return nil
			}
			for len(b) > 0 {
				n, err := s.Feed(b[:min(chunk, len(b))])
				b = b[n:]
				if err != nil && !errors.Is(err, ErrBufferFull) {
					return err
				}
				if err := pump(); err != nil {
					return err
				}
			}
		}
	}
}

// socketReads stands in for a socket's readable events: it sends what
// conn reads until an error (then closes the channel) or until stop.
func socketReads(conn net.Conn, stop <-chan struct{}) <-chan []byte {
	reads := make(chan []byte)
	go func() {
		defer close(reads)
		for {
			buf := make([]byte, 8192)
			n, err := conn.Read(buf)
			if n > 0 {
				select {
				case reads <- buf[:n]:
				case <-stop:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return reads
}

// loopback returns both ends of a loopback TCP connection.
func loopback(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := ln.Accept(); ch <- res{c, err} }()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	deadline := time.Now().Add(testDeadline)
	client.SetDeadline(deadline)
	r.c.SetDeadline(deadline)
	t.Cleanup(func() { client.Close(); r.c.Close() })
	return client, r.c
}

// startReactor runs a server Session on the server end of a loopback
// connection and returns the raw client end and the reactor's result.
func startReactor(t *testing.T, cfg *tls.Config, opts SessionOptions, chunk int) (net.Conn, *Session, <-chan error) {
	t.Helper()
	cconn, sconn := loopback(t)
	notify, wake := notifier()
	opts.Notify = notify
	s := NewServerSession(cfg, opts)
	done := make(chan error, 1)
	go func() {
		err := reactor(s, sconn, wake, chunk)
		if errors.Is(err, io.EOF) {
			err = nil // the client's close_notify
		}
		s.Close()
		if out := s.Output(nil); len(out) > 0 {
			sconn.Write(out)
		}
		sconn.Close()
		done <- err
	}()
	return cconn, s, done
}

func TestSessionEchoesRealTLSClient(t *testing.T) {
	f := testcerts.New(t)
	scfg := serverCfg(t, f, false)
	for _, tt := range []struct {
		name  string
		chunk int
		vers  uint16
	}{
		{"bytewise TLS1.3", 1, tls.VersionTLS13},
		{"bytewise TLS1.2", 1, tls.VersionTLS12},
		{"7-byte chunks TLS1.3", 7, tls.VersionTLS13},
		{"whole reads TLS1.3", 1 << 20, tls.VersionTLS13},
		{"whole reads TLS1.2", 1 << 20, tls.VersionTLS12},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw, _, done := startReactor(t, scfg, SessionOptions{}, tt.chunk)
			ccfg := clientCfg(t, f.CACert, "", "")
			ccfg.MaxVersion = tt.vers
			c := tls.Client(raw, ccfg)
			for _, msg := range []string{"PYRO first message", "second", string(bytes.Repeat([]byte("x"), 40000))} {
				if _, err := c.Write([]byte(msg)); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatal(err)
				}
				if string(got) != msg {
					t.Fatalf("echo of %d bytes differs", len(msg))
				}
			}
			if v := c.ConnectionState().Version; v != tt.vers {
				t.Fatalf("version %x, want %x", v, tt.vers)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatalf("reactor: %v", err)
			}
		})
	}
}

// Many megabytes through a session whose buffers are capped at one
// record's worth: every ErrBufferFull path is taken, nothing is lost.
func TestSessionLargeTransferSmallBuffers(t *testing.T) {
	f := testcerts.New(t)
	raw, _, done := startReactor(t, serverCfg(t, f, false), SessionOptions{MaxBuffered: 1}, 1<<20)
	c := tls.Client(raw, clientCfg(t, f.CACert, "", ""))
	data := make([]byte, 4<<20)
	rand.Read(data)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		werr <- err
	}()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("echoed data differs")
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("reactor: %v", err)
	}
}

func TestSessionClientCertificates(t *testing.T) {
	f := testcerts.New(t)
	scfg := serverCfg(t, f, true)
	for _, tt := range []struct {
		name      string
		cert, key string
		ok        bool
	}{
		{"signed by SSL_CACERTS", f.ClientCert, f.ClientKey, true},
		{"no certificate", "", "", false},
		{"signed by another CA", f.OtherClientCert, f.OtherClientKey, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw, s, done := startReactor(t, scfg, SessionOptions{}, 1<<20)
			c := tls.Client(raw, clientCfg(t, f.CACert, tt.cert, tt.key))
			_, err := c.Write([]byte("ping"))
			if err == nil {
				// TLS 1.3: the client finishes before the server has
				// judged its certificate; the verdict comes on read.
				_, err = io.ReadFull(c, make([]byte, 4))
			}
			if tt.ok != (err == nil) {
				t.Fatalf("client: err = %v, want success %v", err, tt.ok)
			}
			if tt.ok {
				peer := s.PeerCertificates()
				if len(peer) == 0 || peer[0].SerialNumber.Cmp(f.ClientSerial) != 0 {
					t.Fatalf("server sees peer %v, want the client certificate", peer)
				}
				c.Close()
			}
			rerr := <-done
			if tt.ok && rerr != nil || !tt.ok && rerr == nil {
				t.Fatalf("server: err = %v, want success %v", rerr, tt.ok)
			}
			if !tt.ok {
				if hsDone, hsErr := s.HandshakeDone(); !hsDone || hsErr == nil {
					t.Fatalf("HandshakeDone = %v, %v; want the verification error", hsDone, hsErr)
				}
			}
		})
	}
}

// A client that trusts another CA refuses the server; the server session
// learns the handshake failed and says so through ReadPlain.
func TestSessionHandshakeFailureReported(t *testing.T) {
	f := testcerts.New(t)
	raw, s, done := startReactor(t, serverCfg(t, f, false), SessionOptions{}, 1<<20)
	c := tls.Client(raw, clientCfg(t, f.OtherCACert, "", ""))
	if err := c.Handshake(); err == nil {
		t.Fatal("client accepted a server signed by a CA it does not trust")
	}
	c.Close()
	if err := <-done; err == nil {
		t.Fatal("reactor saw no error")
	}
	if _, err := s.ReadPlain(make([]byte, 1)); err == nil || errors.Is(err, ErrWouldBlock) {
		t.Fatalf("ReadPlain after a failed handshake: %v", err)
	}
}

// A plain (non-TLS) Pyro client hitting a TLS server fails the handshake
// with a clear error, and the session ends.
func TestSessionNotTLS(t *testing.T) {
	f := testcerts.New(t)
	notify, wake := notifier()
	s := NewServerSession(serverCfg(t, f, false), SessionOptions{Notify: notify})
	defer s.Close()
	if _, err := s.Feed([]byte("PYRO\x00\x30\x00\x01 plain pyro header.................")); err != nil {
		t.Fatal(err)
	}
	for {
		<-wake
		if done, err := s.HandshakeDone(); done {
			if err == nil {
				t.Fatal("handshake succeeded on plain text")
			}
			break
		}
	}
	if _, err := s.ReadPlain(make([]byte, 10)); err == nil || errors.Is(err, ErrWouldBlock) {
		t.Fatalf("ReadPlain: %v, want the handshake error", err)
	}
}

// Close stops a handshake in progress, with or without half a ClientHello
// fed; goleak (TestMain) checks the handshake goroutine is gone.
func TestSessionCloseDuringHandshake(t *testing.T) {
	f := testcerts.New(t)
	scfg := serverCfg(t, f, false)

	s := NewServerSession(scfg, SessionOptions{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if done, err := s.HandshakeDone(); !done || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("HandshakeDone after Close = %v, %v; want true, net.ErrClosed", done, err)
	}

	// Take a real ClientHello from a client session and feed half of it.
	notify, wake := notifier()
	c := NewClientSession(clientCfg(t, f.CACert, "", ""), SessionOptions{Notify: notify})
	<-wake // the ClientHello is written
	hello := c.Output(nil)
	if len(hello) == 0 {
		t.Fatal("Notify came without a ClientHello")
	}
	s = NewServerSession(scfg, SessionOptions{})
	if _, err := s.Feed(hello[:len(hello)/2]); err != nil {
		t.Fatal(err)
	}
	s.Close()
	c.Close()
	if _, err := s.ReadPlain(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("ReadPlain after Close: %v", err)
	}
	if _, err := s.Feed([]byte{1}); err == nil {
		t.Fatal("Feed after Close accepted")
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestSessionHandshakeTimeout(t *testing.T) {
	f := testcerts.New(t)
	notify, wake := notifier()
	s := NewServerSession(serverCfg(t, f, false), SessionOptions{Notify: notify, HandshakeTimeout: time.Millisecond})
	defer s.Close()
	<-wake
	done, err := s.HandshakeDone()
	if !done || err == nil {
		t.Fatalf("HandshakeDone = %v, %v; want a timeout", done, err)
	}
}

// pair runs a client and a server Session against each other in memory,
// moving Output to Feed, until both handshakes end.
type pair struct {
	c, s         *Session
	cwake, swake chan struct{}
}

func newPair(t testing.TB, scfg, ccfg *tls.Config, opts ...SessionOptions) *pair {
	t.Helper()
	p := &pair{}
	var cn, sn func()
	cn, p.cwake = notifier()
	sn, p.swake = notifier()
	var so SessionOptions
	if len(opts) > 0 {
		so = opts[0]
	}
	so.Notify = sn
	p.s = NewServerSession(scfg, so)
	p.c = NewClientSession(ccfg, SessionOptions{Notify: cn})
	t.Cleanup(func() { p.c.Close(); p.s.Close() })
	return p
}

// move carries pending ciphertext both ways; it reports whether any moved.
func (p *pair) move(t testing.TB) bool {
	t.Helper()
	moved := false
	for _, d := range [][2]*Session{{p.c, p.s}, {p.s, p.c}} {
		if out := d[0].Output(nil); len(out) > 0 {
			moved = true
			if _, err := d[1].Feed(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	return moved
}

func (p *pair) handshake(t testing.TB) {
	t.Helper()
	timer := time.NewTimer(testDeadline)
	defer timer.Stop()
	for {
		p.move(t)
		cd, cerr := p.c.HandshakeDone()
		sd, serr := p.s.HandshakeDone()
		if cd && sd {
			if cerr != nil || serr != nil {
				t.Fatalf("handshake: client %v, server %v", cerr, serr)
			}
			p.move(t) // the server's session tickets
			return
		}
		select {
		case <-p.cwake:
		case <-p.swake:
		case <-timer.C:
			t.Fatal("handshake did not finish")
		}
	}
}

func readAll(t *testing.T, s *Session) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 1000)
	for {
		n, err := s.ReadPlain(buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, ErrWouldBlock) {
			return got
		}
		if err != nil {
			t.Fatalf("ReadPlain: %v", err)
		}
	}
}

// Two Sessions talk in memory: plaintext the client wrote before the
// handshake ended is delivered, data flows both ways, and Close's
// close_notify reaches the peer as io.EOF.
func TestSessionPairInMemory(t *testing.T) {
	f := testcerts.New(t)
	p := newPair(t, serverCfg(t, f, true), clientCfg(t, f.CACert, f.ClientCert, f.ClientKey))
	if _, err := p.c.WritePlain([]byte("early")); err != nil {
		t.Fatal(err)
	}
	p.handshake(t)
	// Two established sessions, and no goroutine left for either of them.
	goleak.VerifyNone(t)
	p.move(t)
	if got := readAll(t, p.s); string(got) != "early" {
		t.Fatalf("server read %q, want the plaintext queued during the handshake", got)
	}
	if _, err := p.s.WritePlain([]byte("reply")); err != nil {
		t.Fatal(err)
	}
	p.move(t)
	if got := readAll(t, p.c); string(got) != "reply" {
		t.Fatalf("client read %q", got)
	}
	if cs := p.c.ConnectionState(); !cs.HandshakeComplete || cs.Version != tls.VersionTLS13 {
		t.Fatalf("connection state %+v", cs)
	}
	if err := p.c.Close(); err != nil {
		t.Fatal(err)
	}
	p.move(t)
	if _, err := p.s.ReadPlain(make([]byte, 10)); !errors.Is(err, io.EOF) {
		t.Fatalf("after close_notify: %v, want io.EOF", err)
	}
}

func TestSessionBuffersAreBounded(t *testing.T) {
	f := testcerts.New(t)
	s := NewServerSession(serverCfg(t, f, false), SessionOptions{MaxBuffered: minBuffered})
	defer s.Close()
	big := make([]byte, minBuffered+10)
	if n, err := s.WritePlain(big); !errors.Is(err, ErrBufferFull) || n != minBuffered {
		t.Fatalf("WritePlain during handshake = %d, %v; want %d, ErrBufferFull", n, err, minBuffered)
	}
	// Feed is checked in the pair below, where the handshake has ended and
	// fed bytes stay put until ReadPlain.
	p := newPair(t, serverCfg(t, f, false), clientCfg(t, f.CACert, "", ""), SessionOptions{MaxBuffered: minBuffered})
	p.handshake(t)
	chunk := make([]byte, 16<<10)
	var out []byte
	for i := 0; i < 12; i++ {
		if _, err := p.c.WritePlain(chunk); err != nil {
			t.Fatal(err)
		}
		out = p.c.Output(out)
	}
	n, err := p.s.Feed(out)
	if !errors.Is(err, ErrBufferFull) || n != minBuffered {
		t.Fatalf("Feed of %d = %d, %v; want a partial take and ErrBufferFull", len(out), n, err)
	}
	// The reader drains, then more goes in, and nothing is lost.
	got := len(readAll(t, p.s))
	for rest := out[n:]; len(rest) > 0; {
		n, err := p.s.Feed(rest)
		if err != nil && !errors.Is(err, ErrBufferFull) || n == 0 {
			t.Fatalf("Feed after draining: %d, %v", n, err)
		}
		rest = rest[n:]
		got += len(readAll(t, p.s))
	}
	if got != 12*len(chunk) {
		t.Fatalf("read %d plaintext bytes, want %d", got, 12*len(chunk))
	}
}

// Concurrent use from the reactor while the handshake goroutine runs must
// be race-free (run with -race).
func TestSessionConcurrentCallsDuringHandshake(t *testing.T) {
	f := testcerts.New(t)
	p := newPair(t, serverCfg(t, f, false), clientCfg(t, f.CACert, "", ""))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 100; i++ {
			p.s.ReadPlain(make([]byte, 8))
			p.s.OutputLen()
			p.s.PeerCertificates()
			p.s.HandshakeDone()
		}
	}()
	p.handshake(t)
	wg.Wait()
}

// BenchmarkSessionTransfer measures plaintext through a client and a
// server Session in memory (encrypt, move, decrypt), per 16 KiB write.
func BenchmarkSessionTransfer(b *testing.B) {
	f := testcerts.New(b)
	c := config.Default()
	c.SSLServerCert, c.SSLServerKey, c.SSLCACerts = f.ServerCert, f.ServerKey, f.CACert
	scfg, err := ServerConfig(c)
	if err != nil {
		b.Fatal(err)
	}
	ccfg, err := ClientConfig(c)
	if err != nil {
		b.Fatal(err)
	}
	p := newPair(b, scfg, ForHost(ccfg, "localhost"))
	p.handshake(b)
	msg := make([]byte, 16<<10)
	plain := make([]byte, 32<<10)
	var out []byte
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.c.WritePlain(msg); err != nil {
			b.Fatal(err)
		}
		out = p.c.Output(out[:0])
		if _, err := p.s.Feed(out); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < len(msg); {
			n, err := p.s.ReadPlain(plain)
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
}
