// Package engine is gyro's Daemon: the Pyro4 server that publishes Go
// objects to Pyro4 clients.
//
// A Daemon owns a listening socket, an object registry (package dispatch)
// and one protocol state machine per connection (session): bytes in, parsed
// by package wire, decoded by package serial, dispatched, encoded, bytes out.
// The state machine knows nothing of how bytes move; the server types are
// transports around it:
//
//   - "thread" (Pyro4's default): one goroutine per connection for its
//     lifetime, capped at THREADPOOL_SIZE; a client arriving when every
//     worker is busy gets Pyro4's "no free workers" CONNECTFAIL.
//   - "multiplex": every connection on one reactor goroutine (package
//     loop), which a foreign event loop can drive (Sockets, Events).
//   - "multicore": gnet event loops and a worker pool, in package
//     multicore, linked only by programs that import it.
//
// RequestLoop serves until Shutdown (callable from any goroutine, also from
// inside a remote call) or until its loop condition turns false. Sockets and
// Events let a foreign event loop drive the daemon instead: for the thread
// type, Sockets is the listening socket only and Events accepts one client,
// as in Pyro4.
//
// Configuration is a plain struct (Options) carrying a config.Config with
// Pyro4's items (the NAT address among them); hooks (handshake validation,
// connect/disconnect, housekeeping, reply annotations, failed callbacks)
// are fields of Options.Hooks. Options.DaemonObject extends the daemon's
// own "Pyro.Daemon" object, as Pyro4 programs subclass DaemonObject.
//
// Local misuse returns sentinel errors for errors.Is (ErrAlreadyRegistered,
// ErrNotRegistered, ErrNotCombinable, ErrNATPortWithoutHost, ...); where
// Pyro4 raises an exception for the same misuse, the error's text is
// Pyro4's and a Pyro4 client handed it sees Pyro4's exception class.
package engine
