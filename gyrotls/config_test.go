package gyrotls

import (
	"crypto/tls"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/testcerts"
)

func TestServerConfig(t *testing.T) {
	f := testcerts.New(t)
	empty := filepath.Join(f.Dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("no pem here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyDir := t.TempDir()
	for _, tt := range []struct {
		name    string
		set     func(c *config.Config)
		wantErr error  // errors.Is target; nil for success
		inText  string // the file the error must name
	}{
		{"cert and key", func(c *config.Config) {}, nil, ""},
		{"key inside the cert file", func(c *config.Config) { c.SSLServerCert, c.SSLServerKey = f.ServerBoth, "" }, nil, ""},
		{"encrypted key with password", func(c *config.Config) { c.SSLServerKey, c.SSLServerKeyPasswd = f.ServerKeyEnc, testcerts.Password }, nil, ""},
		{"encrypted key, no password", func(c *config.Config) { c.SSLServerKey = f.ServerKeyEnc }, ErrKeyEncrypted, f.ServerKeyEnc},
		{"encrypted key, wrong password", func(c *config.Config) { c.SSLServerKey, c.SSLServerKeyPasswd = f.ServerKeyEnc, "nope" }, ErrKeyPassword, f.ServerKeyEnc},
		{"no SSL_SERVERCERT", func(c *config.Config) { c.SSLServerCert = "" }, ErrNoServerCert, "SSL_SERVERCERT"},
		{"missing cert file", func(c *config.Config) { c.SSLServerCert = f.Dir + "/nope.pem" }, fs.ErrNotExist, "nope.pem"},
		{"missing key file", func(c *config.Config) { c.SSLServerKey = f.Dir + "/nokey.pem" }, fs.ErrNotExist, "nokey.pem"},
		{"cert file without a cert", func(c *config.Config) { c.SSLServerCert = empty }, ErrNoCertificates, empty},
		{"cert without key, key not in it", func(c *config.Config) { c.SSLServerKey = "" }, ErrNoKey, f.ServerCert},
		{"key of another cert", func(c *config.Config) { c.SSLServerKey = f.ClientKey }, nil, f.ClientKey},
		{"client certs required, CA file", func(c *config.Config) { c.SSLRequireClientCert, c.SSLCACerts = true, f.CACert }, nil, ""},
		{"client certs required, CA dir", func(c *config.Config) { c.SSLRequireClientCert, c.SSLCACerts = true, f.CADir }, nil, ""},
		{"client certs required, no CA", func(c *config.Config) { c.SSLRequireClientCert = true }, ErrNoClientCAs, "SSL_CACERTS"},
		{"client certs required, empty CA dir", func(c *config.Config) { c.SSLRequireClientCert, c.SSLCACerts = true, emptyDir }, ErrNoCertificates, emptyDir},
		{"client certs required, CA file without certs", func(c *config.Config) { c.SSLRequireClientCert, c.SSLCACerts = true, empty }, ErrNoCertificates, empty},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.SSLServerCert, c.SSLServerKey = f.ServerCert, f.ServerKey
			tt.set(&c)
			cfg, err := ServerConfig(c)
			switch {
			case tt.inText != "" && err == nil:
				t.Fatalf("no error, want one naming %s", tt.inText)
			case tt.inText == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case err != nil:
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error %v is not %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.inText) {
					t.Errorf("error %q does not name %s", err, tt.inText)
				}
				return
			}
			if cfg.MinVersion != tls.VersionTLS12 {
				t.Errorf("MinVersion %x", cfg.MinVersion)
			}
			want := tls.NoClientCert
			if c.SSLRequireClientCert {
				want = tls.RequireAndVerifyClientCert
			}
			if cfg.ClientAuth != want {
				t.Errorf("ClientAuth %v, want %v", cfg.ClientAuth, want)
			}
		})
	}
}

// Keys encrypted by the openssl command line, in the forms users have:
// legacy PEM (`openssl ec -aes256`), OpenSSL 3's default PKCS#8 PBES2,
// PBES2 with SHA-1 PRF and 3DES; scrypt is refused with ErrKeyFormat.
func TestLoadKeyPairOpenSSLEncryptedKeys(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl command not installed")
	}
	f := testcerts.New(t)
	const pass = "s3cret pass"
	for _, tt := range []struct {
		name    string
		args    []string
		wantErr error
	}{
		{"legacy PEM aes256", []string{"ec", "-aes256"}, nil},
		{"legacy PEM des3", []string{"ec", "-des3"}, nil},
		{"PKCS#8 default (PBES2, hmacWithSHA256, aes-256-cbc)", []string{"pkey", "-aes256"}, nil},
		{"PKCS#8 PBES2 aes-128-cbc hmacWithSHA1", []string{"pkcs8", "-topk8", "-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"}, nil},
		{"PKCS#8 PBES2 des3", []string{"pkcs8", "-topk8", "-v2", "des3"}, nil},
		{"PKCS#8 scrypt", []string{"pkcs8", "-topk8", "-scrypt"}, ErrKeyFormat},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "key.pem")
			args := append(tt.args, "-in", f.ServerKey, "-out", out, "-passout", "pass:"+pass)
			if msg, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
				t.Skipf("openssl %v: %v: %s", args, err, msg)
			}
			_, err := LoadKeyPair(f.ServerCert, out, pass)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := LoadKeyPair(f.ServerCert, out, "wrong"); !errors.Is(err, ErrKeyPassword) {
				t.Fatalf("wrong password: %v, want ErrKeyPassword", err)
			}
		})
	}
}

// handshake runs a real tls.Listener with scfg against tls.Dial to host
// with ccfg, over loopback.
func handshake(t *testing.T, scfg, ccfg *tls.Config, host string) (clientErr, serverErr error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srv <- err
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			srv <- err
			return
		}
		// Wait for the client's verdict (it closes): a TLS 1.3 server
		// learns of a rejected certificate only as an alert.
		_, err = tc.Read(make([]byte, 1))
		if err != nil && err.Error() == "EOF" {
			err = nil
		}
		srv <- err
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	c, err := tls.Dial("tcp", net.JoinHostPort(host, port), ccfg)
	if err == nil {
		c.Close()
	}
	return err, <-srv
}

func TestClientConfigVerifiesLikePyro4(t *testing.T) {
	f := testcerts.New(t)
	srv := func(cert, key string) *tls.Config {
		c := config.Default()
		c.SSLServerCert, c.SSLServerKey = cert, key
		cfg, err := ServerConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cli := func(ca string) *tls.Config {
		c := config.Default()
		c.SSLCACerts = ca
		cfg, err := ClientConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	for _, tt := range []struct {
		name       string
		scfg, ccfg *tls.Config
		host       string
		ok         bool
	}{
		{"trusted CA file, localhost", srv(f.ServerCert, f.ServerKey), cli(f.CACert), "localhost", true},
		{"trusted CA file, 127.0.0.1", srv(f.ServerCert, f.ServerKey), cli(f.CACert), "127.0.0.1", true},
		{"trusted CA dir", srv(f.ServerCert, f.ServerKey), cli(f.CADir), "127.0.0.1", true},
		{"untrusted CA", srv(f.OtherServerCert, f.OtherServerKey), cli(f.CACert), "localhost", false},
		{"no SSL_CACERTS: system roots only", srv(f.ServerCert, f.ServerKey), cli(""), "localhost", false},
		{"certificate for another name", srv(f.NamedServerCert, f.NamedServerKey), cli(f.CACert), "127.0.0.1", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cerr, _ := handshake(t, tt.scfg, tt.ccfg, tt.host)
			if (cerr == nil) != tt.ok {
				t.Fatalf("client handshake: %v, want success %v", cerr, tt.ok)
			}
		})
	}
}

func TestCheckHost(t *testing.T) {
	f := testcerts.New(t)
	load := func(cert, key string) *tls.Config {
		pair, err := LoadKeyPair(cert, key, "")
		if err != nil {
			t.Fatal(err)
		}
		return &tls.Config{Certificates: []tls.Certificate{pair}}
	}
	loop, named := load(f.ServerCert, f.ServerKey), load(f.NamedServerCert, f.NamedServerKey)
	for _, tt := range []struct {
		cfg  *tls.Config
		host string
		ok   bool
	}{
		{loop, "localhost", true},
		{loop, "127.0.0.1", true},
		{loop, "::1", true},
		{loop, "[::1]", true},
		{loop, "0.0.0.0", false},
		{loop, "192.0.2.7", false},
		{loop, "gyro.example", false},
		{named, "gyro.example", true},
		{named, "localhost", false},
		{&tls.Config{}, "localhost", false},
	} {
		err := CheckHost(tt.cfg, tt.host)
		if (err == nil) != tt.ok {
			t.Errorf("CheckHost(%q) = %v, want ok %v", tt.host, err, tt.ok)
		}
		if err != nil && len(tt.cfg.Certificates) > 0 && !errors.Is(err, ErrHostNotCovered) {
			t.Errorf("CheckHost(%q) = %v, not ErrHostNotCovered", tt.host, err)
		}
	}
}
