package engine_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/gyrotls"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/internal/testcerts"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// serialOf formats a certificate serial as Pyro4's getpeercert() does.
func serialOf(certs []*x509.Certificate) string {
	if len(certs) == 0 {
		return "none"
	}
	return fmt.Sprintf("%X", certs[0].SerialNumber)
}

// PeerInfo tells a client which certificate the daemon saw, from the call
// context, as a Pyro4 method would from current_context.
type PeerInfo struct{}

func (PeerInfo) Serial(ctx context.Context) string {
	cc, ok := dispatch.FromContext(ctx)
	if !ok {
		return "no call context"
	}
	return serialOf(cc.Conn.PeerCertificates())
}

// tlsDaemon serves echo and PeerInfo with SSL on; require turns on client
// certificates. It returns the echo URI, the PeerInfo URI and the serials
// the handshake hook saw.
func tlsDaemon(t *testing.T, f *testcerts.Files, require bool, mutate func(*engine.Options)) (d *engine.Daemon, echoURI, peerURI string, seen func() []string) {
	t.Helper()
	var mu sync.Mutex
	var serials []string
	d, echoURI = startEcho(t, func(o *engine.Options) {
		o.Config.SSL = true
		o.Config.SSLServerCert, o.Config.SSLServerKey = f.ServerCert, f.ServerKeyEnc
		o.Config.SSLServerKeyPasswd = testcerts.Password
		if require {
			o.Config.SSLRequireClientCert, o.Config.SSLCACerts = true, f.CADir
		}
		o.Hooks.ValidateHandshake = func(conn *dispatch.Conn, data any) (any, error) {
			mu.Lock()
			serials = append(serials, serialOf(conn.PeerCertificates()))
			mu.Unlock()
			return "hello", nil
		}
		if mutate != nil {
			mutate(o)
		}
	})
	u, err := d.Register(PeerInfo{}, "peerinfo", false)
	if err != nil {
		t.Fatal(err)
	}
	return d, echoURI, u.String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), serials...)
	}
}

// tlsClientConfig is a Go client's config with SSL on.
func tlsClientConfig(ca, cert, key string) *config.Config {
	cfg := config.Default()
	cfg.SSL = true
	cfg.SSLCACerts, cfg.SSLClientCert, cfg.SSLClientKey = ca, cert, key
	return &cfg
}

// TestTLSGoProxy: gyro's proxy over TLS to a gyro daemon, two-way: the
// right certificate is served and seen by the handshake hook and the call
// context; a missing or foreign one is refused; a proxy that trusts
// another CA refuses the daemon.
func TestTLSGoProxy(t *testing.T) {
	f := testcerts.New(t)
	_, echoURI, peerURI, seen := tlsDaemon(t, f, true, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := serialOf([]*x509.Certificate{{SerialNumber: f.ClientSerial}})

	p, err := proxy.New(peerURI, proxy.Options{Config: tlsClientConfig(f.CACert, f.ClientCert, f.ClientKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.Call(ctx, "serial"); err != nil || v != want {
		t.Fatalf("Serial() = %v, %v; want %s", v, err, want)
	}
	if s := seen(); len(s) != 1 || s[0] != want {
		t.Fatalf("handshake hook saw %v, want [%s]", s, want)
	}

	// large messages span many records, partial requests and back-pressure
	e, err := proxy.New(echoURI, proxy.Options{Config: tlsClientConfig(f.CACert, f.ClientCert, f.ClientKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, size := range []int{1, 20 << 10, 5 << 20} {
		msg := strings.Repeat("x", size)
		if v, err := e.Call(ctx, "echo", msg); err != nil || v != msg {
			t.Fatalf("echo of %d bytes: %d bytes back, %v", size, len(fmt.Sprint(v)), err)
		}
	}

	for name, cfg := range map[string]*config.Config{
		"no client certificate":      tlsClientConfig(f.CACert, "", ""),
		"client cert of another CA":  tlsClientConfig(f.CACert, f.OtherClientCert, f.OtherClientKey),
		"client trusts another CA":   tlsClientConfig(f.OtherCACert, f.ClientCert, f.ClientKey),
		"plain client to TLS daemon": func() *config.Config { c := config.Default(); c.CommTimeout = 2 * time.Second; return &c }(),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := proxy.New(echoURI, proxy.Options{Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if v, err := p.Call(ctx, "echo", "hi"); err == nil {
				t.Fatalf("echo = %v, want a refusal", v)
			}
		})
	}
	if s := seen(); len(s) != 2 {
		t.Fatalf("handshake hook ran for %v, want only the two clients with our certificate", s)
	}
}

// pyro4SSLClient calls echo and Serial through a Pyro4 proxy with the SSL
// items of f, printing "OK <echo> <serial>" or "FAIL <type>: <message>".
const pyro4SSLClient = `
import os, Pyro4
try:
    with Pyro4.Proxy(os.environ["GYRO_ECHO"]) as p:
        e = p.echo("hi over tls")
    with Pyro4.Proxy(os.environ["GYRO_PEER"]) as p:
        s = p.serial()
    print("OK", e, s)
except Exception as x:
    print("FAIL %s: %s" % (type(x).__name__, str(x).replace("\n", " ")))
`

// TestTLSPyro4Proxy: Pyro4 4.82's proxy with SSL on against gyro, on
// every server type.
func TestTLSPyro4Proxy(t *testing.T) {
	pyrotest.Python(t)
	f := testcerts.New(t)
	_, echoURI, peerURI, seen := tlsDaemon(t, f, true, nil)
	_, echo1, peer1, _ := tlsDaemon(t, f, false, nil)
	client := serialOf([]*x509.Certificate{{SerialNumber: f.ClientSerial}})
	for _, tt := range []struct {
		name       string
		echo, peer string
		py         pyrotest.SSLFiles
		want       string // prefix of the verdict
	}{
		{"two-way, client certificate", echoURI, peerURI, pyrotest.SSLFiles{CACerts: f.CACert, ClientCert: f.ClientCert, ClientKey: f.ClientKeyEnc, ClientKeyPasswd: testcerts.Password}, "OK hi over tls " + client},
		{"two-way, no client certificate", echoURI, peerURI, pyrotest.SSLFiles{CACerts: f.CACert}, "FAIL"},
		{"two-way, client cert of another CA", echoURI, peerURI, pyrotest.SSLFiles{CACerts: f.CACert, ClientCert: f.OtherClientCert, ClientKey: f.OtherClientKey}, "FAIL"},
		{"Pyro4 trusts another CA", echoURI, peerURI, pyrotest.SSLFiles{CACerts: f.OtherCACert, ClientCert: f.ClientCert, ClientKey: f.ClientKey}, "FAIL CommunicationError: cannot connect to"},
		{"one-way", echo1, peer1, pyrotest.SSLFiles{CACerts: f.CACert}, "OK hi over tls none"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			env := append(tt.py.Env(), "GYRO_ECHO="+tt.echo, "GYRO_PEER="+tt.peer)
			out, err := pyrotest.Run(t, ctx, pyro4SSLClient, env...)
			if err != nil {
				t.Fatal(err)
			}
			if out = strings.TrimSpace(out); !strings.HasPrefix(out, tt.want) {
				t.Fatalf("Pyro4 client: %s\nwant %s...", out, tt.want)
			}
		})
	}
	if s := seen(); len(s) != 2 || s[0] != client || s[1] != client {
		t.Fatalf("handshake hook saw %v, want the client certificate twice (one connection per proxy)", s)
	}
}

// TestTLSSilentClientsDropped: a client that connects and never finishes
// the TLS handshake, one that stops inside a TLS record and one that
// stops inside a request are dropped after COMMTIMEOUT on every type.
func TestTLSSilentClientsDropped(t *testing.T) {
	f := testcerts.New(t)
	d, _, _, _ := tlsDaemon(t, f, false, func(o *engine.Options) { o.Config.CommTimeout = 200 * time.Millisecond })
	client := tlsClientConfig(f.CACert, "", "")
	cfg, err := gyrotls.ClientConfig(*client)
	if err != nil {
		t.Fatal(err)
	}
	dial := func(t *testing.T, handshake bool) (net.Conn, *tls.Conn) {
		nc, err := net.Dial("tcp", d.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		if !handshake {
			return nc, nil
		}
		tc := tls.Client(nc, gyrotls.ForHost(cfg, "127.0.0.1"))
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		rc := &rawClient{t: t, nc: tc}
		rc.handshake(echoID) // a complete exchange first: only what follows is partial
		return nc, tc
	}
	closed := func(t *testing.T, r io.Reader) {
		t.Helper()
		_, err := io.ReadAll(r)
		if errors.Is(err, net.ErrClosed) || isTimeout(err) {
			t.Fatalf("the daemon kept the connection: %v", err)
		}
	}
	t.Run("silent before the handshake", func(t *testing.T) {
		nc, _ := dial(t, false)
		closed(t, nc)
	})
	t.Run("half a TLS record", func(t *testing.T) {
		nc, tc := dial(t, true)
		nc.Write([]byte{23, 3, 3, 0, 100, 1, 2, 3}) // application data, 100 bytes announced
		closed(t, tc)
	})
	t.Run("half a request", func(t *testing.T) {
		_, tc := dial(t, true)
		tc.Write(header(uint16(wire.MsgInvoke), 0, 1, 100, 0, serial.IDSerpent)[:10])
		closed(t, tc)
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestTLSHostWarning: a daemon whose certificate does not cover the host in
// its URIs warns at start, as Pyro4's clients would refuse it; one whose
// certificate does stays quiet.
func TestTLSHostWarning(t *testing.T) {
	f := testcerts.New(t)
	for _, tt := range []struct {
		cert, key string
		warn      bool
	}{
		{f.ServerCert, f.ServerKey, false},
		{f.NamedServerCert, f.NamedServerKey, true},
	} {
		var logs bytes.Buffer
		cfg := testConfig()
		cfg.SSL, cfg.SSLServerCert, cfg.SSLServerKey = true, tt.cert, tt.key
		d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		got := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "127.0.0.1")
		if got != tt.warn {
			t.Errorf("%s: warned %v, want %v; log:\n%s", tt.cert, got, tt.warn, logs.String())
		}
	}
	cfg := testConfig()
	cfg.SSL = true
	if _, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg}); !errors.Is(err, gyrotls.ErrNoServerCert) {
		t.Errorf("SSL without SSL_SERVERCERT: %v, want ErrNoServerCert", err)
	}
}

// TestTLSPipelined: requests written in one go over TLS are all answered,
// in order, on every type.
func TestTLSPipelined(t *testing.T) {
	f := testcerts.New(t)
	d, _, _, _ := tlsDaemon(t, f, false, nil)
	cfg, err := gyrotls.ClientConfig(*tlsClientConfig(f.CACert, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := tls.Dial("tcp", d.Addr().String(), gyrotls.ForHost(cfg, "127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	c := &rawClient{t: t, nc: nc}
	c.handshake(echoID)
	const n = 300
	var batch []byte
	for i := 1; i <= n; i++ {
		data, err := serial.Serpent.MarshalCall(nil, &serial.Call{Object: echoID, Method: "echo", Args: []any{strings.Repeat("p", i*97)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		batch, err = wire.Append(batch, &wire.Message{Type: wire.MsgInvoke, Seq: uint16(i), SerializerID: serial.IDSerpent, Data: data}, &wire.Options{})
		if err != nil {
			t.Fatal(err)
		}
	}
	go nc.Write(batch) // the replies must be read meanwhile: they exceed the socket buffers
	for i := 1; i <= n; i++ {
		m := c.recv()
		v, err := serial.Serpent.Unmarshal(m.Data)
		if err != nil || m.Seq != uint16(i) || v != strings.Repeat("p", i*97) {
			t.Fatalf("reply %d: seq %d, %d bytes, %v", i, m.Seq, len(fmt.Sprint(v)), err)
		}
	}
}

// heldConn collects writes while hold is set and sends them in one go on
// release, so that several TLS records reach the daemon in one read.
type heldConn struct {
	net.Conn
	hold bool
	buf  []byte
}

func (h *heldConn) Write(p []byte) (int, error) {
	if h.hold {
		h.buf = append(h.buf, p...)
		return len(p), nil
	}
	return h.Conn.Write(p)
}

func (h *heldConn) release() error {
	h.hold = false
	_, err := h.Conn.Write(h.buf)
	return err
}

// TestTLSBadInput: a broken frame over TLS gets Pyro4's CONNECTFAIL and
// the connection closes; a CONNECT in the next TLS record of the same
// read is not handled.
func TestTLSBadInput(t *testing.T) {
	f := testcerts.New(t)
	d, _, _, seen := tlsDaemon(t, f, false, nil)
	cfg, err := gyrotls.ClientConfig(*tlsClientConfig(f.CACert, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Dial("tcp", d.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	hc := &heldConn{Conn: raw}
	nc := tls.Client(hc, gyrotls.ForHost(cfg, "127.0.0.1"))
	if err := nc.Handshake(); err != nil {
		t.Fatal(err)
	}
	connect := connectFrame(t)
	hc.hold = true
	nc.Write([]byte("GET / HTTP/1.0\r\nHost: gyro\r\n\r\n")) // one record each, a whole header
	nc.Write(connect)
	if err := hc.release(); err != nil {
		t.Fatal(err)
	}
	c := &rawClient{t: t, nc: nc}
	if reason := connectFailReason(t, c.recv(), serial.IDMarshal); reason != wire.ErrInvalidHeader.Error() {
		t.Fatalf("CONNECTFAIL %q", reason)
	}
	c.expectClosed()
	if s := seen(); len(s) != 0 {
		t.Fatalf("the CONNECT after the broken frame was handled: %v", s)
	}
}

// Two-way TLS as in Pyro4's ssl example: only clients with a certificate
// from ca_cert.pem get in, and the handshake hook checks whose it is.
func ExampleHooks_clientCertificate() {
	cfg, err := config.FromEnv() // or set the items here:
	if err != nil {
		log.Fatal(err)
	}
	cfg.SSL, cfg.SSLRequireClientCert = true, true
	cfg.SSLServerCert, cfg.SSLServerKey = "server_cert.pem", "server_key.pem"
	cfg.SSLCACerts = "ca_cert.pem"
	hooks := engine.Hooks{ValidateHandshake: func(conn *dispatch.Conn, data any) (any, error) {
		certs := conn.PeerCertificates() // verified against SSL_CACERTS; leaf first
		if len(certs) == 0 || !slices.Contains(certs[0].Subject.Organization, "Razorvine.net") {
			return nil, errors.New("client cert not accepted")
		}
		return "hello", nil
	}}
	d, err := engine.New(engine.Options{Config: &cfg, Hooks: hooks})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	d.RequestLoop(nil)
}

// connectFrame is a serpent CONNECT saying "hello", as a client sends it.
func connectFrame(tb testing.TB) []byte {
	tb.Helper()
	data, err := serial.Serpent.Marshal(nil, map[string]any{"handshake": "hello"}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	frame, err := wire.Append(nil, &wire.Message{Type: wire.MsgConnect, SerializerID: serial.IDSerpent, Data: data}, &wire.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return frame
}
