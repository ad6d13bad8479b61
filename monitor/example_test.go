package monitor_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/monitor"
)

// Example_readme is README.md's monitoring snippet. It is compiled, not
// run: it serves HTTP on a fixed port.
func Example_readme() {
	ctx := context.Background()
	// README begin
	mon, err := monitor.New(monitor.Options{Version: "1.2.3"})
	if err != nil {
		log.Fatal(err)
	}
	defer mon.Close()
	d, err := engine.New(engine.Options{Interceptors: mon.Interceptors()})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	mon.AddDaemon(d)
	addr, err := mon.Listen(ctx, "127.0.0.1:8222")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("monitoring on", addr)
	// README end
}
