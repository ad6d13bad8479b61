package gyrotls

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/gyro-rpc/gyro/config"
)

// MinVersion is the oldest TLS version either side accepts: Python's
// ssl.create_default_context, which Pyro4 uses, refuses anything older
// than TLS 1.2 on the Pythons Pyro4 4.82 supports.
const MinVersion = tls.VersionTLS12

// Sentinel errors, testable with errors.Is; the returned errors wrap them
// with the item and the file they are about.
var (
	// ErrNoServerCert: SSL is on for a server but SSL_SERVERCERT is empty.
	ErrNoServerCert = errors.New("SSL_SERVERCERT is not set")
	// ErrNoClientCAs: SSL_REQUIRECLIENTCERT is on but SSL_CACERTS is empty.
	ErrNoClientCAs = errors.New("SSL_REQUIRECLIENTCERT needs SSL_CACERTS, the CA that signs the client certificates")
	// ErrNoCertificates: a CA file or directory holds no PEM certificate.
	ErrNoCertificates = errors.New("no PEM certificate found")
	// ErrNoKey: no private key in the key file (or in the certificate file
	// when no key file is named).
	ErrNoKey = errors.New("no PEM private key found")
	// ErrKeyEncrypted: the key is encrypted but no password was given.
	ErrKeyEncrypted = errors.New("private key is encrypted and no password is set")
	// ErrKeyPassword: decrypting the key failed, most likely the password.
	ErrKeyPassword = errors.New("cannot decrypt private key (wrong password?)")
	// ErrKeyFormat: a key format gyro cannot read.
	ErrKeyFormat = errors.New("unsupported private key format")
)

// ServerConfig builds the *tls.Config for a listening socket (a daemon or
// the name server) from Pyro4's items, with the semantics of Pyro4's
// socketutil.getSSLcontext:
//
//   - SSL_SERVERCERT is a PEM file with the certificate (and any chain);
//     SSL_SERVERKEY the PEM key, or empty when the key is in the certificate
//     file; SSL_SERVERKEYPASSWD decrypts an encrypted key.
//   - SSL_REQUIRECLIENTCERT on: a client must present a certificate that
//     chains to SSL_CACERTS (tls.RequireAndVerifyClientCert). Off: no
//     certificate is asked for, as Python's CERT_NONE.
//
// One deliberate difference: Pyro4 also trusts the system's CA store for
// client certificates; gyro trusts only SSL_CACERTS, so that a certificate
// bought from any public CA cannot log in, and refuses
// SSL_REQUIRECLIENTCERT without SSL_CACERTS (ErrNoClientCAs).
//
// ServerConfig ignores c.SSL: the caller decides whether TLS is on.
func ServerConfig(c config.Config) (*tls.Config, error) {
	if c.SSLServerCert == "" {
		return nil, fmt.Errorf("gyrotls: server: %w", ErrNoServerCert)
	}
	cert, err := LoadKeyPair(c.SSLServerCert, c.SSLServerKey, c.SSLServerKeyPasswd)
	if err != nil {
		return nil, fmt.Errorf("gyrotls: server: %w", err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   MinVersion,
		ClientAuth:   tls.NoClientCert,
	}
	if c.SSLRequireClientCert {
		if c.SSLCACerts == "" {
			return nil, fmt.Errorf("gyrotls: server: %w", ErrNoClientCAs)
		}
		pool, err := LoadCAs(x509.NewCertPool(), c.SSLCACerts)
		if err != nil {
			return nil, fmt.Errorf("gyrotls: server: SSL_CACERTS: %w", err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// ClientConfig builds the *tls.Config for a proxy (or nsc, or a name
// server lookup) from Pyro4's items, as Pyro4's client context:
//
//   - the server's certificate must chain to the system's CA store or to
//     SSL_CACERTS (a PEM file or a directory of them), as Python's
//     create_default_context plus load_verify_locations;
//   - the server's certificate must cover the host the client connects to
//     (Pyro4 passes the URI's host as server_hostname with check_hostname
//     on). The returned config has no ServerName: set it per connection to
//     the URI's host, bare (no brackets around an IPv6 address), with
//     ForHost. tls.Dial does it from the address by itself;
//   - SSL_CLIENTCERT/SSL_CLIENTKEY/SSL_CLIENTKEYPASSWD give the certificate
//     presented when the server asks for one (two-way TLS).
func ClientConfig(c config.Config) (*tls.Config, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if c.SSLCACerts != "" {
		if pool, err = LoadCAs(pool, c.SSLCACerts); err != nil {
			return nil, fmt.Errorf("gyrotls: client: SSL_CACERTS: %w", err)
		}
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: MinVersion}
	if c.SSLClientCert != "" {
		cert, err := LoadKeyPair(c.SSLClientCert, c.SSLClientKey, c.SSLClientKeyPasswd)
		if err != nil {
			return nil, fmt.Errorf("gyrotls: client: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// ForHost returns a copy of a client config that verifies the server's
// certificate against host, the host part of the URI being connected to.
func ForHost(cfg *tls.Config, host string) *tls.Config {
	c := cfg.Clone()
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	c.ServerName = host
	return c
}

// LoadCAs adds the PEM certificates in path to pool and returns it. path is
// a file or, as Python's capath, a directory: every regular file in it that
// holds PEM certificates is read (a superset of OpenSSL's hashed-name
// lookup, so a c_rehash'ed directory works too). A path with no certificate
// at all is an error: it is always a mistake, and silently trusting nothing
// extra would surface later as a confusing verification failure.
func LoadCAs(pool *x509.CertPool, path string) (*x509.CertPool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		files = files[:0]
		for _, e := range entries {
			if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		sort.Strings(files)
	}
	found := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			if st.IsDir() {
				continue // a dangling link or unreadable stray file in a CA directory
			}
			return nil, err
		}
		certs, err := parseCerts(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
		found += len(certs)
	}
	if found == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrNoCertificates)
	}
	return pool, nil
}

func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}
