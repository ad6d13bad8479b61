package gyrotls

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/internal/testcerts"
)

// served is what a Go test server saw of one connection.
type served struct {
	peer []*x509.Certificate
	err  error
}

// goServer listens on 127.0.0.1 and serves one connection with cfg, the
// thread way (tls.Server over the net.Conn) or the reactor way (Session),
// echoing four bytes.
func goServer(t *testing.T, cfg *tls.Config, reactorStyle bool) (port int, result <-chan served) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan served, 1)
	finished := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-finished })
	go func() {
		defer close(finished)
		conn, err := ln.Accept()
		if err != nil {
			res <- served{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(testDeadline))
		if reactorStyle {
			notify, wake := notifier()
			s := NewServerSession(cfg, SessionOptions{Notify: notify})
			err := reactor(s, conn, wake, 1<<20)
			if errors.Is(err, io.EOF) {
				err = nil
			}
			if _, hsErr := s.HandshakeDone(); hsErr != nil {
				err = hsErr
			}
			peer := s.PeerCertificates()
			s.Close()
			conn.Write(s.Output(nil))
			res <- served{peer, err}
			return
		}
		tc := tls.Server(conn, cfg)
		buf := make([]byte, 4)
		if _, err := io.ReadFull(tc, buf); err != nil {
			res <- served{err: err}
			return
		}
		_, err = tc.Write(buf)
		res <- served{tc.ConnectionState().PeerCertificates, err}
		tc.Close()
	}()
	return ln.Addr().(*net.TCPAddr).Port, res
}

// Pyro4's client TLS layer (getSSLcontext + createSocket, as its Proxy
// does) against gyro's server configs, both server styles.
func TestInteropPyro4ClientToGoServer(t *testing.T) {
	pyrotest.Python(t)
	f := testcerts.New(t)
	server := func(cert, key, pass string, require bool) *tls.Config {
		c := config.Default()
		c.SSLServerCert, c.SSLServerKey, c.SSLServerKeyPasswd = cert, key, pass
		c.SSLRequireClientCert, c.SSLCACerts = require, f.CACert
		cfg, err := ServerConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	oneWay := server(f.ServerCert, f.ServerKey, "", false)
	twoWay := server(f.ServerCert, f.ServerKeyEnc, testcerts.Password, true)
	named := server(f.NamedServerCert, f.NamedServerKey, "", false)
	for _, tt := range []struct {
		name     string
		cfg      *tls.Config
		py       pyrotest.SSLFiles
		ok       bool
		pyFail   string   // substring of Pyro4's failure line; "" when the server refuses, since its alert may race with its close
		wantPeer *big.Int // client certificate the server must see
	}{
		{"one-way, Pyro4 trusts our CA", oneWay, pyrotest.SSLFiles{CACerts: f.CACert}, true, "", nil},
		{"one-way, Pyro4 trusts another CA", oneWay, pyrotest.SSLFiles{CACerts: f.OtherCACert}, false, "CERTIFICATE_VERIFY_FAILED", nil},
		{"Pyro4 checks the host name", named, pyrotest.SSLFiles{CACerts: f.CACert}, false, "IP address mismatch", nil},
		{"two-way, client cert from our CA", twoWay, pyrotest.SSLFiles{CACerts: f.CACert, ClientCert: f.ClientCert, ClientKey: f.ClientKey}, true, "", f.ClientSerial},
		{"two-way, client key encrypted", twoWay, pyrotest.SSLFiles{CACerts: f.CACert, ClientCert: f.ClientCert, ClientKey: f.ClientKeyEnc, ClientKeyPasswd: testcerts.Password}, true, "", f.ClientSerial},
		{"two-way, no client cert", twoWay, pyrotest.SSLFiles{CACerts: f.CACert}, false, "", nil},
		{"two-way, client cert from another CA", twoWay, pyrotest.SSLFiles{CACerts: f.CACert, ClientCert: f.OtherClientCert, ClientKey: f.OtherClientKey}, false, "", nil},
	} {
		for _, style := range []string{"thread", "reactor"} {
			t.Run(tt.name+"/"+style, func(t *testing.T) {
				port, res := goServer(t, tt.cfg, style == "reactor")
				ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
				defer cancel()
				verdict := pyrotest.SSLClientProbe(t, ctx, "127.0.0.1", port, tt.py)
				r := <-res
				t.Logf("Pyro4: %s; gyro: %v", verdict, r.err)
				if tt.ok {
					if verdict != "OK ping" || r.err != nil {
						t.Fatalf("Pyro4: %s; gyro: %v; want both to succeed", verdict, r.err)
					}
				} else {
					if !strings.HasPrefix(verdict, "FAIL") || !strings.Contains(verdict, tt.pyFail) {
						t.Fatalf("Pyro4: %q, want a failure with %q", verdict, tt.pyFail)
					}
					if r.err == nil {
						t.Fatal("gyro's server saw no error")
					}
				}
				if tt.wantPeer != nil && (len(r.peer) == 0 || r.peer[0].SerialNumber.Cmp(tt.wantPeer) != 0) {
					t.Fatalf("server saw peer %v, want serial %x", r.peer, tt.wantPeer)
				}
			})
		}
	}
}

// gyro's client config against the TLS layer of a Pyro4 daemon
// (getSSLcontext + createSocket(bind), as its socket servers do).
func TestInteropGoClientToPyro4Server(t *testing.T) {
	pyrotest.Python(t)
	f := testcerts.New(t)
	client := func(ca, cert, key, pass string) *tls.Config {
		c := config.Default()
		c.SSLCACerts, c.SSLClientCert, c.SSLClientKey, c.SSLClientKeyPasswd = ca, cert, key, pass
		cfg, err := ClientConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		return ForHost(cfg, "127.0.0.1")
	}
	oneWay := pyrotest.SSLFiles{ServerCert: f.ServerCert, ServerKey: f.ServerKeyEnc, ServerKeyPasswd: testcerts.Password}
	twoWay := pyrotest.SSLFiles{ServerCert: f.ServerCert, ServerKey: f.ServerKey, CACerts: f.CACert, RequireClientCert: true}
	for _, tt := range []struct {
		name   string
		server pyrotest.SSLFiles
		cfg    *tls.Config
		ok     bool
		peer   *big.Int // the client serial Pyro4 must report; nil for none
	}{
		{"one-way, gyro trusts Pyro4's CA", oneWay, client(f.CACert, "", "", ""), true, nil},
		{"one-way, gyro trusts another CA", oneWay, client(f.OtherCACert, "", "", ""), false, nil},
		{"two-way with client cert", twoWay, client(f.CACert, f.ClientCert, f.ClientKeyEnc, testcerts.Password), true, f.ClientSerial},
		{"two-way without client cert", twoWay, client(f.CACert, "", "", ""), false, nil},
		{"two-way, client cert from another CA", twoWay, client(f.CACert, f.OtherClientCert, f.OtherClientKey, ""), false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := pyrotest.StartSSLServer(t, tt.server)
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port))
			// A Session client over the socket: the reactor way, and the
			// client side of the engine's Go proxy.
			err := sessionClientEcho(t, addr, tt.cfg)
			verdict := srv.WaitLine(t, pyrotest.VerdictLine, testDeadline)
			if tt.ok {
				want := "none"
				if tt.peer != nil {
					want = "serial " + tt.peer.Text(16)
				}
				got := verdict[2]
				if n, ok := new(big.Int).SetString(got, 16); ok && got != "none" {
					got = "serial " + n.Text(16)
				}
				if err != nil || verdict[1] != "PEER" || got != want {
					t.Fatalf("gyro: %v; Pyro4: %q; want success with peer %s", err, verdict[0], want)
				}
				return
			}
			if err == nil || verdict[1] != "ERR" {
				t.Fatalf("gyro: %v; Pyro4: %q; want both to fail", err, verdict[0])
			}
		})
	}
}

// sessionClientEcho runs a client Session over a TCP connection to addr,
// sends "ping" and expects it back.
func sessionClientEcho(t *testing.T, addr string, cfg *tls.Config) error {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(testDeadline))
	notify, wake := notifier()
	s := NewClientSession(cfg, SessionOptions{Notify: notify})
	defer s.Close()
	if _, err := s.WritePlain([]byte("ping")); err != nil {
		return err
	}
	stop := make(chan struct{})
	reads := socketReads(conn, stop)
	defer func() {
		close(stop)
		conn.Close()
		for range reads { // let the reader goroutine end
		}
	}()
	var got []byte
	buf := make([]byte, 64)
	for {
		select {
		case <-wake:
		case b, ok := <-reads:
			if !ok {
				s.FeedEOF()
			} else if _, err := s.Feed(b); err != nil {
				return err
			}
		}
		if out := s.Output(nil); len(out) > 0 {
			if _, err := conn.Write(out); err != nil {
				return err
			}
		}
		if done, err := s.HandshakeDone(); done && err != nil {
			return err
		}
		for {
			n, err := s.ReadPlain(buf)
			got = append(got, buf[:n]...)
			if errors.Is(err, ErrWouldBlock) {
				break
			}
			if err != nil {
				return fmt.Errorf("after %q: %w", got, err)
			}
		}
		if bytes.Equal(got, []byte("ping")) {
			return nil
		}
	}
}

var echoURILine = regexp.MustCompile(`^echo uri: PYRO:\S+@(\S+):(\d+)$`)

// A real Pyro4 daemon with SSL on (its test echo server) answers over a
// gyro client TLS connection: garbage sent through TLS comes back as
// Pyro4's "invalid data" message, so bytes flow both ways through the
// daemon's own SSL socket. With client certificates required, a gyro
// client without one is refused.
func TestInteropPyro4DaemonOverTLS(t *testing.T) {
	pyrotest.Python(t)
	f := testcerts.New(t)
	for _, tt := range []struct {
		name     string
		server   pyrotest.SSLFiles
		cert     string
		key      string
		wantPyro bool
	}{
		{"one-way", pyrotest.SSLFiles{ServerCert: f.ServerCert, ServerKey: f.ServerKey}, "", "", true},
		{"two-way with cert", pyrotest.SSLFiles{ServerCert: f.ServerCert, ServerKey: f.ServerKey, CACerts: f.CACert, RequireClientCert: true}, f.ClientCert, f.ClientKey, true},
		{"two-way without cert", pyrotest.SSLFiles{ServerCert: f.ServerCert, ServerKey: f.ServerKey, CACerts: f.CACert, RequireClientCert: true}, "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := pyrotest.Start(t, []string{"-m", "Pyro4.test.echoserver", "-p", "0"}, echoURILine, tt.server.Env()...)
			host, port := p.Match[1], p.Match[2]
			c := config.Default()
			c.SSLCACerts, c.SSLClientCert, c.SSLClientKey = f.CACert, tt.cert, tt.key
			cfg, err := ClientConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			d := &net.Dialer{Timeout: testDeadline}
			conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(host, port), ForHost(cfg, host))
			if err != nil {
				t.Fatalf("handshake with the Pyro4 daemon: %v", err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(testDeadline))
			if _, err := conn.Write(bytes.Repeat([]byte("NOT-PYRO"), 8)); err != nil && tt.wantPyro {
				t.Fatal(err)
			}
			hdr := make([]byte, 4)
			_, err = io.ReadFull(conn, hdr)
			if tt.wantPyro {
				if err != nil || string(hdr) != "PYRO" {
					t.Fatalf("read %q, %v; want Pyro4's PYRO answer", hdr, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("daemon requiring client certs answered %q to a client without one", hdr)
			}
		})
	}
}
