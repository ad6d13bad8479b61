package naming

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/pyval"
)

// NSOptions are the arguments of Pyro4's startNS and startNSloop (and of
// the pyro4-ns command line). As in every gyro options struct, port 0
// means a free port: pass Config.NSPort and Config.NSBCPort for Pyro4's
// well-known ports (config.Default() has 9090 and 9091), as gyro ns does.
type NSOptions struct {
	// Host to bind; "" means Config.Host ("localhost").
	Host string
	// Port to bind; 0 picks a free port.
	Port int
	// UnixSocket binds a Unix domain socket at this path instead.
	UnixSocket string
	// NATHost and NATPort are the address published behind NAT; ""/0
	// mean Config.NATHost/Config.NATPort (and a NAT port of 0 then means
	// the real port).
	NATHost string
	NATPort int
	// NoBroadcast starts no broadcast server (pyro4-ns -x). Pyro4 never
	// starts one for a Unix socket, a loopback bind or IPv6 either.
	NoBroadcast bool
	// BCHost and BCPort bind the broadcast server; "" means
	// Config.NSBCHost (all interfaces), and port 0 a free port.
	BCHost string
	BCPort int
	// Storage selects the store as OpenStorage does: "" or "memory",
	// "bolt:<file>".
	Storage string
	// Store, when not nil, is used instead of Storage: any Storage
	// implementation. The NS closes it with itself.
	Store Storage
	// HMACKey signs and checks every message.
	HMACKey []byte
	// Config holds Pyro4's config items; nil means config.Default().
	Config *config.Config
	// Logger is the daemon's logger; nil means slog.Default().
	Logger *slog.Logger
	// Out receives StartNSLoop's messages; nil means os.Stdout.
	Out io.Writer
	// Interceptors observe the name server's daemon (engine.Interceptor).
	Interceptors []engine.Interceptor
}

// NS is a started name server: Pyro4's (nsUri, daemon, bcserver) triple
// plus the NameServer object. It serves nothing until Serve is called or
// Daemon and Broadcast are driven by another loop.
type NS struct {
	// URI is the name server's URI, with the NAT address when there is one.
	URI pyval.URI
	// InternalURI is the URI without NAT, which the broadcast server sends.
	InternalURI pyval.URI
	// Daemon serves the "Pyro.NameServer" object.
	Daemon *engine.Daemon
	// Broadcast is the broadcast server, nil when there is none.
	Broadcast *BroadcastServer
	// NameServer is the name server object.
	NameServer *NameServer

	hostIP  string // the bound address, or "Unix domain socket"
	ipv6    bool
	nat     bool
	hmac    bool
	cleaner *autocleaner
}

// StartNS creates a name server without running any loop, as Pyro4's
// startNS: it opens the store, binds the daemon, registers the name server
// object as "Pyro.NameServer" and in its own store (with the metadata
// "class:Pyro4.naming.NameServer"), starts autoclean when NS_AUTOCLEAN is
// set, and creates a broadcast server unless NoBroadcast is set or the
// daemon is on a Unix socket, a 127.* or ::1 address, or IPv6.
func StartNS(opts NSOptions) (_ *NS, err error) {
	cfg := config.Default()
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if cfg.NSAutoclean > 0 && cfg.NSAutoclean < autocleanMin {
		return nil, fmt.Errorf("naming: NS_AUTOCLEAN cannot be smaller than %v", autocleanMin)
	}
	st := opts.Store
	if st == nil {
		if st, err = OpenStorage(opts.Storage); err != nil {
			return nil, err // names the store already
		}
	}
	n := &NS{NameServer: NewNameServer(st), hmac: len(opts.HMACKey) > 0}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	natHost, natPort := opts.NATHost, opts.NATPort
	if natHost == "" {
		natHost = cfg.NATHost
	}
	if natPort == 0 {
		natPort = cfg.NATPort
	}
	if opts.UnixSocket != "" && opts.NATHost == "" {
		natHost, cfg.NATHost = "", "" // a configured NATHOST does not apply to a socket file
	}
	n.Daemon, err = engine.New(engine.Options{
		Host: opts.Host, Port: opts.Port, UnixSocket: opts.UnixSocket,
		NATHost: natHost, NATPort: natPort,
		Config: &cfg, HMACKey: opts.HMACKey, Logger: opts.Logger,
		Interceptors: opts.Interceptors,
	})
	if err != nil {
		return nil, fmt.Errorf("naming: %w", err)
	}
	if _, err = n.Daemon.Register(n.NameServer, NameServerName, false); err != nil {
		return nil, fmt.Errorf("naming: %w", err)
	}
	if n.URI, err = n.Daemon.URIFor(NameServerName); err != nil {
		return nil, err
	}
	if n.InternalURI, err = n.Daemon.InternalURIFor(NameServerName); err != nil {
		return nil, err
	}
	n.nat = natHost != ""
	if err = n.NameServer.Register(context.Background(), NameServerName, n.URI, false, pyval.Set{NameServerClassTag}); err != nil {
		return nil, fmt.Errorf("naming: registering the name server: %w", err)
	}
	if opts.UnixSocket != "" {
		n.hostIP = "Unix domain socket"
	} else if ta, ok := n.Daemon.Addr().(*net.TCPAddr); ok {
		n.hostIP = ta.IP.String()
		n.ipv6 = ta.IP.To4() == nil
	}
	if wantBroadcast(n.hostIP, n.ipv6, opts.NoBroadcast) {
		bchost := opts.BCHost
		if bchost == "" {
			bchost = cfg.NSBCHost
		}
		if n.Broadcast, err = NewBroadcastServer(n.InternalURI, bchost, opts.BCPort); err != nil {
			return nil, err
		}
	}
	if cfg.NSAutoclean > 0 {
		n.cleaner = startAutoclean(n.NameServer, cfg)
	}
	return n, nil
}

// wantBroadcast is Pyro4's rule for starting a broadcast server: not for a
// Unix socket, a loopback address or IPv6, nor when switched off.
func wantBroadcast(hostIP string, ipv6, off bool) bool {
	return !off && hostIP != "Unix domain socket" && !ipv6 && !strings.HasPrefix(hostIP, "127.")
}

// Serve runs the broadcast server (if any) in the background and the
// daemon's request loop until ctx is done or the daemon shuts down. The
// broadcast server is closed when Serve returns; the rest is not: call
// Close after it.
func (n *NS) Serve(ctx context.Context) error {
	if n.Broadcast != nil {
		bctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			n.Broadcast.Serve(bctx)
		}()
		defer func() {
			cancel()
			<-done
		}()
	}
	return n.Daemon.Serve(ctx)
}

// Close stops and releases everything: the daemon (waiting for calls in
// progress), the broadcast server, autoclean, and then the store.
func (n *NS) Close() error {
	var errs []error
	if n.Daemon != nil {
		errs = append(errs, n.Daemon.Close())
	}
	if n.Broadcast != nil {
		errs = append(errs, n.Broadcast.Close())
	}
	if n.cleaner != nil {
		n.cleaner.stop()
	}
	if n.NameServer != nil {
		errs = append(errs, n.NameServer.st.Close())
	}
	return errors.Join(errs...)
}

// StartNSLoop starts a name server and serves until ctx is done, printing
// what Pyro4's startNSloop (pyro4-ns) prints:
//
//	Not starting broadcast server for localhost.
//	NS running on localhost:9090 (127.0.0.1)
//	Warning: HMAC key not set. Anyone can connect to this server!
//	URI = PYRO:Pyro.NameServer@localhost:9090
//	NS shut down.
//
// ("Broadcast server running on 0.0.0.0:9091" on a routable address, "Not
// starting broadcast server for IPv6." on IPv6, "Persistent store contains
// N existing registrations." for a store with earlier entries, and
// "internal URI = ..." / "external URI = ..." behind NAT.)
func StartNSLoop(ctx context.Context, opts NSOptions) error {
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	n, err := StartNS(opts)
	if err != nil {
		return err
	}
	switch {
	case n.hostIP == "Unix domain socket":
	case n.ipv6:
		fmt.Fprintln(out, "Not starting broadcast server for IPv6.")
	case strings.HasPrefix(n.hostIP, "127."):
		fmt.Fprintln(out, "Not starting broadcast server for localhost.")
	case n.Broadcast != nil:
		fmt.Fprintf(out, "Broadcast server running on %s\n", n.Broadcast.LocationStr())
	}
	if existing, err := n.NameServer.Count(ctx); err == nil && existing > 1 {
		fmt.Fprintf(out, "Persistent store contains %d existing registrations.\n", existing)
	}
	fmt.Fprintf(out, "NS running on %s (%s)\n", n.Daemon.LocationStr(), n.hostIP)
	if !n.hmac {
		fmt.Fprintln(out, "Warning: HMAC key not set. Anyone can connect to this server!")
	}
	if n.nat {
		fmt.Fprintf(out, "internal URI = %s\n", n.InternalURI)
		fmt.Fprintf(out, "external URI = %s\n", n.URI)
	} else {
		fmt.Fprintf(out, "URI = %s\n", n.URI)
	}
	serr := n.Serve(ctx)
	cerr := n.Close()
	fmt.Fprintln(out, "NS shut down.")
	return errors.Join(serr, cerr)
}
