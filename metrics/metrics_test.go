package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/echo"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/internal/servetest"
	"github.com/gyro-rpc/gyro/metrics"
	_ "github.com/gyro-rpc/gyro/multicore"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/proxy"
)

// openConns counts a daemon's open connections, so a test can wait until
// every connection a client made was closed without sleeping.
type openConns struct {
	mu   sync.Mutex
	n    int
	zero *sync.Cond
}

func newOpenConns() *openConns {
	o := &openConns{}
	o.zero = sync.NewCond(&o.mu)
	return o
}

func (o *openConns) interceptor() engine.Interceptor {
	return engine.Interceptor{Conn: func(ev *engine.ConnEvent) {
		o.mu.Lock()
		defer o.mu.Unlock()
		switch ev.Kind {
		case engine.ConnOpened:
			o.n++
		case engine.ConnClosed:
			if o.n--; o.n == 0 {
				o.zero.Broadcast()
			}
		}
	}}
}

// waitZero waits until no connection is open, or fails after timeout.
func (o *openConns) waitZero(t *testing.T, timeout time.Duration) {
	t.Helper()
	timer := time.AfterFunc(timeout, func() { o.mu.Lock(); o.zero.Broadcast(); o.mu.Unlock() })
	defer timer.Stop()
	deadline := time.Now().Add(timeout)
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.n != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open", o.n)
		}
		o.zero.Wait()
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// serve starts a daemon of server type st with the echo object, observed
// by ics, and returns its URI.
func serve(t *testing.T, st string, ics ...engine.Interceptor) string {
	t.Helper()
	cfg := config.Default()
	cfg.ServerType = st
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg, Interceptors: ics, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	uri, err := d.Register(echo.New(io.Discard, false, d.Shutdown), echo.ObjectID, false)
	if err != nil {
		t.Fatal(err)
	}
	servetest.Serve(t, d)
	return uri.String()
}

// scrape reads the metrics back through HTTP, as Prometheus does.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value returns the value of the series of name with exactly labels (a
// histogram's sample count), and whether it exists.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			want := ""
			for j := 0; j < len(labels); j += 2 {
				if labels[j] == l.GetName() {
					want = labels[j+1]
				}
			}
			if l.GetValue() != want {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestPyro4ClientsCounted(t *testing.T) {
	pyrotest.Python(t)
	const storm = 300
	for _, st := range []string{config.ServerThread, config.ServerMultiplex, "multicore"} {
		t.Run(st, func(t *testing.T) {
			m, err := metrics.New(metrics.Options{})
			if err != nil {
				t.Fatal(err)
			}
			open := newOpenConns()
			uri := serve(t, st, m.Interceptor(), open.interceptor())
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := pyrotest.RunScript(t, ctx, "testdata/client.py", []string{uri, "300"}, "")
			if err != nil || !strings.Contains(out, "DONE") {
				t.Fatalf("client: %v\n%s", err, out)
			}
			open.waitZero(t, 10*time.Second)
			fams := scrape(t, m.Handler())

			obj := echo.ObjectID
			checks := []struct {
				name   string
				labels []string
				want   float64
			}{
				{"gyro_server_calls_started_total", []string{"object", obj, "method", "echo"}, 6},
				{"gyro_server_calls_handled_total", []string{"object", obj, "method", "echo", "outcome", "ok"}, 6},
				{"gyro_server_calls_handled_total", []string{"object", obj, "method", "error", "outcome", "error"}, 1},
				{"gyro_server_call_duration_seconds", []string{"object", obj, "method", "echo"}, 6},
				{"gyro_server_calls_handled_total", []string{"object", obj, "method", metrics.Unknown, "outcome", "error"}, storm},
				{"gyro_server_calls_handled_total", []string{"object", metrics.Unknown, "method", metrics.Unknown, "outcome", "error"}, storm / 10},
				{"gyro_server_call_errors_total", []string{"class", "builtins.ValueError"}, 1},
				{"gyro_server_call_errors_total", []string{"class", "builtins.AttributeError"}, storm},
				{"gyro_server_call_errors_total", []string{"class", "Pyro4.errors.DaemonError"}, storm / 10},
				{"gyro_server_handshakes_total", []string{"serializer", "json", "protocol", "48", "result", "ok"}, 1},
				{"gyro_server_handshakes_total", []string{"serializer", "serpent", "protocol", "48", "result", "ok"}, 1 + storm/10},
				{"gyro_server_rejected_frames_total", []string{"reason", engine.RejectInvalidHeader}, 1},
				{"gyro_server_connections_active", nil, 0},
				// serpent, the ghosts, json, pickle, the raw socket
				{"gyro_server_connections_total", nil, 1 + storm/10 + 3},
			}
			for _, c := range checks {
				got, ok := value(fams, c.name, c.labels...)
				if !ok || got != c.want {
					t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
				}
			}
			if got, _ := value(fams, "gyro_server_handshakes_total", "serializer", "pickle", "protocol", "48", "result", "failed"); got != 1 {
				if got, _ := value(fams, "gyro_server_handshakes_total", "serializer", metrics.Unknown, "protocol", "48", "result", "failed"); got != 1 {
					t.Errorf("the refused pickle handshake was not counted as failed")
				}
			}
			if got, _ := value(fams, "gyro_server_request_bytes_total", "object", obj, "method", "echo"); got <= 0 {
				t.Errorf("no request bytes counted")
			}
			if got, _ := value(fams, "gyro_server_response_bytes_total", "object", obj, "method", "echo"); got <= 0 {
				t.Errorf("no response bytes counted")
			}
			// the storm stays within the label bound: the methods the
			// client called by name, plus one for everything unknown
			methods := map[string]bool{}
			for _, s := range fams["gyro_server_calls_started_total"].GetMetric() {
				for _, l := range s.GetLabel() {
					if l.GetName() == "method" {
						methods[l.GetValue()] = true
					}
				}
			}
			if len(methods) > 5 {
				t.Errorf("%d method labels after a storm of %d names: %v", len(methods), storm, methods)
			}
		})
	}
}

func TestNameServerCounted(t *testing.T) {
	pyrotest.Python(t)
	m, err := metrics.New(metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	open := newOpenConns()
	ns, err := naming.StartNS(naming.NSOptions{Host: "127.0.0.1", Port: 0, NoBroadcast: true,
		Logger: discard(), Interceptors: []engine.Interceptor{m.Interceptor(), open.interceptor()}})
	if err != nil {
		t.Fatal(err)
	}
	servetest.Serve(t, ns)
	if err := m.ObserveNameServer(ns.NameServer); err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer rcancel()
	out, err := pyrotest.RunScript(t, rctx, "testdata/ns.py", []string{ns.URI.String()}, "")
	if err != nil || !strings.Contains(out, "DONE") {
		t.Fatalf("client: %v\n%s", err, out)
	}
	open.waitZero(t, 10*time.Second)
	fams := scrape(t, m.Handler())
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"gyro_nameserver_lookups_total", []string{"result", "found"}, 1},
		{"gyro_nameserver_lookups_total", []string{"result", "unknown"}, 1},
		{"gyro_nameserver_registrations_total", []string{"result", "ok"}, 2},
		{"gyro_nameserver_names", nil, 3}, // its own name and two
		{"gyro_server_calls_handled_total", []string{"object", naming.NameServerName, "method", "lookup", "outcome", "error"}, 1},
	} {
		if got, ok := value(fams, c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
}

// TestObjectLabelsBounded: objects beyond MaxObjects share one label.
func TestObjectLabelsBounded(t *testing.T) {
	m, err := metrics.New(metrics.Options{MaxObjects: 3})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg, Logger: discard(),
		Interceptors: []engine.Interceptor{m.Interceptor()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := servetest.Serve(t, d)
	const n = 10
	for i := range n {
		uri, err := d.Register(echo.New(io.Discard, false, nil), "", false)
		if err != nil {
			t.Fatal(err)
		}
		p, err := proxy.New(uri.String(), proxy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := p.Call(ctx, "echo", int64(i)); err != nil || v != int64(i) {
			t.Fatalf("echo = %v, %v", v, err)
		}
		p.Close()
	}
	fams := scrape(t, m.Handler())
	objects := map[string]bool{}
	var total float64
	for _, s := range fams["gyro_server_calls_started_total"].GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetName() == "object" {
				objects[l.GetValue()] = true
			}
		}
		total += s.GetCounter().GetValue()
	}
	if len(objects) != 4 || !objects[metrics.Other] {
		t.Errorf("object labels %v, want 3 ids and %s", objects, metrics.Other)
	}
	if total != n {
		t.Errorf("%v calls counted, want %d", total, n)
	}
}
