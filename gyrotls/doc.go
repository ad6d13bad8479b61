// Package gyrotls is gyro's TLS: *tls.Config built from Pyro4's SSL_*
// configuration items with Pyro4's semantics (ServerConfig, ClientConfig),
// a check that a server certificate covers the host published in URIs
// (CheckHost), and Session, TLS for readiness-driven reactors.
//
// How each server type uses it:
//
//   - thread (a goroutine per connection): tls.Server(conn, cfg) over the
//     accepted net.Conn, or tls.NewListener; crypto/tls does the rest.
//   - multiplex (gyro's epoll reactor, or a foreign loop that drives gyro
//     through Sockets/Events): one Session per connection. On readable:
//     read the socket, Feed, then ReadPlain until ErrWouldBlock and hand
//     the plaintext to the protocol session. Whatever the protocol writes
//     goes through WritePlain; then send Output. On Notify (from the
//     handshake goroutine): wake the loop, which sends Output and calls
//     ReadPlain. Close queues close_notify: send Output, then close.
//   - multicore (gnet, which has no TLS): the same Session from OnTraffic
//     (Feed what gnet read) and AsyncWrite/Write of Output; Notify wakes
//     the connection with gnet's Wake.
//
// A Session keeps no goroutine after the handshake: crypto/tls runs over
// an in-memory net.Conn whose Read returns a temporary net.Error when no
// ciphertext is buffered, which crypto/tls does not treat as fatal. Only
// the handshake, which crypto/tls cannot resume after any read error, runs
// in a goroutine of its own, bounded by SessionOptions.HandshakeTimeout.
package gyrotls
