// Package proxy is gyro's client: a Proxy calls methods on one remote object
// served by a Pyro4 daemon (or a gyro one), speaking Pyro4's wire protocol
// version 48 over TCP or a Unix socket.
//
// A Proxy behaves like Pyro4.core.Proxy. It connects lazily on the first
// call (Dial and Bind connect at once), sends the CONNECT handshake, and
// learns the object's metadata: its exposed methods, oneway methods and
// attributes. With metadata on (the default) names are checked locally, so
// calling an unexposed or private name is an AttributeError without a round
// trip, and methods the server marks oneway are called oneway.
//
//	p, err := proxy.Dial(ctx, "PYRO:test.echoserver@localhost:9999", proxy.Options{})
//	if err != nil { ... }
//	defer p.Close()
//	v, err := p.Call(ctx, "echo", "hello")
//
// Values go out as Go values (converted by pyval.FromGo) and come back in
// the pyval model: int64 or *big.Int, float64, string, []byte, pyval.Tuple,
// []any for a list, pyval.Set, *pyval.Dict, nil for None.
//
// # Errors
//
// A remote exception is returned as a *pyval.Exception whose Class is the
// Python class ("builtins.ValueError") and whose Traceback method gives the
// remote traceback. Errors raised locally carry Pyro4's classes as well
// (CommunicationError, ConnectionClosedError, TimeoutError, ProtocolError,
// SerializeError, SecurityError, PyroError, AttributeError); when there is a
// Go error behind them they come as *Error, which wraps both, so
// errors.As(err, &exc) and errors.Is(err, pyval.ErrTimeout) work as well as
// errors.Is(err, context.Canceled).
//
// Any communication error drops the connection, since a late reply would be
// read as the answer to the next call; the next call connects again.
// Options.MaxRetries retries Call, CallKw and Oneway after a
// ConnectionClosedError or TimeoutError, as Pyro4's MAX_RETRIES does.
//
// # Contexts and timeouts
//
// Every call takes a context. Its deadline, and Options.Timeout, bound the
// whole call including connecting; cancelling it aborts the call at once.
// Either way the call fails with TimeoutError and the connection is dropped.
//
// # Concurrency
//
// A Proxy is safe for concurrent use, but it owns one connection and runs
// one call at a time on it, in the order goroutines acquire it, like a Pyro4
// proxy used by one thread. For parallel calls use one Proxy per goroutine.
// Request annotations (SetAnnotation, SetCorrelationID) apply to whichever
// call comes next, and ResponseAnnotations reports the last one, so use
// those from the goroutine that makes the calls.
//
// # Streams and batches
//
// A method that returns a Python iterator or generator yields a *Stream
// (from Call or Stream): Next pulls one item per request until io.EOF, All
// ranges over them, Close abandons the stream. A Batch sends many calls in
// one request; the results come back in order, up to the first exception.
//
// # Serializers
//
// Options.Serializer picks serpent (the default), json or marshal. json
// cannot carry bytes or complex numbers, and tuples and sets come back as
// lists; marshal carries no nested class objects (URIs, exceptions), so a
// Pyro4 server fails a whole batch that ended in an exception with
// ValueError "unmarshallable object". Pyro4's own marshal client cannot
// access attributes or send batches at all (it iterates their None
// kwargs); gyro's marshal codec sends an empty dict there, so Get, Set and
// Batch do work over marshal.
package proxy
