package naming_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/proxy"
)

// Thing is the chapter's example object.
type Thing struct{}

func (Thing) Method(arg int) int { return arg * 2 }

// A name server, an object published in it, and a client that finds the
// object by name: the chapter's Example 2, in Go.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// the name server (pyro4-ns -n 127.0.0.1 -p 0)
	ns, err := naming.StartNS(naming.NSOptions{Host: "127.0.0.1"})
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Close()
	go ns.Serve(ctx)

	// a server publishes Thing under a name
	d, err := engine.New(engine.Options{Host: "127.0.0.1"})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	uri, err := d.Register(Thing{}, "", false)
	if err != nil {
		log.Fatal(err)
	}
	go d.Serve(ctx)
	locate := naming.LocateOptions{Host: "127.0.0.1", Port: ns.URI.Port}
	nsProxy, err := naming.LocateNS(ctx, locate)
	if err != nil {
		log.Fatal(err)
	}
	defer nsProxy.Close()
	_, err = nsProxy.CallKw(ctx, "register", []any{"mythingy", uri}, map[string]any{"metadata": []string{"kind:thing"}})
	if err != nil {
		log.Fatal(err)
	}

	// a client asks for it by name, and by metadata
	for _, name := range []string{"PYRONAME:mythingy", "PYROMETA:kind:thing"} {
		thing, err := proxy.New(name, proxy.Options{Resolve: naming.Resolver(locate)})
		if err != nil {
			log.Fatal(err)
		}
		v, err := proxy.As[int](thing.Call(ctx, "method", 42))
		if err != nil {
			log.Fatal(err)
		}
		thing.Close()
		fmt.Println(name, v)
	}
	// Output:
	// PYRONAME:mythingy 84
	// PYROMETA:kind:thing 84
}

// ServeSimple publishes objects and serves them until the context ends;
// with NS it registers the named ones in the name server LocateNS finds.
func ExampleServeSimple() {
	ctx := context.Background() // a real server: signal.NotifyContext(...)
	err := naming.ServeSimple(ctx, []naming.Object{
		{Obj: Thing{}, Name: "mythingy"},
	}, naming.ServeSimpleOptions{NS: true, Verbose: true})
	if err != nil {
		log.Fatal(err)
	}
}

// A persistent name server on Pyro4's well-known ports: registrations live
// in a bbolt file and survive restarts and crashes. StartNSLoop prints what
// pyro4-ns prints.
func ExampleStartNSLoop() {
	ctx := context.Background() // a real server: signal.NotifyContext(...)
	cfg := config.Default()
	err := naming.StartNSLoop(ctx, naming.NSOptions{
		Host: "0.0.0.0", Port: cfg.NSPort, BCPort: cfg.NSBCPort,
		Storage: "bolt:/var/lib/gyro/ns.db", Config: &cfg,
	})
	if err != nil {
		log.Fatal(err)
	}
}

// ExampleStartNS is README.md's name server snippet: StartNS, then Serve
// (or drive NS.Daemon and NS.Broadcast from a loop of one's own).
func ExampleStartNS() {
	ctx := context.Background() // a real server: signal.NotifyContext(...)
	// README begin
	cfg := config.Default() // NS_PORT 9090, NS_BCPORT 9091; config.FromEnv() reads PYRO_*
	ns, err := naming.StartNS(naming.NSOptions{
		Host: "0.0.0.0", Port: cfg.NSPort, BCPort: cfg.NSBCPort, // port 0 would be a free port
		Storage: "bolt:ns.db", Config: &cfg,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Close()
	if err := ns.Serve(ctx); err != nil { // daemon + broadcast responder, until ctx ends
		log.Fatal(err)
	}
	// README end
}
