//go:build unix

package combine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gyro-rpc/gyro/combine"
	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/fdcount"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
)

type Adder struct{ name string }

func (a *Adder) Add(x, y int) int { return x + y }
func (a *Adder) Name() string     { return a.name }

type Stopper struct{ d *engine.Daemon }

func (s *Stopper) Stop() { s.d.Shutdown() }

func daemon(t *testing.T, serverType string) *engine.Daemon {
	t.Helper()
	cfg := config.Default()
	cfg.ServerType = serverType
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCombinedDaemons(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	before := fdcount.Count(t)
	master, other := daemon(t, "multiplex"), daemon(t, "multiplex")
	u1, _ := master.Register(&Adder{"master"}, "adder", false)
	u2, _ := other.Register(&Adder{"other"}, "adder", false)
	master.Register(&Stopper{master}, "stopper", false)
	l, err := combine.Combine(master, other)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.RequestLoop(nil) }()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, u := range []string{u1.String(), u2.String()} {
		p, err := proxy.New(u, proxy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := p.Call(ctx, "add", 2, 3); err != nil || v != int64(5) {
			t.Fatalf("%s add = %v, %v", u, v, err)
		}
		p.Close()
	}
	if pyrotest.Available() {
		out, err := pyrotest.Run(t, ctx, `
import Pyro4
a = Pyro4.Proxy("`+u1.String()+`")
b = Pyro4.Proxy("`+u2.String()+`")
print(a.name(), b.name(), a.add(1, 2) + b.add(3, 4))
`)
		if err != nil || out != "master other 10\n" {
			t.Fatalf("Pyro4 client through the combined loop: %q, %v", out, err)
		}
	}
	// a remote shutdown of the master stops the whole combined loop
	sp, _ := proxy.New("PYRO:stopper@"+master.LocationStr(), proxy.Options{})
	if _, err := sp.Call(ctx, "stop"); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("combined loop kept running after the master shut down")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if after := fdcount.Count(t); after != before {
		t.Errorf("open fds %d before, %d after Close", before, after)
	}
}

func TestThreadDaemonRefused(t *testing.T) {
	m, th := daemon(t, "multiplex"), daemon(t, "thread")
	defer m.Close()
	defer th.Close()
	if _, err := combine.Combine(m, th); !errors.Is(err, engine.ErrNotCombinable) {
		t.Fatalf("combining a thread daemon: %v, want ErrNotCombinable", err)
	}
	if _, err := combine.Combine(th); !errors.Is(err, engine.ErrNotCombinable) {
		t.Fatalf("thread daemon as master: %v", err)
	}
}

func TestShutdownFromAnotherGoroutine(t *testing.T) {
	m := daemon(t, "multiplex")
	l, err := combine.Combine(m)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	go func() { done <- l.RequestLoop(nil) }()
	l.Shutdown()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RequestLoop ignored Shutdown")
	}
}
