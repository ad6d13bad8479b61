package pyrotest

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// SSLFiles names the PEM files of a Pyro4 peer's SSL items; empty fields
// are left out of the environment, so Pyro4's defaults apply.
type SSLFiles struct {
	CACerts           string // SSL_CACERTS: file or directory
	ServerCert        string
	ServerKey         string
	ServerKeyPasswd   string
	RequireClientCert bool
	ClientCert        string
	ClientKey         string
	ClientKeyPasswd   string
}

// Env returns PYRO_SSL=1 and the PYRO_SSL_* variables for f, for Run,
// Start and the helpers below: the peer reads them as its Pyro4 config.
func (f SSLFiles) Env() []string {
	env := []string{"PYRO_SSL=1"}
	add := func(item, v string) {
		if v != "" {
			env = append(env, "PYRO_"+item+"="+v)
		}
	}
	add("SSL_CACERTS", f.CACerts)
	add("SSL_SERVERCERT", f.ServerCert)
	add("SSL_SERVERKEY", f.ServerKey)
	add("SSL_SERVERKEYPASSWD", f.ServerKeyPasswd)
	if f.RequireClientCert {
		add("SSL_REQUIRECLIENTCERT", "1")
	}
	add("SSL_CLIENTCERT", f.ClientCert)
	add("SSL_CLIENTKEY", f.ClientKey)
	add("SSL_CLIENTKEYPASSWD", f.ClientKeyPasswd)
	return env
}

// sslClientScript connects to GYRO_HOST:GYRO_PORT with the socket and SSL
// context Pyro4's Proxy makes (core.py: getSSLcontext from the config
// items, createSocket with server_hostname set to the URI host), sends
// "ping" and expects it back. It prints one line: "OK <reply>" or
// "FAIL <exception type>: <message>".
const sslClientScript = `
import os, Pyro4
from Pyro4 import socketutil
cfg = Pyro4.config
try:
    ctx = socketutil.getSSLcontext(clientcert=cfg.SSL_CLIENTCERT, clientkey=cfg.SSL_CLIENTKEY,
                                   keypassword=cfg.SSL_CLIENTKEYPASSWD, cacerts=cfg.SSL_CACERTS)
    s = socketutil.createSocket(connect=(os.environ["GYRO_HOST"], int(os.environ["GYRO_PORT"])),
                                timeout=20, sslContext=ctx)
    s.sendall(b"ping")
    got = b""
    while len(got) < 4:
        chunk = s.recv(4 - len(got))
        if not chunk:
            raise EOFError("connection closed after %r" % got)
        got += chunk
    s.close()
    print("OK", got.decode())
except Exception as e:
    print("FAIL %s: %s" % (type(e).__name__, str(e).replace("\n", " ")))
`

// SSLClientProbe runs a Pyro4 client's TLS layer against host:port with
// the SSL items in f, and returns its verdict line ("OK ping" when the
// server echoed, "FAIL <exception>: <text>" when Pyro4 refused or was
// refused). It reaches only the TLS layer, not Pyro's protocol.
func SSLClientProbe(t testing.TB, ctx context.Context, host string, port int, f SSLFiles) string {
	t.Helper()
	env := append(f.Env(), "GYRO_HOST="+host, "GYRO_PORT="+strconv.Itoa(port))
	out, err := Run(t, ctx, sslClientScript, env...)
	if err != nil {
		t.Fatalf("pyrotest: SSL client probe: %v", err)
	}
	return strings.TrimSpace(out)
}

// sslServerScript listens the way Pyro4's socket servers do with SSL on
// (threadpoolserver/multiplexserver: getSSLcontext from the server items,
// createSocket(bind=..., sslContext=...), handshake on accept). Per
// connection it echoes four bytes and prints "PEER <serial hex or none>",
// or "ERR <exception type>: <message>" when the handshake fails.
const sslServerScript = `
import Pyro4, socket
from Pyro4 import socketutil
cfg = Pyro4.config
ctx = socketutil.getSSLcontext(servercert=cfg.SSL_SERVERCERT, serverkey=cfg.SSL_SERVERKEY,
                               keypassword=cfg.SSL_SERVERKEYPASSWD, cacerts=cfg.SSL_CACERTS)
ls = socketutil.createSocket(bind=("127.0.0.1", 0), sslContext=ctx)
print("LISTENING", ls.getsockname()[1], flush=True)
while True:
    try:
        c, _ = ls.accept()
    except (OSError, socket.error) as e:
        print("ERR %s: %s" % (type(e).__name__, str(e).replace("\n", " ")), flush=True)
        continue
    try:
        c.settimeout(20)
        peer = c.getpeercert()
        got = b""
        while len(got) < 4:
            chunk = c.recv(4 - len(got))
            if not chunk:
                break
            got += chunk
        c.sendall(got)
        print("PEER", peer["serialNumber"] if peer else "none", flush=True)
    except Exception as e:
        print("ERR %s: %s" % (type(e).__name__, str(e).replace("\n", " ")), flush=True)
    finally:
        c.close()
`

var listeningLine = regexp.MustCompile(`^LISTENING (\d+)$`)

// SSLServer is a Pyro4 TLS listener started by StartSSLServer.
type SSLServer struct {
	*Process
	Port int
}

// StartSSLServer starts a listener on 127.0.0.1 with the TLS layer of a
// Pyro4 daemon configured by f (ServerCert, ServerKey, ServerKeyPasswd,
// CACerts, RequireClientCert), echoing four bytes per connection. It is
// killed when the test ends. Wait for each connection's verdict with
// WaitLine(t, PeerLine or ErrLine, ...).
func StartSSLServer(t testing.TB, f SSLFiles) *SSLServer {
	t.Helper()
	p := Start(t, []string{"-c", sslServerScript}, listeningLine, f.Env()...)
	port, err := strconv.Atoi(p.Match[1])
	if err != nil {
		t.Fatalf("pyrotest: port %q: %v", p.Match[1], err)
	}
	return &SSLServer{Process: p, Port: port}
}

// Verdict lines of StartSSLServer's listener.
var (
	// PeerLine: a connection was served; group 1 is the client
	// certificate's serial number in upper-case hex, or "none".
	PeerLine = regexp.MustCompile(`^PEER (\S+)$`)
	// VerdictLine matches either a PEER or an ERR line.
	VerdictLine = regexp.MustCompile(`^(PEER|ERR) (.*)$`)
)
