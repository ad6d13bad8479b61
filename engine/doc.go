// Package engine is gyro's Daemon: the Pyro server that publishes Go
// objects to Pyro4 and Pyro5 clients, on one port.
//
// A Daemon owns a listening socket, an object registry (package dispatch)
// and one protocol state machine per connection (Session): bytes in, parsed
// by package wire, decoded by package serial, dispatched, encoded, bytes out.
// The Session knows nothing of how bytes move; Session.Process answers the
// complete requests at the front of a buffer, and that is the only way any
// server type turns input into replies.
//
// # Server types
//
// A server type is a Server (Serve, Stop, Close) made by a NewServerFunc
// from the daemon's Core (configuration, logger, wire options, sessions,
// housekeeping; nothing else of the daemon) and its listener. Types
// register by name, the way database/sql drivers do, and SERVERTYPE picks
// one:
//
//   - "thread" (Pyro4's default, built in): one goroutine per connection
//     for its lifetime, capped at THREADPOOL_SIZE; a client arriving when
//     every worker is busy gets Pyro4's "no free workers" CONNECTFAIL. Each
//     read is answered with one write, however many requests it held.
//   - "multiplex" (Pyro4's, built in): gyro's reactor (package loop), one
//     goroutine for every connection, drivable by a foreign loop.
//   - "multicore" (package multicore, linked only by programs that import
//     it): gnet's loops, one per core, with calls on a worker pool.
//
// A type a foreign event loop can drive entirely also implements Driven;
// only such a daemon can be combined (package combine). Goroutines of
// server types go through one owner (internal/spawn) that refuses new ones
// once closing began. Threaded oneway calls (ONEWAY_THREADED) run on the
// daemon's oneway workers, whatever the type: a bounded queue instead of a
// goroutine per call (see README's "Oneway calls").
//
// # Lifecycle
//
// RequestLoop serves until Shutdown (callable from any goroutine, also from
// inside a remote call) or until its loop condition turns false; Serve(ctx)
// also stops when ctx ends, and returns nil for either stop. Shutdown
// closes the listening socket at once, so later clients are refused. Close
// releases connections and goroutines, letting calls in progress finish
// for up to CloseGrace; CloseContext takes the caller's bound instead. Sockets and Events let a
// foreign event loop drive the daemon instead: for the thread type, Sockets
// is the listening socket only and Events accepts one client, as in Pyro4.
//
// Both generations. A session tells a connection's protocol from its first
// six bytes ("PYRO" and version 48 or 502) and keeps it for the connection,
// so every server type, and every foreign loop, serves Pyro4 and Pyro5
// clients side by side. A Pyro5 frame is translated into the form the
// session handles for Pyro4 and the reply back, so calls, oneway calls,
// attributes, batches, streams, metadata, PING, COMMTIMEOUT and the size
// limits behave the same; Pyro5 clients get Pyro5's serializer ids, its
// class names (Pyro5.errors.X, Pyro5.core.URI: serial.ByID5) and the
// correlation id in the header. dispatch.CallContext.Protocol tells Go code
// which generation called, and dispatch.Exposure.Protocol limits a method to
// one of them. Pyro4 only: HMAC (protocol 502 has none, so a daemon with an
// HMAC key refuses Pyro5 clients with a CONNECTFAIL), pickle, and
// SERIALIZERS_ACCEPTED, which Pyro5 does not have: gyro applies it to both
// generations, and with its default a Pyro5 client may also use msgpack, as
// Pyro5's own daemon allows. docs/pyro5-wire.md has the protocol details.
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
//
// Observers (packages metrics, tracing, monitor, or a program's own) attach
// through Options.Interceptors: functions that wrap every call, see its
// outcome, and see connections open, hand-shake, get frames rejected and
// close. Without interceptors the call path does nothing extra.
package engine
