package tracing

import (
	"context"
	"net"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
)

// The annotation keys the trace context travels under.
const (
	TraceparentKey = "TRCP"
	TracestateKey  = "TRCS"
)

// unknownName stands for object and method names a client made up: span
// names stay a bounded set.
const unknownName = "_unknown_"

// instrumentation is the tracer's name.
const instrumentation = "github.com/gyro-rpc/gyro/tracing"

// Options configures the interceptors.
type Options struct {
	// TracerProvider makes the tracer; nil means otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// Propagator reads and writes the trace context; nil means W3C Trace
	// Context (propagation.TraceContext).
	Propagator propagation.TextMapPropagator
}

func (o Options) tracer() trace.Tracer {
	tp := o.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return tp.Tracer(instrumentation)
}

func (o Options) propagator() propagation.TextMapPropagator {
	if o.Propagator == nil {
		return propagation.TraceContext{}
	}
	return o.Propagator
}

// carrier maps the propagator's header names onto annotation keys.
type carrier map[string][]byte

var headerKeys = map[string]string{"traceparent": TraceparentKey, "tracestate": TracestateKey}

func (c carrier) Get(key string) string {
	if k, ok := headerKeys[key]; ok {
		return string(c[k])
	}
	return ""
}

func (c carrier) Set(key, value string) {
	if k, ok := headerKeys[key]; ok {
		c[k] = []byte(value)
	}
}

func (c carrier) Keys() []string {
	var keys []string
	for h, k := range headerKeys {
		if _, ok := c[k]; ok {
			keys = append(keys, h)
		}
	}
	return keys
}

// Server returns the interceptor that traces a daemon's calls, as children
// of the client's span when the request carries one.
func Server(opts Options) engine.Interceptor {
	tracer, prop := opts.tracer(), opts.propagator()
	return engine.Interceptor{Call: func(ctx context.Context, info *engine.CallInfo, next engine.CallHandler) (any, error) {
		if len(info.Annotations) > 0 {
			ctx = prop.Extract(ctx, carrier(info.Annotations))
		}
		service, method := info.Object, info.Method
		if !info.Known {
			method = unknownName
			if !info.ObjectKnown {
				service = unknownName
			}
		}
		attrs := []attribute.KeyValue{
			attribute.String("rpc.system", "pyro"),
			attribute.String("rpc.service", service),
			attribute.String("rpc.method", method),
		}
		if host, port, ok := hostPort(info.Peer()); ok {
			attrs = append(attrs, attribute.String("client.address", host), attribute.Int("client.port", port))
		}
		if info.Oneway {
			attrs = append(attrs, attribute.Bool("rpc.pyro.oneway", true))
		}
		ctx, span := tracer.Start(ctx, service+"/"+method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()
		v, err := next(ctx)
		if err != nil {
			fail(span, err)
		}
		return v, err
	}}
}

// Client returns the proxy interceptor that traces a Go client's calls and
// sends the span's context to the server (proxy.Options.Intercept).
func Client(opts Options) proxy.ClientInterceptor {
	tracer, prop := opts.tracer(), opts.propagator()
	return func(ctx context.Context, call *proxy.ClientCall, invoke func(context.Context) (any, error)) (any, error) {
		attrs := []attribute.KeyValue{
			attribute.String("rpc.system", "pyro"),
			attribute.String("rpc.service", call.URI.Object),
			attribute.String("rpc.method", call.Method),
		}
		if call.URI.Host != "" {
			attrs = append(attrs, attribute.String("server.address", call.URI.Host))
			if call.URI.Port != 0 {
				attrs = append(attrs, attribute.Int("server.port", call.URI.Port))
			}
		}
		if call.Oneway {
			attrs = append(attrs, attribute.Bool("rpc.pyro.oneway", true))
		}
		ctx, span := tracer.Start(ctx, call.URI.Object+"/"+call.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
		defer span.End()
		c := carrier{}
		prop.Inject(ctx, c)
		for k, v := range c {
			if err := call.SetAnnotation(k, v); err != nil {
				return nil, err
			}
		}
		v, err := invoke(ctx)
		if err != nil {
			fail(span, err)
		}
		return v, err
	}
}

// fail marks span as failed with the Python exception class the error is.
func fail(span trace.Span, err error) {
	exc := dispatch.ToException(err)
	span.SetAttributes(attribute.String("error.type", exc.Class))
	span.SetStatus(codes.Error, exc.Message())
}

func hostPort(a net.Addr) (string, int, bool) {
	if a == nil {
		return "", 0, false
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "", 0, false
	}
	p, err := strconv.Atoi(port)
	return host, p, err == nil
}
