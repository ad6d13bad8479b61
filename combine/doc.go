// Package combine runs several reactor-driven servers in one request loop:
// Pyro4's Daemon.combine(). Multiplex daemons (package engine), the name
// server's daemon and its broadcast server (package naming) all offer the
// same two methods a foreign event loop needs, Sockets and Events; a
// combined Loop polls the union of their descriptors and hands each ready
// one to its owner. The Loop offers the same two methods itself, so it can
// in turn be driven by a foreign loop.
//
// A thread-type daemon serves each connection on its own goroutine and
// cannot be combined; Combine refuses it with engine.ErrNotCombinable, as
// Pyro4 refuses with TypeError.
package combine
