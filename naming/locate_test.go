package naming

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

// TestLocateNSSearchOrder walks Pyro4's search order against a gyro name
// server on 127.0.0.1 and a broadcast server on 127.0.0.1 that announces
// the name server as "localhost", so a broadcast find is told apart from a
// direct one by its host.
func TestLocateNSSearchOrder(t *testing.T) {
	ctx := context.Background()
	sock := filepath.Join(t.TempDir(), "ns.sock")
	ns := startNS(t, nil)
	unixNS := startNS(t, func(o *NSOptions) { o.UnixSocket = sock })
	announced := ns.URI
	announced.Host = "localhost"
	bc, err := NewBroadcastServer(announced, "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	bcDone := bc.RunInBackground()
	t.Cleanup(func() {
		bc.Close()
		<-bcDone
	})
	port := ns.URI.Port
	dead := deadTCPPort(t)
	for _, tc := range []struct {
		name   string
		opts   LocateOptions
		cfg    func(*config.Config)
		want   string // the URI found; "" for NamingError
		bound  bool
		waitBC bool // the broadcast search runs and fails: shorten it
	}{
		{name: "explicit host", opts: LocateOptions{Host: "127.0.0.1", Port: port}, want: ns.URI.String(), bound: true},
		{name: "explicit host, NS_PORT", opts: LocateOptions{Host: "127.0.0.1"}, cfg: func(c *config.Config) { c.NSPort = port }, want: ns.URI.String(), bound: true},
		{name: "explicit bracketed host", opts: LocateOptions{Host: "[127.0.0.1]", Port: port}, want: ns.URI.String(), bound: true},
		{name: "explicit host, dead port", opts: LocateOptions{Host: "127.0.0.1", Port: dead}},
		{name: "unix socket", opts: LocateOptions{Host: "./u:" + sock}, want: unixNS.URI.String(), bound: true},
		{name: "loopback NS_HOST", cfg: func(c *config.Config) { c.NSPort = port }, want: ns.URI.String(), bound: true},
		{name: "Port serves the NS_HOST try", opts: LocateOptions{Port: port}, want: ns.URI.String(), bound: true},
		{name: "broadcast", cfg: func(c *config.Config) { c.NSBCPort = bc.Port() }, want: announced.String()},
		{name: "Port serves the broadcast", opts: LocateOptions{Port: bc.Port()}, want: announced.String()},
		{name: "NS_HOST:NS_PORT last", opts: LocateOptions{Port: dead, NoBroadcast: true}, cfg: func(c *config.Config) { c.NSPort = port }, want: ns.URI.String(), bound: true},
		{name: "no broadcast", opts: LocateOptions{NoBroadcast: true}, cfg: func(c *config.Config) { c.NSBCPort = bc.Port() }},
		{name: "IPv6 skips broadcast", cfg: func(c *config.Config) { c.NSBCPort = bc.Port(); c.PreferIPVersion = 6 }},
		{name: "nothing answers", waitBC: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			if tc.waitBC {
				saved := broadcastTimeout
				broadcastTimeout = 20 * time.Millisecond
				defer func() { broadcastTimeout = saved }()
			}
			tc.opts.Config = cfg
			p, err := LocateNS(ctx, tc.opts)
			if tc.want == "" {
				wantErr(t, "LocateNS", err, pyval.ClassNamingError, "Failed to locate the nameserver")
				if !errors.Is(err, pyval.ErrNaming) {
					t.Errorf("%v is not a NamingError for errors.Is", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if got := p.URI().String(); got != tc.want {
				t.Errorf("found %s, want %s", got, tc.want)
			}
			if methods, _, _ := p.Metadata(); (len(methods) > 0) != tc.bound {
				t.Errorf("bound = %v, want %v", len(methods) > 0, tc.bound)
			}
			if n, err := p.Call(ctx, "count"); err != nil || n != int64(1) {
				t.Errorf("count() = %v, %v", n, err)
			}
		})
	}
	t.Run("cause", func(t *testing.T) {
		_, err := LocateNS(ctx, LocateOptions{Host: "127.0.0.1", Port: dead, Config: testConfig(t)})
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%v does not wrap the refused connection", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := LocateNS(cctx, LocateOptions{Config: testConfig(t)})
		if !errors.Is(err, pyval.ErrNaming) || !errors.Is(err, context.Canceled) {
			t.Errorf("canceled search: %v", err)
		}
	})
}

// TestResolve resolves PYRONAME and PYROMETA URIs through a gyro name
// server, and uses Resolver in a proxy.
func TestResolve(t *testing.T) {
	ctx := context.Background()
	sock := filepath.Join(t.TempDir(), "ns.sock")
	ns := startNS(t, func(o *NSOptions) { o.UnixSocket = sock })
	tcpNS := startNS(t, func(o *NSOptions) { o.Store = ns.NameServer.Storage() })
	cfg := testConfig(t)
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	objURI, err := d.Register(thing{}, "thing", false)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, d)
	nsc := testProxy(t, ns.URI, proxy.Options{})
	defer nsc.Close()
	other := pyval.MustParseURI("PYRO:other@127.0.0.1:1")
	for name, meta := range map[string][]string{"thing": {"kind:thing", "both"}, "other": {"kind:other", "both"}} {
		u := objURI
		if name == "other" {
			u = other
		}
		if _, err := nsc.CallKw(ctx, "register", []any{name, u}, map[string]any{"metadata": meta}); err != nil {
			t.Fatal(err)
		}
	}
	loc := "@" + tcpNS.URI.Location()
	opts := LocateOptions{Config: cfg}
	for _, tc := range []struct {
		uri  string
		opts LocateOptions
		want string
	}{
		{objURI.String(), opts, objURI.String()},
		{"PYRONAME:thing" + loc, opts, objURI.String()},
		{"PYRONAME:thing@./u:" + sock, opts, objURI.String()},
		{"PYRONAME:thing", LocateOptions{Host: "./u:" + sock, Config: cfg}, objURI.String()},
		{"PYROMETA:kind:thing" + loc, opts, objURI.String()},
		{"PYROMETA:both,kind:other" + loc, opts, other.String()},
	} {
		got, err := Resolve(ctx, pyval.MustParseURI(tc.uri), tc.opts)
		if err != nil || got.String() != tc.want {
			t.Errorf("Resolve(%s) = %s, %v; want %s", tc.uri, got, err, tc.want)
		}
	}
	seen := map[string]bool{}
	for range 64 { // both candidates come up: 2^-63 to fail by chance
		u, err := Resolve(ctx, pyval.MustParseURI("PYROMETA:both"+loc), opts)
		if err != nil {
			t.Fatal(err)
		}
		seen[u.String()] = true
	}
	if len(seen) != 2 {
		t.Errorf("PYROMETA picked only %v", seen)
	}
	for _, tc := range []struct {
		uri   pyval.URI
		class string
		msg   string
	}{
		{pyval.MustParseURI("PYRONAME:nope" + loc), pyval.ClassNamingError, "unknown name: nope"},
		{pyval.MustParseURI("PYROMETA:b,a" + loc), pyval.ClassNamingError, "no registrations available with desired metadata properties {'a', 'b'}"},
		{pyval.URI{Protocol: "HTTP", Object: "x"}, pyval.ClassPyroError, "invalid uri protocol"},
	} {
		_, err := Resolve(ctx, tc.uri, opts)
		wantErr(t, tc.uri.String(), err, tc.class, tc.msg)
	}
	p := testProxy(t, pyval.MustParseURI("PYRONAME:thing"+loc), proxy.Options{Resolve: Resolver(opts)})
	defer p.Close()
	if v, err := p.Call(ctx, "method", 21); err != nil || v != int64(42) {
		t.Errorf("method(21) through PYRONAME = %v, %v", v, err)
	}
}
