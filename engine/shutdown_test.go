package engine_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/fdcount"
)

// TestShutdownRefusesNewClients: between Shutdown and Close the listening
// socket is gone, so a client arriving then is refused at once instead of
// waiting in a backlog nobody accepts from, as with Pyro4's shutdown.
// Clients connected before Shutdown keep their connection until Close.
func TestShutdownRefusesNewClients(t *testing.T) {
	d := newDaemon(t, engine.Options{Host: "127.0.0.1"})
	d.Register(Calculator{}, "calc", false)
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	before := dialRaw(t, d)
	before.handshake("calc")
	d.Shutdown()
	if err := <-done; err != nil {
		t.Fatalf("RequestLoop = %v", err)
	}
	nc, err := net.DialTimeout("tcp", d.Addr().String(), 5*time.Second)
	if err == nil {
		nc.Close()
		t.Fatal("a client connected after Shutdown")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial after Shutdown: %v, want connection refused", err)
	}
}

// TestCloseContextExpired: CloseContext with a context that is done
// already returns at once, even with a call in progress, and leaves no
// goroutine and no descriptor of gyro's behind once that call returns.
func TestCloseContextExpired(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	before := fdcount.Count(t)
	cfg := testConfig()
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	// entered has room: on multiplex nobody waits for the call to enter
	g := &Gate{entered: make(chan struct{}, 1), open: make(chan struct{})}
	d.Register(g, "gate", false)
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	c := dialRaw(t, d)
	c.handshake("gate")
	if d.ServerType() == "multiplex" {
		// a multiplex call runs on the loop, which Close waits for: only
		// check that nothing is left behind
		close(g.open)
	}
	c.request("gate", "wait")
	if d.ServerType() != "multiplex" {
		<-g.entered
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	err = d.CloseContext(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("CloseContext(expired) took %v", took)
	}
	if d.ServerType() != "multiplex" && !errors.Is(err, context.Canceled) {
		t.Errorf("CloseContext(expired) with a call in progress = %v, want context.Canceled", err)
	}
	if d.ServerType() != "multiplex" {
		// the client sees its connection end while the call still runs
		c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.nc.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("client read after CloseContext(expired) = %d, %v; want the connection ended", n, err)
		}
		close(g.open) // the user's call may now return; its reply goes nowhere
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.nc.Close()
	// CloseContext returned before the call did: the goroutine that ran
	// it closes the connection as it ends, which VerifyNone waits for
	goleak.VerifyNone(t, ignore)
	if after := fdcount.Count(t); after != before {
		t.Fatalf("open fds: %d before, %d after CloseContext", before, after)
	}
}

// TestEngineLinksNoGnet: a program importing engine alone links no gnet
// (and none of what gnet pulls in); the multicore type is a plug-in.
func TestEngineLinksNoGnet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/gyro-rpc/gyro/engine").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v: %s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"gnet", "go.uber.org/zap", "ants", "lumberjack"} {
			if strings.Contains(dep, banned) {
				t.Errorf("engine links %s", dep)
			}
		}
	}
}

// TestUnlinkedServerType: a SERVERTYPE that is not linked is an error
// that names the import providing it.
func TestUnlinkedServerType(t *testing.T) {
	cfg := testConfig()
	cfg.ServerType = "nosuchtype"
	_, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if !errors.Is(err, engine.ErrUnknownServerType) {
		t.Fatalf("New with SERVERTYPE nosuchtype = %v, want ErrUnknownServerType", err)
	}
	for _, name := range []string{"thread", "multiplex", "multicore"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list the linked type %s", err, name)
		}
	}
}
