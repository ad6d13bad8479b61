// Command thing is the "Servers" chapter's Example 1 and Example 2 in Go: a
// server publishing a Thing whose method(arg) returns arg*2, and a client
// calling it, without and with a name server.
//
// Example 1, no name server (the server prints the URI to give the client):
//
//	go run ./examples/thing server
//	go run ./examples/thing client PYRO:obj_...@localhost:PORT      # prints 84
//
// Example 2, with a name server (start one with `gyro ns` or Pyro4's
// pyro4-ns first); the server registers "mythingy":
//
//	go run ./examples/thing server -ns
//	go run ./examples/thing client PYRONAME:mythingy                # prints 84
//
// Add -simple to the server to publish with ServeSimple instead (the
// chapter's "alternatively, using serveSimple"). A Pyro4 client works the
// same way:
//
//	python3 -c 'import Pyro4; print(Pyro4.Proxy("PYRONAME:mythingy").method(42))'
//
// Host and ports follow Pyro4's config items (PYRO_HOST, PYRO_NS_HOST,
// PYRO_NS_PORT, ...).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/proxy"
)

// Thing is the chapter's example class.
type Thing struct{}

// Method returns arg*2.
func (Thing) Method(arg int) int { return arg * 2 }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: thing server [-ns] [-simple] | thing client URI")
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	switch args[0] {
	case "server":
		fs := flag.NewFlagSet("server", flag.ContinueOnError)
		useNS := fs.Bool("ns", false, "register the object as \"mythingy\" in the name server")
		simple := fs.Bool("simple", false, "publish with ServeSimple")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *simple {
			return serveSimple(ctx, cfg, *useNS, out)
		}
		return serve(ctx, cfg, *useNS, out)
	case "client":
		if len(args) != 2 {
			return errors.New("usage: thing client URI")
		}
		return client(ctx, cfg, args[1], out)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// serve is the chapter's "normal code".
func serve(ctx context.Context, cfg config.Config, useNS bool, out io.Writer) error {
	d, err := engine.New(engine.Options{Config: &cfg})
	if err != nil {
		return err
	}
	defer d.Close()
	uri, err := d.Register(Thing{}, "", false)
	if err != nil {
		return err
	}
	if useNS {
		ns, err := naming.LocateNS(ctx, naming.LocateOptions{Config: &cfg})
		if err != nil {
			return err
		}
		_, err = ns.Call(ctx, "register", "mythingy", uri.String())
		ns.Close()
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "registered as mythingy")
	}
	fmt.Fprintf(out, "uri = %s\n", uri)
	return d.Serve(ctx)
}

// serveSimple is the chapter's "alternatively, using serveSimple".
func serveSimple(ctx context.Context, cfg config.Config, useNS bool, out io.Writer) error {
	name := ""
	if useNS {
		name = "mythingy"
	}
	return naming.ServeSimple(ctx, []naming.Object{{Obj: Thing{}, Name: name}},
		naming.ServeSimpleOptions{NS: useNS, Verbose: true, Out: out, Config: &cfg})
}

// client calls method(42) on a PYRO: or PYRONAME: URI.
func client(ctx context.Context, cfg config.Config, uri string, out io.Writer) error {
	thing, err := proxy.New(uri, proxy.Options{Config: &cfg, Resolve: naming.Resolver(naming.LocateOptions{Config: &cfg})})
	if err != nil {
		return err
	}
	defer thing.Close()
	n, err := proxy.As[int](thing.Call(ctx, "method", 42))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, n) // prints 84
	return nil
}
