package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// A daemon behind NAT publishes the NAT address from NATHOST/NATPORT
// (PYRO_NATHOST/PYRO_NATPORT) as Pyro4's Daemon does, and a NAT port
// without a NAT host is refused as Pyro4 refuses it. Each case runs in
// Pyro4 4.82 first; the Go daemon must give the same URI or refuse too.
func TestNATFromConfigMatchesPyro4(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		natHost string // Daemon(nathost=...); "" is None
		natPort int    // Daemon(natport=...); 0 is None
	}{
		{name: "config host and port", env: []string{"PYRO_NATHOST=nat.example", "PYRO_NATPORT=5555"}},
		{name: "config host, real port", env: []string{"PYRO_NATHOST=nat.example"}},
		{name: "config port alone is ignored", env: []string{"PYRO_NATPORT=5555"}},
		{name: "argument beats config", env: []string{"PYRO_NATHOST=nat.example", "PYRO_NATPORT=5555"}, natHost: "other.example", natPort: 6666},
		{name: "nat port without host", natPort: 6666},
		{name: "no nat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := pyro4NATURI(t, tc.env, tc.natHost, tc.natPort)
			cfg := testConfig()
			if err := cfg.LoadEnv(lookupIn(tc.env)); err != nil {
				t.Fatal(err)
			}
			d, err := engine.New(engine.Options{Host: "127.0.0.1", NATHost: tc.natHost, NATPort: tc.natPort, Config: &cfg})
			if err != nil {
				if want != "error" {
					t.Fatalf("New: %v; Pyro4 gives %s", err, want)
				}
				return
			}
			defer d.Close()
			if want == "error" {
				t.Fatal("New accepted what Pyro4 refuses")
			}
			u, err := d.URIFor("x")
			if err != nil {
				t.Fatal(err)
			}
			port := strconv.Itoa(d.Addr().(*net.TCPAddr).Port)
			if got := strings.Replace(u.String(), ":"+port, ":PORT", 1); got != want {
				t.Errorf("URIFor = %s, Pyro4 = %s", got, want)
			}
		})
	}
	if _, err := engine.New(engine.Options{Host: "127.0.0.1", NATPort: 1}); !errors.Is(err, engine.ErrNATPortWithoutHost) {
		t.Errorf("NAT port without host: %v, want ErrNATPortWithoutHost", err)
	}
}

// pyro4NATURI asks Pyro4's Daemon for uriFor("x") with the real port
// written PORT, or "error" for a ValueError.
func pyro4NATURI(t *testing.T, env []string, natHost string, natPort int) string {
	t.Helper()
	arg := func(s string) string {
		if s == "" || s == "0" {
			return "None"
		}
		return strconv.Quote(s)
	}
	script := fmt.Sprintf(`
import Pyro4
try:
    nh, np = %s, %s
    d = Pyro4.Daemon(host="127.0.0.1", nathost=nh, natport=int(np) if np else None)
except ValueError:
    print("error")
else:
    print(str(d.uriFor("x")).replace(":" + d.locationStr.split(":")[1], ":PORT", 1))
    d.close()
`, arg(natHost), arg(strconv.Itoa(natPort)))
	out, err := pyrotest.Run(t, context.Background(), script, env...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func lookupIn(env []string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		for _, kv := range env {
			if k, v, _ := strings.Cut(kv, "="); k == key {
				return v, true
			}
		}
		return "", false
	}
}

type natChild struct{ n int }

func (*natChild) Ping() string { return "pong" }

type natParent struct{ child *natChild }

func (p *natParent) Child() *natChild { return p.child }

// A Pyro4 client of a daemon whose NAT address comes from PYRO_NATHOST and
// PYRO_NATPORT receives proxies (autoproxy) and URIs with that address,
// the one it can reach from outside.
func TestPyro4ClientSeesNATFromConfig(t *testing.T) {
	pyrotest.Python(t)
	cfg := testConfig()
	if err := cfg.LoadEnv(lookupIn([]string{"PYRO_NATHOST=nat.example", "PYRO_NATPORT=5555"})); err != nil {
		t.Fatal(err)
	}
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	child := &natChild{}
	if _, err := d.Register(child, "child", false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(&natParent{child}, "parent", false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx) }()
	internal, err := d.InternalURIFor("parent")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pyrotest.Run(t, ctx, fmt.Sprintf(`
import Pyro4
p = Pyro4.Proxy(%q)
print(p.child()._pyroUri)
`, internal.String()))
	d.Shutdown()
	if serr := <-done; serr != nil {
		t.Errorf("Serve: %v", serr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(out), "PYRO:child@nat.example:5555"; got != want {
		t.Errorf("Pyro4 client got %s, want %s", got, want)
	}
}
