// Command threads shows a window while a gyro daemon serves on its own
// goroutine: the Go counterpart of Pyro4's gui_eventloop/gui_threads.py.
//
// Remote calls run on the daemon's goroutines, which must not touch the
// window, so they queue window updates for the GUI goroutine and wake it
// with Window.Invalidate, Gio's one call that is safe from any goroutine.
// A slow call (sleep) does not freeze the window.
//
// Usage:
//
//	threads [-echo]
//
// It prints the object's URI, which Pyro4's client.py asks for.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"gioui.org/app"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/examples/gui_eventloop/internal/msgwin"
)

// queue hands work from the daemon's goroutines to the GUI goroutine, as
// the queue.Queue of Pyro4's example does; Gio is woken instead of polled.
type queue struct {
	gui   *msgwin.Window
	mu    sync.Mutex
	items []func()
}

// put queues fn to run on the GUI goroutine. Any goroutine may call it.
func (q *queue) put(fn func()) {
	q.mu.Lock()
	q.items = append(q.items, fn)
	q.mu.Unlock()
	q.gui.Invalidate()
}

// run runs the queued work, in order. Only the GUI goroutine calls it.
func (q *queue) run() {
	q.mu.Lock()
	items := q.items
	q.items = nil
	q.mu.Unlock()
	for _, fn := range items {
		fn()
	}
}

// MessagePrinter is the remote object. Its methods run on the daemon's
// goroutines and reach the window only through the queue.
type MessagePrinter struct {
	q *queue
}

// PyroExpose gives the parameters the names Pyro4's example uses, so that
// keyword arguments work too.
func (*MessagePrinter) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{Params: map[string][]string{
		"Message": {"messagetext"},
		"Sleep":   {"duration"},
	}}
}

// Message queues the text for the window.
func (p *MessagePrinter) Message(text string) {
	p.add("from Pyro: " + text)
}

// Sleep blocks only its own goroutine: the window goes on redrawing and
// showing other clients' messages meanwhile. It still must not wait for
// the user: anything that needs the GUI has to go through the queue.
func (p *MessagePrinter) Sleep(duration float64) {
	p.add(fmt.Sprintf("from Pyro: sleeping %v seconds...", duration))
	time.Sleep(time.Duration(duration * float64(time.Second)))
	p.add("from Pyro: woke up!")
}

func (p *MessagePrinter) add(msg string) {
	p.q.put(func() { p.q.gui.AddMessage(msg) })
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
	// loop runs on this other one.
	go func() {
		if err := run(out); err != nil {
			log.Fatal(err)
		}
		os.Exit(0)
	}()
	app.Main()
}

func run(out io.Writer) error {
	gui := msgwin.New("gyro in a Gio GUI event loop - with threads", out)
	q := &queue{gui: gui}

	// the default server type, "thread": a goroutine per connection
	d, err := engine.New(engine.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	uri, err := d.Register(&MessagePrinter{q: q}, "pyrogui.message2", false)
	if err != nil {
		return err
	}
	go func() {
		if err := d.RequestLoop(nil); err != nil {
			log.Printf("request loop: %v", err)
		}
	}()

	gui.AddMessage("Pyro server started. Using Pyro worker thread.")
	gui.AddMessage("Use the command line client to send messages.")
	urimsg := fmt.Sprintf("Pyro object uri = %s", uri)
	gui.AddMessage(urimsg)
	fmt.Println(urimsg)

	for {
		switch e := gui.Event().(type) {
		case app.DestroyEvent:
			return e.Err
		case app.FrameEvent:
			q.run()
			gui.Draw(e)
		}
	}
}
