package gyrotls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrHostNotCovered is wrapped by CheckHost when clients would refuse the
// server: Pyro4's and gyro's clients verify the certificate against the
// host in the URI.
var ErrHostNotCovered = errors.New("certificate does not cover the host published in URIs")

// CheckHost reports, as an error wrapping ErrHostNotCovered, when the
// server certificate in cfg does not cover host, the host a daemon puts in
// its URIs (NATHOST when set, else HOST). A daemon should warn, not fail:
// clients with their own checks may still connect. An unspecified address
// (0.0.0.0, ::) is never covered: URIs with it cannot be verified.
func CheckHost(cfg *tls.Config, host string) error {
	if cfg == nil || len(cfg.Certificates) == 0 {
		return fmt.Errorf("gyrotls: %w: no server certificate", ErrNoServerCert)
	}
	leaf := cfg.Certificates[0].Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cfg.Certificates[0].Certificate[0]); err != nil {
			return fmt.Errorf("gyrotls: server certificate: %w", err)
		}
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("gyrotls: %w: %q is not an address clients can verify; publish a name or address the certificate covers (%s)",
			ErrHostNotCovered, host, names(leaf))
	}
	if err := leaf.VerifyHostname(host); err != nil {
		return fmt.Errorf("gyrotls: %w: %q is not among %s", ErrHostNotCovered, host, names(leaf))
	}
	return nil
}

// names describes what a certificate covers, for error text.
func names(c *x509.Certificate) string {
	var parts []string
	for _, d := range c.DNSNames {
		parts = append(parts, "DNS:"+d)
	}
	for _, ip := range c.IPAddresses {
		parts = append(parts, "IP:"+ip.String())
	}
	if len(parts) == 0 {
		return fmt.Sprintf("no subjectAltName (CN %q is not used for host checks)", c.Subject.CommonName)
	}
	return strings.Join(parts, ", ")
}
