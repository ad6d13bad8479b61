//go:build unix

package combine_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gyro-rpc/gyro/combine"
	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
)

// Greeter is served by both daemons.
type Greeter struct{ name string }

func (g *Greeter) Hello() string { return "hello from " + g.name }

// Two multiplex daemons served by one request loop, as Pyro4's combine():
// shutting the master down stops the loop.
func ExampleCombine() {
	cfg := config.Default()
	cfg.ServerType = config.ServerMultiplex // a foreign loop drives only multiplex daemons
	var uris []string
	var daemons []*engine.Daemon
	for _, name := range []string{"master", "other"} {
		d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
		if err != nil {
			log.Fatal(err)
		}
		defer d.Close()
		uri, err := d.Register(&Greeter{name}, "greeter", false)
		if err != nil {
			log.Fatal(err)
		}
		daemons, uris = append(daemons, d), append(uris, uri.String())
	}
	l, err := combine.Combine(daemons[0], daemons[1])
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		defer daemons[0].Shutdown() // stops the combined loop
		for _, uri := range uris {
			p, err := proxy.New(uri, proxy.Options{})
			if err != nil {
				log.Fatal(err)
			}
			v, err := proxy.As[string](p.Call(context.Background(), "hello"))
			p.Close()
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println(v)
		}
	}()
	if err := l.RequestLoop(nil); err != nil {
		log.Fatal(err)
	}

	// A thread-type daemon serves each connection on its own goroutine:
	// no loop can drive it.
	cfg.ServerType = config.ServerThread
	td, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		log.Fatal(err)
	}
	defer td.Close()
	_, err = combine.Combine(td)
	fmt.Println(errors.Is(err, engine.ErrNotCombinable))
	// Output:
	// hello from master
	// hello from other
	// true
}
