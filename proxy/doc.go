// Package proxy is gyro's client: a Proxy calls methods on one remote object
// served by a Pyro4 daemon (or a gyro one), speaking Pyro4's wire protocol
// version 48 over TCP or a Unix socket.
//
// A Proxy behaves like Pyro4.core.Proxy. It connects lazily on the first
// call (Bind connects at once), sends the CONNECT handshake, and
// learns the object's metadata: its exposed methods, oneway methods and
// attributes. With metadata on (the default) names are checked locally, so
// calling an unexposed or private name fails without a round trip
// (ErrNotExposed, matching Pyro4's AttributeError too), and methods the
// server marks oneway are called oneway.
//
//	p, err := proxy.New("PYRO:test.echoserver@localhost:9999", proxy.Options{})
//	if err != nil { ... }
//	defer p.Close()
//	v, err := p.Call(ctx, "echo", "hello")
//
// New takes a URI's text; FromRef takes a proxy received as a value, with
// the metadata and settings it carries. Options.Config holds the Pyro4
// config items a proxy reads (SERIALIZER, COMMTIMEOUT, METADATA,
// MAX_RETRIES, COMPRESSION, MAX_MESSAGE_SIZE), as it does for engine and
// naming.
//
// # Results
//
// Values go out as Go values (converted by pyval.FromGo) and come back in
// the pyval model: int64 or *big.Int, float64, string, []byte, pyval.Tuple,
// []any for a list, pyval.Set, *pyval.Dict, nil for None. As turns a
// result into a Go type, the reverse of FromGo (pyval.ToGo):
//
//	type Point struct{ X, Y int }
//	pt, err := proxy.As[Point](p.Call(ctx, "origin")) // {'x': 0, 'y': 0}
//
// # Errors
//
// A remote exception is returned as a *pyval.Exception whose Class is the
// Python class ("builtins.ValueError"), whose text is the remote one, and
// whose Traceback method gives the remote traceback.
//
// Misuse on the Go side is a Go error with a sentinel for errors.Is: an
// invalid URI (pyval.ErrInvalidURI), ErrSerializer, ErrNoResolver,
// ErrAnnotationKey, ErrNotStream, ErrNotExposed for a name the metadata
// does not list, and pyval.ErrConvert from As. Where Pyro4 raises an
// exception for the same mistake (AttributeError for a name that is not
// exposed), errors.As finds that *pyval.Exception too.
//
// Failures of the connection carry the classes Pyro4 raises locally
// (CommunicationError, ConnectionClosedError, TimeoutError, ProtocolError,
// SerializeError, SecurityError); when there is a Go error behind them they
// come as *Error, which wraps both, so errors.As(err, &exc) and
// errors.Is(err, pyval.ErrTimeout) work as well as errors.Is(err,
// context.Canceled).
//
// Any communication error drops the connection, since a late reply would be
// read as the answer to the next call; the next call connects again.
// MAX_RETRIES retries Call, CallKw and Oneway after a
// ConnectionClosedError or TimeoutError, as in Pyro4.
//
// # Contexts and timeouts
//
// Every method that waits for the network or the connection takes a
// context (Call, CallKw, Oneway, Get, Set, Bind, Stream.Next, Stream.Close,
// Batch.Run); Proxy.Close does not, since it only closes. The context's
// deadline, and COMMTIMEOUT, bound the whole call including connecting;
// cancelling it aborts the call at once.
// Either way the call fails with TimeoutError and the connection is dropped.
//
// # Concurrency
//
// A Proxy is safe for concurrent use. It owns one connection and, by
// default, runs one call at a time on it, in the order goroutines acquire
// it, like a Pyro4 proxy used by one thread.
//
// With Options.Pipeline the goroutines calling a Proxy at once all have
// their calls in flight on its one connection, as the wire allows: each
// request carries a sequence number its reply repeats, and Pyro4's, Pyro5's
// and gyro's daemons answer a connection's requests in order. Requests
// queued together go out in one write; a reader goroutine hands each reply
// to the call with its seq (a reply with a seq no call has fails the
// connection with ProtocolError). A call whose context is done returns at
// once and leaves the connection to the others; its reply is dropped when
// it comes. A call whose COMMTIMEOUT passes, or that gets a
// CommunicationError back, releases the connection as Pyro4's proxy does
// (the daemon answers in order: every later call would wait behind a
// timed-out one): the calls in flight fail with ConnectionClosedError
// ("connection released after ..."). A failure of the connection fails
// every call in flight with that error, and the next call connects again. Close fails the calls in flight with ConnectionClosedError. Do
// not pipeline to Pyro4's daemon over SSL: it leaves requests that arrive
// together unanswered in its SSL buffer.
//
// One pipelining proxy is the client most programs need: a pool of them
// spreads calls over more connections, which helps only a server that
// serves one connection on one core at a time. Compare's Go peers section
// (bench/) measures one pipelining proxy, a pool of them and one proxy per
// goroutine.
//
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
// As converts stream items and batch results as it does any result.
//
// # Serializers
//
// The SERIALIZER config item picks serpent (the default), json or marshal. json
// cannot carry bytes or complex numbers, and tuples and sets come back as
// lists; marshal carries no nested class objects (URIs, exceptions), so a
// Pyro4 server fails a whole batch that ended in an exception with
// ValueError "unmarshallable object". Pyro4's own marshal client cannot
// access attributes or send batches at all (it iterates their None
// kwargs); gyro's marshal codec sends an empty dict there, so Get, Set and
// Batch do work over marshal. msgpack is there too. SERIALIZER=pickle
// needs Options.AllowPickle as well (Pyro4 only; Pyro5 has no pickle), so
// an environment variable alone cannot switch a program to it; package
// serial's doc lists what gyro's unpickler builds and refuses.
package proxy
