package engine_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// multicoreOnly skips tests of the multicore transport's own machinery in
// the suite's runs for the other server types.
func multicoreOnly(t *testing.T) {
	t.Helper()
	if testConfig().ServerType != "multicore" {
		t.Skip("multicore server type only")
	}
}

// Gate blocks Wait until the test opens it, for a call that is in progress
// for as long as the test wants.
type Gate struct {
	entered chan struct{}
	open    chan struct{}
}

func (g *Gate) Wait() string {
	g.entered <- struct{}{}
	<-g.open
	return "opened"
}

// Big returns n bytes of text, for replies that fill socket buffers.
func (g *Gate) Big(n int) string { return strings.Repeat("b", n) }

func TestMulticoreNotDrivable(t *testing.T) {
	multicoreOnly(t)
	d := newDaemon(t, engine.Options{Host: "127.0.0.1"})
	if s := d.Sockets(); len(s) != 0 {
		t.Errorf("Sockets() = %v, want none", s)
	}
	if s := d.WriteSockets(); len(s) != 0 {
		t.Errorf("WriteSockets() = %v, want none", s)
	}
	if err := d.Events([]int{0}); err != nil {
		t.Errorf("Events = %v, want nil", err)
	}
	if err := d.Combinable(); !errors.Is(err, engine.ErrNotCombinable) {
		t.Errorf("Combinable() = %v", err)
	}
}

// TestMulticorePipelinedOrder: many requests in one write come back in
// request order, although calls run on a worker pool.
func TestMulticorePipelinedOrder(t *testing.T) {
	multicoreOnly(t)
	d := startCalc(t, nil)
	c := dialRaw(t, d)
	c.handshake("calc")
	const n = 500
	var batch []byte
	for i := 1; i <= n; i++ {
		data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "calc", Method: "add", Args: []any{int64(i), int64(i)}}, nil)
		batch, _ = wire.Append(batch, &wire.Message{Type: wire.MsgInvoke, Seq: uint16(i), SerializerID: serial.IDSerpent, Data: data}, nil)
	}
	if _, err := c.nc.Write(batch); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		m := c.recv()
		v, err := serial.Serpent.Unmarshal(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Seq != uint16(i) || v != int64(2*i) {
			t.Fatalf("reply %d: seq %d value %v", i, m.Seq, v)
		}
	}
}

// TestMulticoreSlowCallStallsOnlyItsConnection: a call blocked in a worker
// holds neither the event loop nor other connections.
func TestMulticoreSlowCallStallsOnlyItsConnection(t *testing.T) {
	multicoreOnly(t)
	d := startCalc(t, nil)
	g := &Gate{entered: make(chan struct{}), open: make(chan struct{})}
	d.Register(g, "gate", false)
	slow := dialRaw(t, d)
	slow.handshake("gate")
	done := make(chan any, 1)
	go func() {
		_, v := slow.invoke("gate", "wait")
		done <- v
	}()
	<-g.entered
	c := dialRaw(t, d)
	c.handshake("calc")
	if _, v := c.invoke("calc", "add", int64(1), int64(2)); v != int64(3) {
		t.Fatalf("add = %v", v)
	}
	close(g.open)
	if v := <-done; v != "opened" {
		t.Fatalf("wait = %v", v)
	}
}

// TestMulticoreBackPressure: a client that pipelines calls with large
// replies and reads nothing fills the daemon's output; the daemon stops
// taking its work but keeps serving others, and every reply arrives in
// order once the client reads.
func TestMulticoreBackPressure(t *testing.T) {
	multicoreOnly(t)
	d := startCalc(t, nil)
	g := &Gate{}
	d.Register(g, "gate", false)
	hog := dialRaw(t, d)
	hog.nc.(*net.TCPConn).SetReadBuffer(16 << 10) // so the daemon's writes fill up early
	hog.handshake("gate")
	const n, size = 300, 64 << 10 // 19 MiB of replies
	var batch []byte
	for i := 1; i <= n; i++ {
		data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "gate", Method: "big", Args: []any{int64(size)}}, nil)
		batch, _ = wire.Append(batch, &wire.Message{Type: wire.MsgInvoke, Seq: uint16(i), SerializerID: serial.IDSerpent, Data: data}, nil)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		hog.nc.Write(batch) // completes once the daemon reads on
	}()
	c := dialRaw(t, d)
	c.handshake("calc")
	if _, v := c.invoke("calc", "add", int64(20), int64(22)); v != int64(42) {
		t.Fatalf("add = %v", v)
	}
	for i := 1; i <= n; i++ {
		m := hog.recv()
		if m.Seq != uint16(i) || len(m.Data) < size {
			t.Fatalf("reply %d: seq %d, %d bytes", i, m.Seq, len(m.Data))
		}
	}
	wg.Wait()
}

func TestMulticoreUnixSocket(t *testing.T) {
	multicoreOnly(t)
	path := filepath.Join(t.TempDir(), "gyro.sock")
	cfg := testConfig()
	d, err := engine.New(engine.Options{UnixSocket: path, Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	uri, _ := d.Register(Calculator{}, "calc", false)
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	ctx := context.Background()
	p, err := proxy.New(uri.String(), proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := p.Call(ctx, "add", 2, 3); err != nil || v != int64(5) {
		t.Fatalf("add = %v, %v", v, err)
	}
	p.Close()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket file still there after Close: %v", err)
	}
}

// TestMulticoreIdleWorkersExit: the workers a burst of concurrent calls
// started go away once the burst is over, so a daemon under bursty load
// does not keep THREADPOOL_SIZE goroutines for good.
func TestMulticoreIdleWorkersExit(t *testing.T) {
	multicoreOnly(t)
	d := startCalc(t, nil)
	g := &Gate{entered: make(chan struct{}), open: make(chan struct{})}
	d.Register(g, "gate", false)
	const n = 8
	var clients []*rawClient
	for range n {
		c := dialRaw(t, d)
		c.handshake("gate")
		clients = append(clients, c)
	}
	// every connection enrolled and handshaken: what remains is the workers
	baseline := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.invoke("gate", "wait")
		}()
	}
	for range n {
		<-g.entered
	}
	busy := runtime.NumGoroutine()
	close(g.open)
	wg.Wait()
	if busy < baseline+n {
		t.Fatalf("%d goroutines with %d calls in progress, %d before: the calls did not run on workers of their own", busy, n, baseline)
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 10 s after the burst, %d before it: idle workers stayed", runtime.NumGoroutine(), baseline)
		}
		time.Sleep(10 * time.Millisecond) // polling: no event marks a worker's exit
	}
}
