// Package loop is a single-threaded, non-blocking reactor that moves bytes
// between sockets and a Handler. It knows nothing about Pyro: the multiplex
// server of package engine sits on top of it, and foreign event loops (a GUI
// toolkit, another reactor) can drive it step by step.
//
// # Model
//
// A Loop owns listening sockets and the connections accepted on them. All
// socket I/O is non-blocking and all Handler callbacks run on one goroutine,
// the one driving the loop, one callback at a time:
//
//   - OnOpen(c) when a connection is accepted;
//   - OnData(c, in) with all unconsumed input of c; the handler returns how
//     many leading bytes it consumed and the rest stays buffered, so partial
//     frames need no copying by the handler. While OnData makes progress and
//     input remains, it is called again, so consuming one message per call is
//     fine; returning 0 means "wait for more bytes". in is only valid during
//     the call (it usually aliases the loop's read buffer);
//   - OnClose(c, err) exactly once per opened connection, after its
//     descriptor has been closed, whatever the reason: nil after c.Close,
//     io.EOF when the peer closed, ErrIdleTimeout, ErrReadTimeout, ErrClosed
//     from Loop.Close, or the *os.SyscallError of a failed read or write.
//
// A Handler may also implement BackpressureHandler to observe flow control.
// Handler panics are not recovered.
//
// # Steps
//
// The loop works in steps. One step waits for readiness (or, in Events, is
// told what is ready), then:
//
//  1. accepts pending connections on ready listeners (up to 64 per listener);
//  2. reads once (up to Options.ReadBufferSize bytes) from every ready
//     connection and hands the input to OnData;
//  3. runs the functions queued by Trigger, in order;
//  4. closes timed-out connections and calls Options.Tick when due;
//  5. flushes the output written during the step. Conn.Write appends to a
//     pooled buffer (a write of 32 KiB or more with nothing queued goes to
//     the kernel at once instead, which saves copying it); output the kernel
//     does not take stays queued and the connection is watched for
//     writability, so a slow reader never blocks the loop or other
//     connections.
//
// Readiness is level-triggered, so anything left unread is reported again in
// the next step; one read per connection per step keeps busy peers from
// starving the others.
//
// # Back-pressure
//
// When a connection's pending output exceeds Options.MaxWriteBuffer, the loop
// stops calling OnData for it and stops reading from its socket (it is
// removed from the poller's read interest and from Sockets), so a peer that
// sends requests without reading the replies cannot make the loop queue
// unbounded output. Its unconsumed input stays buffered. Once the output has
// drained to MaxWriteBuffer/2, reading resumes and the buffered input is
// delivered. The limit is checked before each OnData call, so the queued
// output of a connection never exceeds MaxWriteBuffer plus what one OnData
// call (or one triggered function) writes. Conn.Paused and
// Conn.OutboundBuffered expose the state. The input side has no limit: a
// handler that refuses messages above a size must check len(in) itself.
//
// # Timeouts
//
// Options.IdleTimeout closes a connection that, for that long, had no input
// consumed by OnData and no output accepted by the kernel (a peer that
// neither sends complete requests nor reads replies). Options.ReadTimeout
// closes a connection whose input stays incomplete for that long: it starts
// when OnData leaves a remainder and is restarted whenever OnData consumes
// something; this is Pyro's COMMTIMEOUT for half-received messages. Time
// spent paused by back-pressure does not count against ReadTimeout. Timers
// live in a min-heap; activity updates a timestamp only, and an entry that
// fires early is re-keyed, so the heap is not touched per message.
//
// # Driving the loop
//
// Run blocks and drives the loop until Shutdown (Run returns nil) or until
// its context is done (Run returns ctx.Err()). Poll performs a single step,
// waiting at most the given timeout. A foreign event loop instead watches the
// descriptors returned by Sockets for readability (and, optionally, those of
// WriteSockets for writability), waits no longer than Timeout, and passes the
// ready descriptors to Events, which never blocks and ignores descriptors
// that are not the loop's. The sets change as connections are accepted,
// paused and closed, so they must be fetched again after every Events call.
// Sockets includes the wakeup descriptor, so Trigger and Shutdown wake a
// foreign loop too.
//
// Run, Poll and Events must not overlap: a second concurrent (or re-entrant)
// call returns ErrRunning. Conn methods, Listen, AddListener, Sockets,
// WriteSockets, Timeout and NumConns belong to the goroutine driving the loop
// (call them from callbacks, or before and between steps). Trigger and
// Shutdown are safe from any goroutine; Trigger is how worker goroutines hand
// results back (for example a function that calls Conn.Write). Close waits
// for a running Run to return and then closes every descriptor; it must not
// be called from a callback.
//
// # Platforms
//
// Linux uses epoll and an eventfd. Other Unix systems (darwin, the BSDs) use
// poll(2) and a self-pipe; the build tag loop_poll selects that backend on
// Linux as well. Elsewhere (Windows) there is no reactor: the API compiles,
// so packages that link it build everywhere, but New fails with an error
// wrapping errors.ErrUnsupported.
//
// # Building blocks
//
// Poller (a poll(2) descriptor set) and Waker (the loop's wakeup
// descriptor) are exported for programs that run their own wait over
// several loops, as package combine does. Poller keeps its registrations by
// descriptor number, so it suits callers that learn their descriptors as
// lists, like Sockets and WriteSockets, where a closed number may be reused
// between two waits.
package loop
