package tracing_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/internal/servetest"
	_ "github.com/gyro-rpc/gyro/multicore"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/tracing"
)

// Traced reports the span its methods run in.
type Traced struct{}

// TraceID returns the trace id of the span in the method's context.
func (Traced) TraceID(ctx context.Context) string {
	return trace.SpanContextFromContext(ctx).TraceID().String()
}

func (Traced) Fail() error { return errors.New("it broke") }

// serve starts a daemon of server type st serving "traced", traced into tp.
func serve(t *testing.T, st string, tp trace.TracerProvider) string {
	t.Helper()
	cfg := config.Default()
	cfg.ServerType = st
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg, Logger: slog.New(slog.DiscardHandler),
		Interceptors: []engine.Interceptor{tracing.Server(tracing.Options{TracerProvider: tp})}})
	if err != nil {
		t.Fatal(err)
	}
	uri, err := d.Register(Traced{}, "traced", false)
	if err != nil {
		t.Fatal(err)
	}
	servetest.Serve(t, d)
	return uri.String()
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestClientSpanIsServerSpansParent(t *testing.T) {
	for _, st := range []string{config.ServerThread, config.ServerMultiplex, "multicore"} {
		t.Run(st, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			defer tp.Shutdown(context.Background())
			uri := serve(t, st, tp)
			p, err := proxy.New(uri, proxy.Options{Intercept: tracing.Client(tracing.Options{TracerProvider: tp})})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			v, err := p.Call(ctx, "trace_id")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Call(ctx, "fail"); err == nil {
				t.Fatal("fail() did not fail")
			}
			// the server span ends before its reply is sent, the client
			// span after the reply arrived: both are exported by now
			spans := exp.GetSpans().Snapshots()
			if len(spans) != 4 {
				t.Fatalf("%d spans, want 4", len(spans))
			}
			server, client := spans[0], spans[1]
			if server.SpanKind() != trace.SpanKindServer || client.SpanKind() != trace.SpanKindClient {
				t.Fatalf("span kinds %v, %v", server.SpanKind(), client.SpanKind())
			}
			if server.Parent().SpanID() != client.SpanContext().SpanID() || server.SpanContext().TraceID() != client.SpanContext().TraceID() {
				t.Errorf("server span's parent %v, want the client span %v", server.Parent(), client.SpanContext())
			}
			if !server.Parent().IsRemote() {
				t.Errorf("the server span's parent is not remote")
			}
			if v != server.SpanContext().TraceID().String() {
				t.Errorf("the method ran in trace %v, want the server span's %v", v, server.SpanContext().TraceID())
			}
			if server.Name() != "traced/trace_id" {
				t.Errorf("span name %q", server.Name())
			}
			sa, ca := attrs(server), attrs(client)
			for _, a := range []map[attribute.Key]attribute.Value{sa, ca} {
				if a["rpc.system"].AsString() != "pyro" || a["rpc.service"].AsString() != "traced" || a["rpc.method"].AsString() != "trace_id" {
					t.Errorf("rpc attributes %v", a)
				}
			}
			if sa["client.address"].AsString() != "127.0.0.1" || sa["client.port"].AsInt64() == 0 {
				t.Errorf("server span attributes %v", sa)
			}
			if ca["server.address"].AsString() != "127.0.0.1" || ca["server.port"].AsInt64() == 0 {
				t.Errorf("client span attributes %v", ca)
			}
			failed := spans[2]
			if failed.Status().Code != codes.Error || attrs(failed)["error.type"].AsString() != "builtins.RuntimeError" {
				t.Errorf("failed call's span: status %v, attributes %v", failed.Status(), attrs(failed))
			}
		})
	}
}

// TestPyro4ClientTraceContext: a Pyro4 client that sends a traceparent in
// the TRCP annotation becomes the parent of the server span.
func TestPyro4ClientTraceContext(t *testing.T) {
	pyrotest.Python(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	uri := serve(t, config.ServerThread, tp)
	const traceID, spanID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	out, err := pyrotest.Run(t, context.Background(), `
import os, Pyro4
class Traced(Pyro4.Proxy):
    def _pyroAnnotations(self):
        return {"TRCP": b"00-`+traceID+`-`+spanID+`-01"}
with Traced(os.environ["GYRO_URI"]) as p:
    print(p.trace_id())
`, "GYRO_URI="+uri)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != traceID {
		t.Errorf("the method ran in trace %q, want the client's %s", got, traceID)
	}
	spans := exp.GetSpans().Snapshots()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	if p := spans[0].Parent(); p.TraceID().String() != traceID || p.SpanID().String() != spanID {
		t.Errorf("server span's parent %s/%s, want %s/%s", p.TraceID(), p.SpanID(), traceID, spanID)
	}
}
