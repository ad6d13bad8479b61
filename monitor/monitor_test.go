package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/servetest"
	"github.com/gyro-rpc/gyro/monitor"
	_ "github.com/gyro-rpc/gyro/multicore"
	"github.com/gyro-rpc/gyro/proxy"
)

// Gate holds calls of Wait until released.
type Gate struct {
	entered chan struct{}
	release chan struct{}
}

func (g *Gate) Wait() string {
	g.entered <- struct{}{}
	<-g.release
	return "through"
}

func (g *Gate) Echo(s string) string { return s }

func get(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v: %s", url, err, body)
		}
	}
	return resp.StatusCode
}

func TestEndpoints(t *testing.T) {
	for _, st := range []string{config.ServerThread, config.ServerMultiplex, "multicore"} {
		t.Run(st, func(t *testing.T) {
			mon, err := monitor.New(monitor.Options{Version: "test", Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			cfg := config.Default()
			cfg.ServerType = st
			d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg, Interceptors: mon.Interceptors(),
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			mon.AddDaemon(d)
			g := &Gate{entered: make(chan struct{}), release: make(chan struct{})}
			uri, err := d.Register(g, "gate", false)
			if err != nil {
				t.Fatal(err)
			}
			ctx := servetest.Serve(t, d)
			addr, err := mon.Listen(ctx, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer mon.Close()
			base := "http://" + addr.String()

			p, err := proxy.New(uri.String(), proxy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for range 3 {
				if _, err := p.Call(ctx, "echo", "x"); err != nil {
					t.Fatal(err)
				}
			}
			waiter, err := proxy.New(uri.String(), proxy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer waiter.Close()
			waited := make(chan error, 1)
			go func() { _, err := waiter.Call(ctx, "wait"); waited <- err }()
			<-g.entered

			var c monitor.Connz
			if code := get(t, base+"/connz", &c); code != 200 || c.Total != 2 || len(c.Connections) != 2 {
				t.Fatalf("connz %d: %+v", code, c)
			}
			first, second := c.Connections[0], c.Connections[1]
			if first.Calls != 3 || first.CallsInFlight != 0 || first.Serializer != "serpent" || first.Protocol != 48 ||
				first.InBytes == 0 || first.OutBytes == 0 || !strings.HasPrefix(first.Peer, "127.0.0.1:") {
				t.Errorf("first connection %+v", first)
			}
			if second.CallsInFlight != 1 || second.Calls != 0 {
				t.Errorf("waiting connection %+v, want one call in flight", second)
			}
			if code := get(t, base+"/connz?offset=1&limit=5", &c); code != 200 || len(c.Connections) != 1 || c.Connections[0].ID != second.ID {
				t.Errorf("connz page %d: %+v", code, c)
			}
			if code := get(t, base+"/connz?limit=-1", nil); code != http.StatusBadRequest {
				t.Errorf("connz?limit=-1: %d", code)
			}
			var v monitor.Varz
			if code := get(t, base+"/varz", &v); code != 200 || v.Version != "test" || v.ServerType != st ||
				v.Connections != 2 || v.Calls != 3 || v.CallsInFlight != 1 || len(v.Daemons) != 1 || v.Daemons[0].Objects != 2 {
				t.Errorf("varz %d: %+v", code, v)
			}
			close(g.release)
			if err := <-waited; err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{`gyro_server_calls_handled_total{method="echo",object="gate",outcome="ok"} 3`,
				`gyro_server_calls_handled_total{method="wait",object="gate",outcome="ok"} 1`, "go_goroutines"} {
				if !strings.Contains(string(body), want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			if code := get(t, base+"/healthz", nil); code != 200 {
				t.Errorf("healthz %d while serving", code)
			}
			d.Shutdown()
			if code := get(t, base+"/healthz", nil); code != http.StatusServiceUnavailable {
				t.Errorf("healthz %d after shutdown, want 503", code)
			}
		})
	}
}

func ExampleMonitor() {
	mon, _ := monitor.New(monitor.Options{Version: "1.0"})
	d, _ := engine.New(engine.Options{Host: "127.0.0.1", Interceptors: mon.Interceptors()})
	defer d.Close()
	mon.AddDaemon(d)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	addr, _ := mon.Listen(ctx, "127.0.0.1:0")
	defer mon.Close()
	resp, _ := http.Get("http://" + addr.String() + "/healthz")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(string(body))
	// Output: ok
}

func TestListenWithoutHostBindsLoopback(t *testing.T) {
	mon, err := monitor.New(monitor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := mon.Listen(context.Background(), ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	if !strings.HasPrefix(addr.String(), "127.0.0.1:") {
		t.Errorf("bound %s, want the loopback interface", addr)
	}
	if _, err := mon.Listen(context.Background(), "no-port"); err == nil {
		t.Error("an address without a port was accepted")
	}
}
