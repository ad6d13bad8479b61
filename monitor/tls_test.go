package monitor

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
)

// tlsConn stands for a dispatch.Conn that records the client's
// certificates, as the TLS layer will.
type tlsConn struct{ certs []*x509.Certificate }

func (c *tlsConn) PeerCertificates() []*x509.Certificate { return c.certs }

func TestTLSSubject(t *testing.T) {
	leaf := &x509.Certificate{Subject: pkix.Name{CommonName: "client one", Organization: []string{"gyro"}}}
	ca := &x509.Certificate{Subject: pkix.Name{CommonName: "ca"}}
	for _, tc := range []struct {
		name string
		conn any
		want string
	}{
		{"verified chain", &tlsConn{[]*x509.Certificate{leaf, ca}}, "CN=client one,O=gyro"},
		{"no certificate", &tlsConn{}, ""},
		{"no TLS", struct{}{}, ""},
		{"nil", nil, ""},
	} {
		if got := tlsSubject(tc.conn); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
