// Command nothreads shows a window whose own event loop also serves a gyro
// daemon, without any other goroutine: the Go counterpart of Pyro4's
// gui_eventloop/gui_nothreads.py.
//
// The daemon uses the "multiplex" server type, whose calls run inside
// Daemon.Events. Every frame asks Gio for the next one 1/50 s later, and
// after drawing it hands the daemon whichever of its sockets are ready.
// So remote calls run on the GUI goroutine and may update the window
// directly, but a slow call (sleep) freezes the window until it returns.
//
// Usage:
//
//	nothreads [-echo]
//
// It prints the object's URI, which Pyro4's client.py asks for.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"gioui.org/app"
	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/examples/gui_eventloop/internal/msgwin"
)

// pyroEventLoopHz is how often the event loop looks at the daemon's
// sockets, as in Pyro4's example.
const pyroEventLoopHz = 50

// maxRounds bounds how many rounds of events one tick dispatches, so that
// a flood of calls cannot keep the window from ever redrawing.
const maxRounds = 100

// MessagePrinter is the remote object. Its methods run on the GUI
// goroutine, inside the event loop.
type MessagePrinter struct {
	gui *msgwin.Window
}

// PyroExpose gives the parameters the names Pyro4's example uses, so that
// keyword arguments work too.
func (*MessagePrinter) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{Params: map[string][]string{
		"Message": {"messagetext"},
		"Sleep":   {"duration"},
	}}
}

// Message adds the text to the window. Nothing here may wait for the user
// (a dialog, say): the GUI is busy running this very call.
func (p *MessagePrinter) Message(text string) {
	p.gui.AddMessage("from Pyro: " + text)
}

// Sleep blocks the GUI goroutine, so the window freezes: it shows the
// first message (drawn by hand, as Tk's update() does) and nothing else,
// not even a redraw, until the call returns.
func (p *MessagePrinter) Sleep(duration float64) {
	p.gui.AddMessage(fmt.Sprintf("from Pyro: sleeping %v seconds...", duration))
	p.gui.Update()
	time.Sleep(time.Duration(duration * float64(time.Second)))
	p.gui.AddMessage("from Pyro: woke up!")
}

func main() {
	echo := flag.Bool("echo", false, "also print every line the window shows to stdout")
	flag.Parse()
	log.SetFlags(0)
	var out io.Writer = io.Discard
	if *echo {
		out = os.Stdout
	}
	// Gio's app.Main must have the main goroutine; the window's event
	// loop, and with it the daemon, runs on this other one.
	go func() {
		if err := run(out); err != nil {
			log.Fatal(err)
		}
		os.Exit(0)
	}()
	app.Main()
}

func run(out io.Writer) error {
	gui := msgwin.New("gyro in a Gio GUI event loop - without threads", out)

	// multiplex: calls run inside Events, on the caller's goroutine
	cfg := config.Default()
	cfg.ServerType = config.ServerMultiplex
	d, err := engine.New(engine.Options{Config: &cfg})
	if err != nil {
		return err
	}
	defer d.Close()
	uri, err := d.Register(&MessagePrinter{gui: gui}, "pyrogui.message", false)
	if err != nil {
		return err
	}

	gui.AddMessage("Pyro server started. Not using threads.")
	gui.AddMessage("Use the command line client to send messages.")
	urimsg := fmt.Sprintf("Pyro object uri = %s", uri)
	gui.AddMessage(urimsg)
	fmt.Println(urimsg)

	return eventLoop(gui, d)
}

// eventLoop is the GUI's event loop with the daemon in it.
func eventLoop(gui *msgwin.Window, d *engine.Daemon) error {
	gui.Tick = time.Second / pyroEventLoopHz
	for {
		switch e := gui.Event().(type) {
		case app.DestroyEvent:
			return e.Err
		case app.FrameEvent:
			gui.Draw(e)
			if err := pyroEvents(d); err != nil {
				return err
			}
			if gui.Closed { // during a remote call's Update
				return nil
			}
		}
	}
}

// pyroEvents dispatches to the daemon for as long as its sockets have
// something to do, then returns without waiting: the next tick comes back.
func pyroEvents(d *engine.Daemon) error {
	for range maxRounds {
		var fds []unix.PollFd
		for _, fd := range d.Sockets() {
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		}
		for _, fd := range d.WriteSockets() {
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLOUT})
		}
		if _, err := unix.Poll(fds, 0); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("poll: %w", err)
		}
		var ready []int
		for _, p := range fds {
			if p.Revents != 0 {
				ready = append(ready, int(p.Fd))
			}
		}
		if len(ready) == 0 && d.Timeout() != 0 {
			return nil // nothing ready and no timer due
		}
		if err := d.Events(ready); err != nil {
			return err
		}
		if len(ready) == 0 {
			return nil
		}
	}
	return nil
}
