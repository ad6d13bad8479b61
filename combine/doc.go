// Package combine runs several reactor-driven servers in one request loop:
// Pyro4's Daemon.combine(). Multiplex daemons (package engine), the name
// server's daemon and its broadcast server (package naming) all offer the
// methods a foreign event loop needs: Sockets (descriptors to watch for
// readability) and Events (process the ready ones without blocking), and
// optionally WriteSockets (descriptors with replies the kernel has not yet
// taken, to watch for writability) and Timeout (when their timers are due).
// A combined Loop waits on all of them at once and hands each ready
// descriptor to its owner, so a reply that backs up behind a slow reader
// goes out as soon as the socket drains, not at the next poll timeout. The
// Loop offers the same methods itself, so it can in turn be driven by a
// foreign loop.
//
// The wait uses package loop's Poller and Waker. The members rebuild their
// lists after every step; the Loop keeps its registrations by descriptor,
// so each wakeup walks the lists once and touches the poller only for what
// changed, and a descriptor number that a member closed and reused stays
// correctly registered. Where package loop has no reactor (Windows),
// Combine fails with an error wrapping errors.ErrUnsupported.
//
// A thread-type daemon serves each connection on its own goroutine and
// cannot be combined; Combine refuses it with engine.ErrNotCombinable, as
// Pyro4 refuses with TypeError.
package combine
