package engine_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/wire"
)

// Greeter tells its callers which protocol generation they speak.
type Greeter struct{}

func (Greeter) Hello(ctx context.Context, name string) string {
	cc, _ := dispatch.FromContext(ctx)
	return fmt.Sprintf("hello %s, over protocol %d", name, cc.Protocol)
}

// One daemon serves Pyro4 and Pyro5 clients on the same port; here gyro's
// own proxy plays both (Python's Pyro4.Proxy and Pyro5.api.Proxy work the
// same way).
func Example_bothGenerations() {
	d, err := engine.New(engine.Options{Host: "127.0.0.1"})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	uri, err := d.Register(Greeter{}, "greeter", false)
	if err != nil {
		log.Fatal(err)
	}
	go d.RequestLoop(nil)
	defer d.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, protocol := range []int{wire.Pyro4, wire.Pyro5} {
		p, err := proxy.New(uri.String(), proxy.Options{Protocol: protocol})
		if err != nil {
			log.Fatal(err)
		}
		v, err := p.Call(ctx, "hello", "gopher")
		p.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v)
	}
	// Output:
	// hello gopher, over protocol 48
	// hello gopher, over protocol 502
}
