package proxy

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/gyrotls"
	"github.com/gyro-rpc/gyro/pyval"
)

// clientTLS builds the client TLS config when the SSL item is on, as
// Pyro4's proxy does from SSL_CACERTS, SSL_CLIENTCERT, SSL_CLIENTKEY and
// SSL_CLIENTKEYPASSWD; nil when it is off.
func clientTLS(c config.Config) (*tls.Config, error) {
	if !c.SSL {
		return nil, nil
	}
	cfg, err := gyrotls.ClientConfig(c)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return cfg, nil
}

// secure runs the TLS handshake over c when SSL is on, under the call's
// deadline and context (armed on c already). The server's certificate
// must cover the URI's host, as Pyro4 passes that host as
// server_hostname; a unix socket has none, so "localhost" stands in.
func (p *Proxy) secure(o *op, c net.Conn, target pyval.URI) (net.Conn, error) {
	if p.set.tls == nil {
		return c, nil
	}
	host := target.Host
	if target.Sockname != "" {
		host = "localhost"
	}
	tc := tls.Client(c, gyrotls.ForHost(p.set.tls, host))
	if err := tc.HandshakeContext(o.ctx); err != nil {
		return nil, err
	}
	return tc, nil
}
