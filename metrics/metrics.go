package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/serial"
)

// Label values that stand for many names.
const (
	// Unknown replaces an object or method name a client sent that the
	// daemon does not serve: a client cannot add series.
	Unknown = "_unknown_"
	// Other replaces object ids beyond Options.MaxObjects (objects a
	// program registers by the thousand, autoproxied ones for instance).
	Other = "_other_"
)

// DefaultMaxObjects is Options.MaxObjects when it is 0.
const DefaultMaxObjects = 100

// DefaultBuckets are the call duration buckets, in seconds: from the tens
// of microseconds a small call takes on loopback to slow methods.
var DefaultBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Options configures Metrics.
type Options struct {
	// Registry the collectors are registered with and Handler serves; nil
	// means a new one (not prometheus.DefaultRegisterer: no global state).
	Registry *prometheus.Registry
	// MaxObjects bounds the distinct object labels; 0 means
	// DefaultMaxObjects.
	MaxObjects int
	// Buckets of gyro_server_call_duration_seconds; nil means
	// DefaultBuckets.
	Buckets []float64
}

// Metrics is a set of Prometheus collectors fed by a daemon's interceptor.
// One Metrics may observe several daemons (their counts add up).
type Metrics struct {
	reg        *prometheus.Registry
	maxObjects int

	started   *prometheus.CounterVec
	handled   *prometheus.CounterVec
	errors    *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	reqBytes  *prometheus.CounterVec
	respBytes *prometheus.CounterVec

	connsActive prometheus.Gauge
	connsTotal  prometheus.Counter
	handshakes  *prometheus.CounterVec
	rejected    *prometheus.CounterVec

	nsLookups       *prometheus.CounterVec
	nsRegistrations *prometheus.CounterVec

	mu      sync.RWMutex
	objects map[string]*objectSeries
}

// objectSeries holds the resolved series of one object label.
type objectSeries struct {
	label   string
	methods map[string]*callSeries // guarded by Metrics.mu
}

// callSeries are the per-call series of one object and method label, resolved
// once so the call path does no label hashing.
type callSeries struct {
	started   prometheus.Counter
	ok, fail  prometheus.Counter
	duration  prometheus.Observer
	reqBytes  prometheus.Counter
	respBytes prometheus.Counter
}

// New makes the collectors and registers them.
func New(opts Options) (*Metrics, error) {
	m := &Metrics{reg: opts.Registry, maxObjects: opts.MaxObjects, objects: map[string]*objectSeries{}}
	if m.reg == nil {
		m.reg = prometheus.NewRegistry()
	}
	if m.maxObjects <= 0 {
		m.maxObjects = DefaultMaxObjects
	}
	buckets := opts.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	call := []string{"object", "method"}
	m.started = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_server_calls_started_total",
		Help: "Calls the server started, by object and method."}, call)
	m.handled = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_server_calls_handled_total",
		Help: "Calls the server completed, by object, method and outcome (ok or error)."}, append(call, "outcome"))
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_server_call_errors_total",
		Help: "Failed calls by the Python exception class the client received."}, []string{"class"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gyro_server_call_duration_seconds",
		Help: "Time from decoding a request to building its reply.", Buckets: buckets}, call)
	m.reqBytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_server_request_bytes_total",
		Help: "Bytes of request frames, by object and method."}, call)
	m.respBytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_server_response_bytes_total",
		Help: "Bytes of reply frames, by object and method."}, call)
	m.connsActive = prometheus.NewGauge(prometheus.GaugeOpts{Name: "gyro_server_connections_active",
		Help: "Client connections open now."})
	m.connsTotal = prometheus.NewCounter(prometheus.CounterOpts{Name: "gyro_server_connections_total",
		Help: "Client connections accepted."})
	m.handshakes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_server_handshakes_total",
		Help: "Handshakes by serializer, protocol version and result (ok or failed)."}, []string{"serializer", "protocol", "result"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_server_rejected_frames_total",
		Help: "Frames the server refused, by reason."}, []string{"reason"})
	m.nsLookups = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_nameserver_lookups_total",
		Help: "Name server lookups, by result (found, unknown or error)."}, []string{"result"})
	m.nsRegistrations = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gyro_nameserver_registrations_total",
		Help: "Name server registrations, by result (ok or error)."}, []string{"result"})
	for _, c := range []prometheus.Collector{m.started, m.handled, m.errors, m.duration, m.reqBytes, m.respBytes,
		m.connsActive, m.connsTotal, m.handshakes, m.rejected, m.nsLookups, m.nsRegistrations} {
		if err := m.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Registry returns the registry the collectors are in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Interceptor returns the interceptor that feeds the collectors; add it to
// engine.Options.Interceptors (or naming.NSOptions.Interceptors).
func (m *Metrics) Interceptor() engine.Interceptor {
	return engine.Interceptor{Call: m.call, CallDone: m.callDone, Conn: m.conn}
}

// Counter is what ObserveNameServer reads: a *naming.NameServer or any
// naming.Storage.
type Counter interface {
	Count(ctx context.Context) (int, error)
}

// ObserveNameServer exports the number of names ns holds
// (gyro_nameserver_names), read at each scrape.
func (m *Metrics) ObserveNameServer(ns Counter) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gyro_nameserver_names",
		Help: "Names registered in the name server, its own included."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, err := ns.Count(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

func (m *Metrics) call(ctx context.Context, info *engine.CallInfo, next engine.CallHandler) (any, error) {
	m.series(info).started.Inc()
	return next(ctx)
}

func (m *Metrics) callDone(info *engine.CallInfo, st *engine.CallStats) {
	s := m.series(info)
	if st.Err == nil {
		s.ok.Inc()
	} else {
		s.fail.Inc()
		m.errors.WithLabelValues(st.ErrorClass).Inc()
	}
	s.duration.Observe(st.Duration.Seconds())
	s.reqBytes.Add(float64(info.RequestBytes))
	s.respBytes.Add(float64(st.ResponseBytes))
	if info.Object == naming.NameServerName && info.Known {
		m.nameServerCall(info.Method, st)
	}
}

// nameServerCall counts the name server's own operations.
func (m *Metrics) nameServerCall(method string, st *engine.CallStats) {
	switch method {
	case "lookup":
		switch {
		case st.Err == nil:
			m.nsLookups.WithLabelValues("found").Inc()
		case st.ErrorClass == "Pyro4.errors.NamingError":
			m.nsLookups.WithLabelValues("unknown").Inc()
		default:
			m.nsLookups.WithLabelValues("error").Inc()
		}
	case "register":
		if st.Err == nil {
			m.nsRegistrations.WithLabelValues("ok").Inc()
		} else {
			m.nsRegistrations.WithLabelValues("error").Inc()
		}
	}
}

func (m *Metrics) conn(ev *engine.ConnEvent) {
	switch ev.Kind {
	case engine.ConnOpened:
		m.connsTotal.Inc()
		m.connsActive.Inc()
	case engine.ConnClosed:
		m.connsActive.Dec()
	case engine.ConnHandshake:
		result := "ok"
		if ev.Err != nil {
			result = "failed"
		}
		m.handshakes.WithLabelValues(serializerName(ev.SerializerID), strconv.Itoa(ev.Protocol), result).Inc()
	case engine.ConnRejected:
		m.rejected.WithLabelValues(ev.Reason).Inc()
	}
}

// serializerName is the label of a serializer id a client sent.
func serializerName(id int) string {
	if c, err := serial.ByID(id); err == nil {
		return c.Name()
	}
	return Unknown
}

// series returns the series of the call's labels, folding names a client
// made up into Unknown and objects beyond the bound into Other.
func (m *Metrics) series(info *engine.CallInfo) *callSeries {
	object, method := info.Object, info.Method
	if !info.Known {
		method = Unknown
		if !info.ObjectKnown {
			object = Unknown
		}
	}
	m.mu.RLock()
	o := m.objects[object]
	var s *callSeries
	if o != nil {
		s = o.methods[method]
	}
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if o = m.objects[object]; o == nil {
		label := object
		if len(m.objects) >= m.maxObjects && object != Unknown {
			label = Other
		}
		if o = m.objects[label]; o == nil {
			o = &objectSeries{label: label, methods: map[string]*callSeries{}}
			m.objects[label] = o
		}
	}
	// ids beyond the bound are not remembered one by one: they take this
	// locked path each time
	return m.methodSeries(o, method)
}

// methodSeries resolves the series of one method of o; m.mu is held.
func (m *Metrics) methodSeries(o *objectSeries, method string) *callSeries {
	if s := o.methods[method]; s != nil {
		return s
	}
	s := &callSeries{
		started:   m.started.WithLabelValues(o.label, method),
		ok:        m.handled.WithLabelValues(o.label, method, "ok"),
		fail:      m.handled.WithLabelValues(o.label, method, "error"),
		duration:  m.duration.WithLabelValues(o.label, method),
		reqBytes:  m.reqBytes.WithLabelValues(o.label, method),
		respBytes: m.respBytes.WithLabelValues(o.label, method),
	}
	o.methods[method] = s
	return s
}
