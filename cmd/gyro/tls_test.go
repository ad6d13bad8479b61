package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/internal/testcerts"
)

// setSSLEnv sets PYRO_SSL* for the in-process gyro commands and returns
// the same items for a Pyro4 peer.
func setSSLEnv(t *testing.T, f pyrotest.SSLFiles) []string {
	t.Helper()
	env := f.Env()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return append(env, "PYRO_HMAC_KEY=")
}

// TestNSOverTLS: `gyro ns` with PYRO_SSL=1 serves Pyro4's nsc over TLS
// with client certificates required, and `gyro nsc` with PYRO_SSL=1 works
// against pyro4-ns with SSL on; a client without a certificate is refused.
// (The UDP broadcast responder stays plaintext, as in Pyro4.)
func TestNSOverTLS(t *testing.T) {
	pyrotest.Python(t)
	t.Setenv("PYRO_HMAC_KEY", "")
	f := testcerts.New(t)
	ssl := pyrotest.SSLFiles{
		ServerCert: f.ServerCert, ServerKey: f.ServerKey, RequireClientCert: true, CACerts: f.CACert,
		ClientCert: f.ClientCert, ClientKey: f.ClientKeyEnc, ClientKeyPasswd: testcerts.Password,
	}
	env := setSSLEnv(t, ssl)
	steps := func(port string) []nscStep {
		return withNS([]nscStep{
			{Args: []string{"ping"}},
			{Args: []string{"register", "tls.thing", "PYRO:thing@localhost:5001"}},
			{Args: []string{"list", "tls."}},
		}, "-n", "127.0.0.1", "-p", port)
	}
	want := []string{"Name server ping ok.\n", "Registered tls.thing\n", "--------START LIST - prefix 'tls.'\ntls.thing --> PYRO:thing@localhost:5001\n--------END LIST - prefix 'tls.'\n"}
	check := func(t *testing.T, who string, res []nscResult) {
		t.Helper()
		for i, r := range res {
			if r.Out != want[i] || r.Code != 0 {
				t.Errorf("%s step %d: %+v, want %q", who, i, r, want[i])
			}
		}
	}

	_, _, gyroPort := startGyroNS(t, "-n", "127.0.0.1", "-p", "0")
	t.Run("pyro4 nsc, gyro ns", func(t *testing.T) { check(t, "pyro4 nsc", pyroNSC(t, steps(gyroPort), env...)) })
	_, pyroPort := startPyroNS(t, []string{"-n", "127.0.0.1", "-p", "0", "-x"}, env...)
	t.Run("gyro nsc, pyro4-ns", func(t *testing.T) { check(t, "gyro nsc", gyroNSC(t, steps(pyroPort))) })
	t.Run("gyro nsc, gyro ns", func(t *testing.T) {
		res := gyroNSC(t, steps(gyroPort)[2:])
		if res[0].Out != want[2] {
			t.Errorf("gyro nsc list: %+v", res[0])
		}
	})

	t.Run("no client certificate", func(t *testing.T) {
		t.Setenv("PYRO_SSL_CLIENTCERT", "")
		t.Setenv("PYRO_SSL_CLIENTKEY", "")
		for _, port := range []string{gyroPort, pyroPort} {
			out, _, _ := runNSC(t, "", "-n", "127.0.0.1", "-p", port, "ping")
			if !strings.HasPrefix(out, "Error: Failed to locate the nameserver") {
				t.Errorf("gyro nsc without a certificate, port %s: %q", port, out)
			}
		}
	})
}

// TestEchoServerOverTLS: `gyro echoserver` with PYRO_SSL=1 serves a Pyro4
// proxy with SSL on.
func TestEchoServerOverTLS(t *testing.T) {
	pyrotest.Python(t)
	t.Setenv("PYRO_HMAC_KEY", "")
	f := testcerts.New(t)
	env := setSSLEnv(t, pyrotest.SSLFiles{ServerCert: f.ServerBoth, CACerts: f.CACert})
	s := startGyro(t, "echoserver", "-H", "127.0.0.1", "-p", "0")
	uriLine := regexp.MustCompile(`^echo uri: (PYRO:\S+)$`)
	lines := s.until(t, uriLine)
	uri := uriLine.FindStringSubmatch(lines[len(lines)-1])[1]
	out, err := pyrotest.Run(t, context.Background(), `
import os, Pyro4
with Pyro4.Proxy(os.environ["GYRO_URI"]) as p:
    print(p.echo("over tls"))
`, append(env, "GYRO_URI="+uri)...)
	if err != nil || strings.TrimSpace(out) != "over tls" {
		t.Fatalf("Pyro4 proxy: %q, %v", out, err)
	}
}
