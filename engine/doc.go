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
//
// RequestLoop serves until Shutdown (callable from any goroutine, also from
// inside a remote call) or until its loop condition turns false. Sockets and
// Events let a foreign event loop drive the daemon instead: for the thread
// type, Sockets is the listening socket only and Events accepts one client,
// as in Pyro4.
//
// Configuration is a plain struct (Options) carrying a config.Config with
// Pyro4's items; hooks (handshake validation, connect/disconnect,
// housekeeping, reply annotations) are fields of Options.Hooks.
//
// Observers (packages metrics, tracing, monitor, or a program's own) attach
// through Options.Interceptors: functions that wrap every call, see its
// outcome, and see connections open, hand-shake, get frames rejected and
// close. Without interceptors the call path does nothing extra.
package engine
