// Package engine is gyro's Daemon: the Pyro server that publishes Go
// objects to Pyro4 and Pyro5 clients, on one port.
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
//
// RequestLoop serves until Shutdown (callable from any goroutine, also from
// inside a remote call) or until its loop condition turns false. Sockets and
// Events let a foreign event loop drive the daemon instead: for the thread
// type, Sockets is the listening socket only and Events accepts one client,
// as in Pyro4.
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
// Pyro4's items; hooks (handshake validation, connect/disconnect,
// housekeeping, reply annotations) are fields of Options.Hooks.
package engine
