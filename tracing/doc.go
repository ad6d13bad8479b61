// Package tracing traces gyro calls with OpenTelemetry: a server
// interceptor (engine.Interceptor) that starts a server span per call, and
// a client interceptor (proxy.ClientInterceptor) that starts a client span
// and sends its context to the server, so a Go client's span is the parent
// of the server's. A program that does not import tracing links no
// OpenTelemetry.
//
// Spans follow the RPC semantic conventions: named "object/method", with
// rpc.system "pyro", rpc.service (the object id), rpc.method,
// server.address and server.port (client spans), client.address and
// client.port (server spans), and error.type (the Python exception class)
// on failure.
//
// # The trace context on the wire
//
// Pyro annotations have 4-character keys, so the W3C Trace Context headers
// travel under two of their own: TraceparentKey ("TRCP") carries the
// traceparent value and TracestateKey ("TRCS") the tracestate, both as
// ASCII bytes. A Pyro4 client can send them too (override
// Proxy._pyroAnnotations); peers that do not know them ignore them.
package tracing
