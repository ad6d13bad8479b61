package proxy_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/gyrotls"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/internal/testcerts"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

func sslConfig(ca, cert, key, pass string) *config.Config {
	c := config.Default()
	c.SSL = true
	c.SSLCACerts, c.SSLClientCert, c.SSLClientKey, c.SSLClientKeyPasswd = ca, cert, key, pass
	return &c
}

// TestPyro4TLS: gyro's proxy over TLS to Pyro4's echo server with SSL on
// and client certificates required: the right certificate gets full calls,
// a missing or foreign one is refused, a proxy that trusts another CA, or
// a server certificate that does not cover the URI's host, is refused by
// the proxy.
func TestPyro4TLS(t *testing.T) {
	f := testcerts.New(t)
	env := pyrotest.SSLFiles{ServerCert: f.ServerCert, ServerKey: f.ServerKey, RequireClientCert: true, CACerts: f.CACert}.Env()
	srv, uri := startEcho(t, nil, env...)
	good := proxy.Options{Config: sslConfig(f.CADir, f.ClientCert, f.ClientKeyEnc, testcerts.Password)}
	t.Run("client certificate", func(t *testing.T) {
		p, err := bound(testCtx(t), uri, good)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		testEcho(t, p, "serpent")
	})
	t.Run("pipelined requests stall", func(t *testing.T) {
		// Pyro4's daemon over SSL answers some of the requests that arrive
		// together and then waits on the socket for the rest, which sit
		// decrypted in its SSL buffer: Options.Pipeline's doc says so. If
		// this starts to fail, Pyro4 answers them all: update that doc.
		u := pyval.MustParseURI(uri)
		cert, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		ca, _ := os.ReadFile(f.CACert)
		pool.AppendCertsFromPEM(ca)
		c, err := tls.Dial("tcp", net.JoinHostPort(u.Host, strconv.Itoa(u.Port)), &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: u.Host})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if got := inOrderReplies(t, c, u.Object, wire.Pyro4, 3*time.Second); got == inOrderRequests {
			t.Errorf("Pyro4 over SSL answered all %d pipelined requests: update Options.Pipeline's doc", got)
		} else {
			t.Logf("Pyro4 over SSL answered %d of %d pipelined requests", got, inOrderRequests)
		}
	})
	for name, opts := range map[string]proxy.Options{
		"no client certificate":     {Config: sslConfig(f.CACert, "", "", "")},
		"client cert of another CA": {Config: sslConfig(f.CACert, f.OtherClientCert, f.OtherClientKey, "")},
		"proxy trusts another CA":   {Config: sslConfig(f.OtherCACert, f.ClientCert, f.ClientKey, "")},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := bound(testCtx(t), uri, opts)
			if err == nil {
				p.Close()
				t.Fatal("connected, want a refusal")
			}
			if !errors.Is(err, pyval.ErrCommunication) {
				t.Fatalf("error %v, want a CommunicationError", err)
			}
		})
	}
	shutdown(t, srv, uri, good)

	// a certificate for another name: the host check refuses it
	env = pyrotest.SSLFiles{ServerCert: f.NamedServerCert, ServerKey: f.NamedServerKey}.Env()
	_, uri = startEcho(t, nil, env...) // killed when the test ends
	_, err := bound(testCtx(t), uri, proxy.Options{Config: sslConfig(f.CACert, "", "", "")})
	wantExc(t, err, pyval.ClassCommunicationError, "certificate is valid for gyro.example, not localhost")
}

// TestTLSConfigErrors: wrong SSL items fail New, naming the file.
func TestTLSConfigErrors(t *testing.T) {
	missing := t.TempDir() + "/missing.pem"
	_, err := proxy.New("PYRO:x@localhost:1", proxy.Options{Config: sslConfig(missing, "", "", "")})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New with a missing SSL_CACERTS: %v", err)
	}
	f := testcerts.New(t)
	_, err = proxy.New("PYRO:x@localhost:1", proxy.Options{Config: sslConfig(f.CACert, f.ClientCert, f.ClientKeyEnc, "")})
	if !errors.Is(err, gyrotls.ErrKeyEncrypted) {
		t.Fatalf("New with an encrypted key and no password: %v", err)
	}
}
