package engine_test

import (
	"fmt"
	"log"

	"github.com/gyro-rpc/gyro/engine"
)

// README begin

// Thing is a plain Go type: its exported methods become remote methods
// under Python-style names (Method -> method).
type Thing struct{}

func (Thing) Method(arg int) int { return arg * 2 }

// README end

// The chapter's Example 1: publish an object and serve it. A Pyro4 client
// then calls Pyro4.Proxy(uri).method(42) and gets 84.
func Example() {
	d, err := engine.New(engine.Options{Port: 0}) // localhost, random port
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	uri, err := d.Register(Thing{}, "example.thing", false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(uri.Object, uri.Host)
	go d.Shutdown() // a real server omits this and serves until shut down
	if err := d.RequestLoop(nil); err != nil {
		log.Fatal(err)
	}
	// Output: example.thing localhost
}

// Example_readme is README.md's "Publishing a Go object" snippet. It is
// compiled, not run: it serves until shut down.
func Example_readme() {
	// README begin
	d, err := engine.New(engine.Options{}) // localhost, a free port, config.Default()
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	uri, err := d.Register(Thing{}, "", false) // "" generates obj_<32 hex>; force=false
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(uri)                           // PYRO:obj_...@localhost:PORT
	if err := d.RequestLoop(nil); err != nil { // until d.Shutdown(), from anywhere, even a remote call
		log.Fatal(err)
	}
	// README end
}
