package engine_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/serial"
)

// TestConnectionLimits: past Limits.MaxConnections (or the per-address
// limit) a client gets a CONNECTFAIL naming the limit and is disconnected;
// once a connection closes, a new client is served again.
func TestConnectionLimits(t *testing.T) {
	tests := []struct {
		name   string
		limits engine.Limits
		n      int
		reason string
	}{
		{"total", engine.Limits{MaxConnections: 3}, 3, "too many connections"},
		{"per address", engine.Limits{MaxConnectionsPerHost: 2}, 2, "too many connections from this address"},
		{"both, per address first", engine.Limits{MaxConnections: 5, MaxConnectionsPerHost: 2}, 2, "too many connections from this address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startCalc(t, func(o *engine.Options) { o.Limits = tt.limits })
			var open []*rawClient
			for range tt.n {
				c := dialRaw(t, d)
				c.handshake("calc")
				open = append(open, c)
			}
			over := dialRaw(t, d)
			if got := connectFailReason(t, over.recv(), serial.IDMarshal); got != tt.reason {
				t.Errorf("reason %q, want %q", got, tt.reason)
			}
			over.expectClosed()
			// the ones within the limit are still served
			if _, v := open[0].invoke("calc", "add", int64(1), int64(1)); v != int64(2) {
				t.Errorf("add = %v", v)
			}
			open[0].nc.Close()
			// the server sees the close in its own time: try again until a
			// new client is let in, boundedly
			deadline := time.Now().Add(5 * time.Second)
			for {
				c := dialRaw(t, d)
				m := c.connect("calc", serial.IDSerpent)
				if m.Type == 2 { // CONNECTOK
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no client let in after a connection closed")
				}
				c.nc.Close()
				time.Sleep(10 * time.Millisecond) // pacing retries, not synchronisation
			}
		})
	}
}

// TestConnectionLimitsOffByDefault: with no Limits, many connections from
// one address are all served.
func TestConnectionLimitsOffByDefault(t *testing.T) {
	d := startCalc(t, nil)
	var conns []net.Conn
	for range 30 { // below THREADPOOL_SIZE, the thread type's own limit
		c := dialRaw(t, d)
		c.handshake("calc")
		conns = append(conns, c.nc)
	}
	if len(conns) != 30 {
		t.Fatal(len(conns))
	}
}

// TestPyro4ClientOverLimit: the real Pyro4 client, refused for a limit,
// reports Pyro4's own "connection ... rejected: <reason>".
func TestPyro4ClientOverLimit(t *testing.T) {
	pyrotest.Python(t)
	_, uri := startEcho(t, func(o *engine.Options) { o.Limits = engine.Limits{MaxConnections: 1} })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const script = `
import os, Pyro4
Pyro4.config.SERIALIZER = "serpent"
a = Pyro4.Proxy(os.environ["URI"])
a._pyroBind()
b = Pyro4.Proxy(os.environ["URI"])
try:
    b._pyroBind()
    print("bound")
except Pyro4.errors.CommunicationError as e:
    print("refused:", e)
`
	out, err := pyrotest.Run(t, ctx, script, "URI="+uri)
	if err != nil || !strings.Contains(out, "refused: connection to") || !strings.Contains(out, "rejected: too many connections") {
		t.Fatalf("Pyro4 client: %v\n%s", err, out)
	}
}
