package main

import (
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/internal/etcdtest"
)

// TestNSEtcd runs two `gyro ns -s etcd:...` on one registry: a name
// registered through one is looked up at once through the other, and a
// registry under another prefix does not see it.
func TestNSEtcd(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "")
	c := etcdtest.Start(t, 1)
	args := []string{"-n", "127.0.0.1", "-p", "0", "-s", c.Spec(), "--etcd-prefix", "/cmd/a/"}
	_, lines1, port1 := startGyroNS(t, args...)
	_, _, port2 := startGyroNS(t, args...)
	_, _, port3 := startGyroNS(t, "-n", "127.0.0.1", "-p", "0", "-s", c.Spec(), "--etcd-prefix", "/cmd/b/")
	if contains(lines1, "Persistent store contains") {
		t.Errorf("a fresh registry reported earlier registrations: %q", lines1)
	}
	if _, errOut, code := runNSC(t, "", "-n", "127.0.0.1", "-p", port1, "register", "shared", "PYRO:s@localhost:1"); code != 0 {
		t.Fatalf("register through the first: code %d, %s", code, errOut)
	}
	out, errOut, code := runNSC(t, "", "-n", "127.0.0.1", "-p", port2, "lookup", "shared")
	if code != 0 || out != "PYRO:s@localhost:1\n" {
		t.Errorf("lookup through the second: %q, code %d, %s", out, code, errOut)
	}
	// pyro4-nsc prints a NamingError and exits 0; so does gyro nsc
	out, _, _ = runNSC(t, "", "-n", "127.0.0.1", "-p", port3, "lookup", "shared")
	if out != "Error: NamingError - unknown name: shared\n" {
		t.Errorf("lookup under another prefix: %q", out)
	}
}

func TestNSEtcdBadSpec(t *testing.T) {
	for _, spec := range []string{"etcd:", "etcd:127.0.0.1:2379"} {
		var out, errOut strings.Builder
		code := runContext(t.Context(), []string{"ns", "-n", "127.0.0.1", "-p", "0", "-s", spec}, nil, &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), "invalid storage type '"+spec+"'") {
			t.Errorf("-s %s: code %d, stderr %q", spec, code, errOut.String())
		}
	}
}
