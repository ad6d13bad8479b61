// Package guieventloop holds the test of two example programs that host a
// gyro daemon inside a GUI's event loop, the Go counterparts of Pyro4's
// gui_eventloop example:
//
//   - nothreads: the daemon's sockets are polled from the GUI's own event
//     loop (server type "multiplex"), so remote calls run on the GUI
//     goroutine and update the window directly; a slow call freezes it.
//   - threads: the daemon runs its request loop on its own goroutine and
//     hands window updates to the GUI goroutine; a slow call does not
//     freeze the window.
//
// See README.md for how to run them with Pyro4's client.py.
package guieventloop
