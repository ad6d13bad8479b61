package testcerts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Password encrypts the key files named *_enc.pem.
const Password = "gyro-test-pass"

// Files are PEM paths in a test's temporary directory.
type Files struct {
	Dir string

	CACert string // the CA that signed ServerCert and ClientCert
	CADir  string // a directory holding only CACert, for SSL_CACERTS=dir

	ServerCert   string // for localhost, 127.0.0.1 and ::1
	ServerKey    string
	ServerKeyEnc string // ServerKey under legacy PEM encryption with Password
	ServerBoth   string // ServerCert followed by ServerKey in one file

	ClientCert   string
	ClientKey    string
	ClientKeyEnc string

	// OtherCACert signed OtherServerCert/OtherClientCert: a peer trusting
	// only CACert must refuse them, and the reverse.
	OtherCACert     string
	OtherServerCert string
	OtherServerKey  string
	OtherClientCert string
	OtherClientKey  string

	// NamedServerCert, signed by CACert, covers only the DNS name
	// "gyro.example", so it does not cover any loopback host.
	NamedServerCert string
	NamedServerKey  string

	// Serials of the client certificates, for peer identity checks.
	ClientSerial, OtherClientSerial *big.Int
}

type issuer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// New makes a fresh set of certificates under t.TempDir().
func New(t testing.TB) *Files {
	t.Helper()
	dir := t.TempDir()
	f := &Files{Dir: dir}
	w := func(name string, blocks ...*pem.Block) string {
		t.Helper()
		var data []byte
		for _, b := range blocks {
			data = append(data, pem.EncodeToMemory(b)...)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	ca := newCA(t, "gyro test CA")
	other := newCA(t, "gyro other CA")
	f.CACert = w("ca.pem", certBlock(ca.cert))
	f.OtherCACert = w("other_ca.pem", certBlock(other.cert))
	f.CADir = filepath.Join(dir, "cadir")
	if err := os.Mkdir(f.CADir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.CADir, "ca.pem"), pem.EncodeToMemory(certBlock(ca.cert)), 0o600); err != nil {
		t.Fatal(err)
	}

	loop := []string{"localhost"}
	loopIPs := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	sc, sk := leaf(t, ca, "localhost", loop, loopIPs, x509.ExtKeyUsageServerAuth)
	f.ServerCert = w("server_cert.pem", certBlock(sc))
	f.ServerKey = w("server_key.pem", keyBlock(t, sk))
	f.ServerKeyEnc = w("server_key_enc.pem", encryptedKeyBlock(t, sk))
	f.ServerBoth = w("server_both.pem", certBlock(sc), keyBlock(t, sk))

	cc, ck := leaf(t, ca, "gyro test client", nil, nil, x509.ExtKeyUsageClientAuth)
	f.ClientSerial = cc.SerialNumber
	f.ClientCert = w("client_cert.pem", certBlock(cc))
	f.ClientKey = w("client_key.pem", keyBlock(t, ck))
	f.ClientKeyEnc = w("client_key_enc.pem", encryptedKeyBlock(t, ck))

	osc, osk := leaf(t, other, "localhost", loop, loopIPs, x509.ExtKeyUsageServerAuth)
	f.OtherServerCert = w("other_server_cert.pem", certBlock(osc))
	f.OtherServerKey = w("other_server_key.pem", keyBlock(t, osk))
	occ, ock := leaf(t, other, "gyro other client", nil, nil, x509.ExtKeyUsageClientAuth)
	f.OtherClientSerial = occ.SerialNumber
	f.OtherClientCert = w("other_client_cert.pem", certBlock(occ))
	f.OtherClientKey = w("other_client_key.pem", keyBlock(t, ock))

	nc, nk := leaf(t, ca, "gyro.example", []string{"gyro.example"}, nil, x509.ExtKeyUsageServerAuth)
	f.NamedServerCert = w("named_server_cert.pem", certBlock(nc))
	f.NamedServerKey = w("named_server_key.pem", keyBlock(t, nk))
	return f
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n.Add(n, big.NewInt(1))
}

func newCA(t testing.TB, name string) issuer {
	t.Helper()
	k := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"gyro tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	return issuer{sign(t, tmpl, tmpl, k.Public(), k), k}
}

func leaf(t testing.TB, ca issuer, cn string, dns []string, ips []net.IP, usage x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	k := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"gyro tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	return sign(t, tmpl, ca.cert, k.Public(), ca.key), k
}

func sign(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func certBlock(c *x509.Certificate) *pem.Block {
	return &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}
}

func keyBlock(t testing.TB, k *ecdsa.PrivateKey) *pem.Block {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
}

// encryptedKeyBlock uses the legacy PEM encryption (Proc-Type/DEK-Info),
// which `openssl ec -aes256` writes and Python's ssl module reads.
func encryptedKeyBlock(t testing.TB, k *ecdsa.PrivateKey) *pem.Block {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 the legacy format is what Pyro4 users' keys are in.
	b, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", der, []byte(Password), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	return b
}
