package naming

import (
	"net"
	"testing"

	"github.com/gyro-rpc/gyro/config"

	"github.com/gyro-rpc/gyro/pyval"
)

// Port 0 is a free port in NSOptions and for the broadcast server, as in
// every gyro options struct; Pyro4's well-known ports are the config's.
func TestPortZeroIsAFreePort(t *testing.T) {
	cfg := testConfig(t) // NSPort and NSBCPort: ports nobody listens on
	ns, err := StartNS(NSOptions{Host: "127.0.0.1", NoBroadcast: true, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if p := ns.Daemon.Addr().(*net.TCPAddr).Port; p == cfg.NSPort || p == 0 {
		t.Errorf("NSOptions.Port 0 bound port %d, want a free one", p)
	}
	bc, err := NewBroadcastServer(pyval.MustParseURI("PYRO:Pyro.NameServer@127.0.0.1:1"), "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	if p := bc.conn.LocalAddr().(*net.UDPAddr).Port; p == cfg.NSBCPort || p == config.Default().NSBCPort || p == 0 {
		t.Errorf("broadcast port 0 bound port %d, want a free one", p)
	}
}
