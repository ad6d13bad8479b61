package monitor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/metrics"
	"github.com/gyro-rpc/gyro/serial"
)

// Options configures a Monitor.
type Options struct {
	// Version is reported by /varz.
	Version string
	// ServerType is reported by /varz when no daemon was added (a name
	// server started by naming.StartNSLoop, for instance).
	ServerType string
	// Metrics is served at /metrics; nil means a new one whose registry
	// also holds the Go runtime and process collectors.
	Metrics *metrics.Metrics
	// Logger receives a record per call and connection event, with the
	// call's object and method as attributes (calls at Debug, failed
	// handshakes and rejected frames at Info); nil means slog.Default().
	Logger *slog.Logger
}

// Monitor observes daemons (through the interceptors it returns) and
// serves what it saw over HTTP: /metrics, /healthz, /varz and /connz.
type Monitor struct {
	opts    Options
	metrics *metrics.Metrics
	log     *slog.Logger
	start   time.Time

	mu      sync.Mutex
	daemons []*engine.Daemon
	srv     *http.Server
	served  chan struct{}

	conns sync.Map // *engine.ConnInfo -> *connState

	totalConns   atomic.Uint64
	calls        atomic.Uint64
	callErrors   atomic.Uint64
	inFlight     atomic.Int64
	inBytes      atomic.Uint64
	outBytes     atomic.Uint64
	rejected     atomic.Uint64
	handshakeBad atomic.Uint64
}

// connState is what /connz shows of one connection.
type connState struct {
	info       *engine.ConnInfo
	serializer atomic.Int32
	protocol   atomic.Int32
	tlsSubject atomic.Pointer[string]
	lastActive atomic.Int64 // unix nanoseconds
	calls      atomic.Uint64
	inFlight   atomic.Int32
	inBytes    atomic.Uint64
	outBytes   atomic.Uint64
}

// New returns a Monitor; pass Interceptors to the daemons it watches.
func New(opts Options) (*Monitor, error) {
	m := &Monitor{opts: opts, metrics: opts.Metrics, log: opts.Logger, start: time.Now()}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.metrics == nil {
		reg := prometheus.NewRegistry()
		if err := reg.Register(collectors.NewGoCollector()); err != nil {
			return nil, err
		}
		if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, err
		}
		var err error
		if m.metrics, err = metrics.New(metrics.Options{Registry: reg}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Metrics returns the metrics the monitor serves.
func (m *Monitor) Metrics() *metrics.Metrics { return m.metrics }

// Interceptors returns the interceptors a daemon needs to be watched: the
// metrics' and the monitor's own.
func (m *Monitor) Interceptors() []engine.Interceptor {
	return []engine.Interceptor{m.metrics.Interceptor(), {Call: m.call, CallDone: m.callDone, Conn: m.conn}}
}

// AddDaemon adds d to /varz and /healthz (which fails once d is shut down).
func (m *Monitor) AddDaemon(d *engine.Daemon) {
	m.mu.Lock()
	m.daemons = append(m.daemons, d)
	m.mu.Unlock()
}

// Listen binds addr and serves the monitor on it until ctx is done or
// Close is called; it returns the bound address. An address without a host
// (":8222") binds the loopback interface, as a daemon does by default:
// name "0.0.0.0" or another host to serve other machines.
func (m *Monitor) Listen(ctx context.Context, addr string) (net.Addr, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	if host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
	m.mu.Lock()
	if m.srv != nil {
		m.mu.Unlock()
		ln.Close()
		return nil, errors.New("monitor: already listening")
	}
	m.srv, m.served = srv, make(chan struct{})
	served := m.served
	m.mu.Unlock()
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Warn("monitor: serving HTTP", "error", err)
		}
	}()
	context.AfterFunc(ctx, func() { m.Close() })
	return ln.Addr(), nil
}

// Close stops the HTTP server and waits for it.
func (m *Monitor) Close() error {
	m.mu.Lock()
	srv, served := m.srv, m.served
	m.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-served
	return err
}

// Handler serves /metrics, /healthz, /varz and /connz.
func (m *Monitor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metrics.Handler())
	mux.HandleFunc("GET /healthz", m.healthz)
	mux.HandleFunc("GET /varz", m.varz)
	mux.HandleFunc("GET /connz", m.connz)
	return mux
}

func (m *Monitor) call(ctx context.Context, info *engine.CallInfo, next engine.CallHandler) (any, error) {
	m.inFlight.Add(1)
	cs := m.state(info.Session)
	if cs != nil {
		cs.inFlight.Add(1)
	}
	defer func() {
		m.inFlight.Add(-1)
		if cs != nil {
			cs.inFlight.Add(-1)
		}
	}()
	return next(ctx)
}

func (m *Monitor) callDone(info *engine.CallInfo, st *engine.CallStats) {
	m.calls.Add(1)
	m.inBytes.Add(uint64(info.RequestBytes))
	m.outBytes.Add(uint64(st.ResponseBytes))
	if st.Err != nil {
		m.callErrors.Add(1)
	}
	if cs := m.state(info.Session); cs != nil {
		cs.calls.Add(1)
		cs.inBytes.Add(uint64(info.RequestBytes))
		cs.outBytes.Add(uint64(st.ResponseBytes))
		cs.lastActive.Store(time.Now().UnixNano())
	}
	if m.log.Enabled(context.Background(), slog.LevelDebug) {
		m.log.Debug("call", "object", info.Object, "method", info.Method, "peer", addrString(info.Peer()),
			"oneway", info.Oneway, "duration", st.Duration, "error", st.Err)
	}
}

func (m *Monitor) state(ci *engine.ConnInfo) *connState {
	if ci == nil {
		return nil
	}
	v, ok := m.conns.Load(ci)
	if !ok {
		return nil
	}
	return v.(*connState)
}

func (m *Monitor) conn(ev *engine.ConnEvent) {
	switch ev.Kind {
	case engine.ConnOpened:
		m.totalConns.Add(1)
		cs := &connState{info: ev.Info}
		cs.lastActive.Store(ev.Info.Opened.UnixNano())
		m.conns.Store(ev.Info, cs)
		m.log.Debug("connection opened", "conn", ev.Info.ID, "peer", addrString(ev.Info.Peer))
	case engine.ConnHandshake:
		cs := m.state(ev.Info)
		if ev.Err != nil {
			m.handshakeBad.Add(1)
			m.log.Info("handshake failed", "conn", ev.Info.ID, "peer", addrString(ev.Info.Peer), "error", ev.Err)
			return
		}
		if cs != nil {
			cs.serializer.Store(int32(ev.SerializerID))
			cs.protocol.Store(int32(ev.Protocol))
			if subj := tlsSubject(ev.Conn); subj != "" {
				cs.tlsSubject.Store(&subj)
			}
			cs.lastActive.Store(time.Now().UnixNano())
		}
	case engine.ConnRejected:
		m.rejected.Add(1)
		m.log.Info("frame rejected", "conn", ev.Info.ID, "peer", addrString(ev.Info.Peer), "reason", ev.Reason)
	case engine.ConnClosed:
		m.conns.Delete(ev.Info)
		m.log.Debug("connection closed", "conn", ev.Info.ID, "peer", addrString(ev.Info.Peer))
	}
}

// peerCertificates is what tlsSubject looks for on a dispatch.Conn: the TLS
// layer records the client's verified chain there (a method of that name),
// and the monitor shows the leaf's subject.
type peerCertificates interface {
	PeerCertificates() []*x509.Certificate
}

func tlsSubject(conn any) string {
	pc, ok := conn.(peerCertificates)
	if !ok || pc == nil {
		return ""
	}
	certs := pc.PeerCertificates()
	if len(certs) == 0 {
		return ""
	}
	return certs[0].Subject.String()
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func serializerName(id int32) string {
	if id == 0 {
		return ""
	}
	if c, err := serial.ByID(int(id)); err == nil {
		return c.Name()
	}
	return ""
}

var goVersion = runtime.Version()
