package naming

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"

	"github.com/gyro-rpc/gyro/config"
	"go.uber.org/goleak"
)

// helperEnv makes the test binary a name server process (for the kill -9
// persistence test): it serves a bolt store at the path in the variable.
const helperEnv = "GYRO_NAMING_HELPER_STORE"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(helperMain(path))
	}
	// Tests never broadcast beyond loopback: a stray 255.255.255.255 or
	// 0.0.0.0 in a test's config stops the run instead of reaching the
	// network.
	sendCheck = func(ip net.IP) error {
		if !ip.IsLoopback() {
			panic(fmt.Sprintf("naming test tried to broadcast to %s; set BroadcastAddrs to 127.0.0.1", ip))
		}
		return nil
	}
	// goroutines that dependencies start at init are not ours to check
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}

// helperMain runs a name server on a bolt store until it is killed.
func helperMain(path string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg := config.Default()
	err := StartNSLoop(ctx, NSOptions{Host: "127.0.0.1", NoBroadcast: true, Storage: "bolt:" + path, Config: &cfg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

// testConfig is config.Default() made safe for tests: broadcasts go to
// 127.0.0.1 only, and NS_HOST/NS_PORT/NS_BCPORT point at loopback ports
// where nothing listens, so a search never finds a name server that
// happens to run on this machine.
func testConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.BroadcastAddrs = "127.0.0.1"
	cfg.NSHost = "127.0.0.1"
	cfg.NSPort = deadTCPPort(t)
	cfg.NSBCPort = deadUDPPort(t)
	cfg.CommTimeout = 0
	return &cfg
}

// deadTCPPort returns a loopback port that refuses connections: it was
// free a moment ago.
func deadTCPPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// deadUDPPort returns a loopback UDP port nothing listens on.
func deadUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// startNS starts a gyro name server on 127.0.0.1 and serves it until the
// test ends.
func startNS(t testing.TB, mutate func(*NSOptions)) *NS {
	t.Helper()
	opts := NSOptions{Host: "127.0.0.1", NoBroadcast: true, Config: testConfig(t)}
	if mutate != nil {
		mutate(&opts)
	}
	ns, err := StartNS(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ns.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := ns.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return ns
}

func itoa(i int) string { return strconv.Itoa(i) }
