//go:build unix

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
)

// pollLoop is README.md's event-loop snippet: a program's own loop (here
// poll(2)) watching its descriptor app beside the daemon's.
func pollLoop(d *engine.Daemon, app int, onApp func()) error {
	// README begin
	for {
		select {
		case <-d.Done(): // d.Shutdown() was called
			return nil
		default:
		}
		fds := []unix.PollFd{{Fd: int32(app), Events: unix.POLLIN}} // your own descriptor
		for _, fd := range d.Sockets() {
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		}
		timeout := -1 // milliseconds; -1 waits until a descriptor is ready
		if t := d.Timeout(); t >= 0 {
			timeout = int(t.Milliseconds())
		}
		if _, err := unix.Poll(fds, timeout); err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		var ready []int
		for _, p := range fds[1:] {
			if p.Revents != 0 {
				ready = append(ready, int(p.Fd))
			}
		}
		if err := d.Events(ready); err != nil { // gyro's part
			return err
		}
		if fds[0].Revents != 0 {
			onApp() // your part
		}
	}
	// README end
}

// A multiplex daemon served from the program's own poll loop.
func Example_eventLoop() {
	cfg := config.Default()
	cfg.ServerType = config.ServerMultiplex // its connections are driven by Events
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	uri, err := d.Register(Thing{}, "thing", false)
	if err != nil {
		log.Fatal(err)
	}
	var p [2]int // the program's own descriptor: a pipe nobody writes to here
	if err := unix.Pipe(p[:]); err != nil {
		log.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	go func() {
		defer d.Shutdown()
		thing, err := proxy.New(uri.String(), proxy.Options{})
		if err != nil {
			log.Fatal(err)
		}
		defer thing.Close()
		v, err := proxy.As[int](thing.Call(context.Background(), "method", 21))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v)
	}()
	if err := pollLoop(d, p[0], func() {}); err != nil {
		log.Fatal(err)
	}
	// Output: 42
}
