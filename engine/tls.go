package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gyro-rpc/gyro/gyrotls"
)

// TLSConfig returns the daemon's server TLS configuration, built from the
// SSL_* items when SSL is on; nil when it is off. Server types that do
// their own I/O (package multicore) run gyrotls.Session with it.
func (c *Core) TLSConfig() *tls.Config { return c.tls }

// TLSSessionOptions are the options of a connection's gyrotls.Session:
// the handshake is bounded by COMMTIMEOUT, as Pyro4's socket timeout
// bounds its handshake, or by gyrotls's default when there is none, so a
// client that connects and stays silent cannot keep a handshake goroutine.
func (c *Core) TLSSessionOptions(notify func()) gyrotls.SessionOptions {
	return gyrotls.SessionOptions{Notify: notify, HandshakeTimeout: c.handshakeTimeout()}
}

func (c *Core) handshakeTimeout() time.Duration {
	if c.cfg.CommTimeout > 0 {
		return c.cfg.CommTimeout
	}
	return gyrotls.DefaultHandshakeTimeout
}

// SetPeerCertificates records the certificates the client presented in the
// TLS handshake, for dispatch.Conn.PeerCertificates. Server types call it
// once the TLS handshake is done, before the first Process.
func (s *Session) SetPeerCertificates(certs []*x509.Certificate) { s.peer = certs }

// serverTLS builds the TLS configuration when SSL is on, and warns when
// the certificate does not cover the host the daemon publishes: Pyro4's
// clients (and gyro's) check the URI's host against it and would refuse
// the daemon.
func (d *Daemon) serverTLS(log *slog.Logger) (*tls.Config, error) {
	if !d.cfg.SSL {
		return nil, nil
	}
	cfg, err := gyrotls.ServerConfig(d.cfg)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if d.unixPath == "" {
		host := d.host
		if d.natHost != "" {
			host = d.natHost
		}
		if err := gyrotls.CheckHost(cfg, host); err != nil {
			log.Warn("TLS clients will refuse this daemon's URIs", "location", d.location(true), "error", err)
		}
	}
	return cfg, nil
}

// tlsHandshake runs the server side of the TLS handshake on an accepted
// connection (the thread type's), bounded by the handshake timeout and by
// ctx. It returns the connection to read and write, or an error.
func (c *Core) tlsHandshake(ctx context.Context, nc net.Conn) (*tls.Conn, error) {
	tc := tls.Server(nc, c.tls)
	ctx, cancel := context.WithTimeout(ctx, c.handshakeTimeout())
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.log.Debug("TLS handshake failed", "client", nc.RemoteAddr(), "error", err)
		return nil, err
	}
	return tc, nil
}

// tlsWrap returns nc as a TLS server connection when SSL is on; the
// handshake happens on the first read or write, under their deadlines.
func (c *Core) tlsWrap(nc net.Conn) net.Conn {
	if c.tls == nil {
		return nc
	}
	return tls.Server(nc, c.tls)
}

// secure returns what the thread type reads and writes for nc: nc itself,
// or with SSL on the TLS connection once its handshake succeeded, with the
// client's certificates recorded in s. false means the handshake failed
// (or the daemon is closing) and the connection is to be closed.
func (t *threadServer) secure(nc net.Conn, s *Session) (net.Conn, bool) {
	if t.c.tls == nil {
		return nc, true
	}
	tc, err := t.c.tlsHandshake(t.ctx, nc)
	if err != nil {
		return nil, false
	}
	s.SetPeerCertificates(tc.ConnectionState().PeerCertificates)
	return tc, true
}
