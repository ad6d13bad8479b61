package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// DaemonName is the reserved object id of the daemon's own object.
const DaemonName = "Pyro.Daemon"

// ErrClosed is returned by operations on a daemon that was closed.
var ErrClosed = errors.New("daemon closed")

// ErrNotCombinable is returned when a thread-type daemon is combined into
// another loop; Pyro4 raises TypeError with the same words.
var ErrNotCombinable = errors.New("You can't use the loop combiner on the threadpool server type")

// Options are a daemon's constructor arguments, as Pyro4's Daemon(host,
// port, unixsocket, nathost, natport, interface) plus Go's extras.
type Options struct {
	// Host to bind; "" means Config.Host ("localhost"). The URI shows the
	// host as given.
	Host string
	// Port to bind; 0 picks a free port.
	Port int
	// UnixSocket, when set, binds a Unix domain socket at that path instead.
	UnixSocket string
	// NATHost and NATPort are the address published in URIs for a daemon
	// behind NAT. NATPort 0 with a NATHost means Config.NATPort, and if
	// that is 0 too, the real port.
	NATHost string
	NATPort int
	// DaemonObject replaces the object served as "Pyro.Daemon" (Pyro4's
	// interface argument). nil means a *DaemonObject.
	DaemonObject any
	// Config holds Pyro4's config items; nil means config.Default().
	// Use config.FromEnv() to honour PYRO_* variables as Pyro4 does.
	Config *config.Config
	// HMACKey signs and checks every message (Pyro4's _pyroHmacKey).
	HMACKey []byte
	// Listener, when set, is served instead of binding Host/Port.
	Listener net.Listener
	Hooks    Hooks
	Logger   *slog.Logger
}

// Hooks are Pyro4's daemon hooks, the Go way. Every field is optional.
type Hooks struct {
	// ValidateHandshake checks the client's handshake data and returns the
	// response sent back in CONNECTOK. An error rejects the client with
	// its text as the CONNECTFAIL reason. The default answers "hello".
	ValidateHandshake func(conn *dispatch.Conn, data any) (any, error)
	// ClientConnected runs after a successful handshake.
	ClientConnected func(conn *dispatch.Conn)
	// ClientDisconnected runs when a connection that completed its
	// handshake closes, for any reason.
	ClientDisconnected func(conn *dispatch.Conn)
	// Housekeeping runs periodically on the request loop.
	Housekeeping func()
	// Annotations are added to every reply (Pyro4's Daemon.annotations()).
	Annotations func() map[string][]byte
}

// transport is a server type: how bytes move between sockets and sessions.
type transport interface {
	serve(cond func() bool) error // the request loop
	sockets() []int               // for a foreign loop
	writeSockets() []int          // connections with output waiting
	events(ready []int) error     // one step for a foreign loop
	timeout() time.Duration       // how long a foreign loop may block
	wake()                        // make serve notice a shutdown
	close(timeout time.Duration)  // release connections and goroutines
}

// Daemon publishes Go objects to Pyro4 clients.
type Daemon struct {
	cfg      config.Config
	reg      *dispatch.Registry
	hooks    Hooks
	log      *slog.Logger
	accepted serial.Accepted
	wopts    wire.Options
	// woptsPlain is wopts without compression: exception replies and
	// CONNECTFAILs are never compressed.
	woptsPlain wire.Options

	ln       net.Listener
	lnFd     int
	unixPath string
	host     string // as given, for locationStr
	port     int
	natHost  string
	natPort  int

	srv      transport
	replacer serial.Replacer // autoproxy, made once

	mu        sync.Mutex
	closed    bool
	shutdown  chan struct{} // closed by Shutdown
	lastHouse time.Time
}

// New creates a daemon and binds its socket.
func New(opts Options) (*Daemon, error) {
	cfg := config.Default()
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	accepted, err := serial.ParseAccepted(cfg.SerializersAccepted)
	if err != nil {
		return nil, err
	}
	if opts.NATHost != "" && opts.UnixSocket != "" {
		return nil, errors.New("engine: cannot use nathost together with unixsocket")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	d := &Daemon{
		cfg:      cfg,
		hooks:    opts.Hooks,
		log:      log,
		accepted: accepted,
		wopts:    wire.Options{HMACKey: opts.HMACKey, Compress: cfg.Compression, MaxMessageSize: cfg.MaxMessageSize},
		shutdown: make(chan struct{}),
	}
	d.woptsPlain = d.wopts
	d.woptsPlain.Compress = false
	if err := d.listen(opts); err != nil {
		return nil, err
	}
	d.reg = dispatch.NewRegistry(dispatch.Options{
		RequireExpose:     cfg.RequireExpose,
		Autoproxy:         cfg.Autoproxy,
		IterStreaming:     cfg.IterStreaming,
		StreamLifetime:    cfg.IterStreamLifetime,
		StreamLinger:      cfg.IterStreamLinger,
		DetailedTraceback: cfg.DetailedTraceback,
		Host:              d,
		Logger:            log,
	})
	d.replacer = d.reg.Replacer()
	dobj := opts.DaemonObject
	if dobj == nil {
		dobj = &DaemonObject{d: d}
	}
	if _, err := d.reg.Register(dobj, DaemonName, true); err != nil {
		d.ln.Close()
		return nil, fmt.Errorf("engine: registering %s: %w", DaemonName, err)
	}
	d.lastHouse = time.Now()
	switch cfg.ServerType {
	case "multiplex":
		d.srv, err = newMultiplexServer(d)
	case "multicore":
		d.srv, err = newMulticoreServer(d)
	default:
		d.srv = newThreadServer(d)
	}
	if err != nil {
		d.ln.Close()
		return nil, err
	}
	return d, nil
}

func (d *Daemon) listen(opts Options) error {
	d.host = opts.Host
	if d.host == "" {
		d.host = d.cfg.Host
	}
	switch {
	case opts.Listener != nil:
		d.ln = opts.Listener
	case opts.UnixSocket != "":
		ln, err := net.Listen("unix", opts.UnixSocket)
		if err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		d.ln, d.unixPath = ln, opts.UnixSocket
	default:
		bind := d.host
		if bind == "localhost" {
			bind = "127.0.0.1" // Pyro4 binds localhost on IPv4
		}
		lc := net.ListenConfig{}
		if !d.cfg.SockReuse {
			lc.Control = noReuseAddr
		}
		ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(bind, strconv.Itoa(opts.Port)))
		if err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		d.ln = ln
	}
	if ta, ok := d.ln.Addr().(*net.TCPAddr); ok {
		d.port = ta.Port
	}
	d.lnFd = listenerFd(d.ln)
	if opts.NATHost != "" {
		d.natHost, d.natPort = opts.NATHost, opts.NATPort
		if d.natPort == 0 {
			d.natPort = d.cfg.NATPort
		}
		if d.natPort == 0 {
			d.natPort = d.port
		}
	}
	return nil
}

// Registry returns the daemon's object registry.
func (d *Daemon) Registry() *dispatch.Registry { return d.reg }

// Config returns the daemon's configuration.
func (d *Daemon) Config() config.Config { return d.cfg }

// Addr returns the address the daemon listens on.
func (d *Daemon) Addr() net.Addr { return d.ln.Addr() }

// LocationStr is Pyro4's locationStr: the host as given plus the real port
// ("localhost:37077", "[::1]:5000"), or "./u:<path>".
func (d *Daemon) LocationStr() string { return d.location(false) }

func (d *Daemon) location(nat bool) string {
	if d.unixPath != "" {
		return "./u:" + d.unixPath
	}
	host, port := d.host, d.port
	if nat && d.natHost != "" {
		host, port = d.natHost, d.natPort
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// Register publishes obj (an object, or a *dispatch.Class for instance
// modes) under id ("" generates "obj_" + 32 hex digits) and returns its URI.
// Without force, an id or object registered already is a DaemonError.
func (d *Daemon) Register(obj any, id string, force bool) (pyval.URI, error) {
	id, err := d.reg.Register(obj, id, force)
	if err != nil {
		return pyval.URI{}, err
	}
	return d.uriFor(id, true), nil
}

// Unregister withdraws an object, by the object itself or its id.
func (d *Daemon) Unregister(objOrID any) error { return d.reg.Unregister(objOrID) }

// URIFor returns the URI of a registered object or of any id, using the NAT
// address when there is one.
func (d *Daemon) URIFor(objOrID any) (pyval.URI, error) { return d.uriForAny(objOrID, true) }

// InternalURIFor is URIFor without NAT (Pyro4's uriFor(x, nat=False)).
func (d *Daemon) InternalURIFor(objOrID any) (pyval.URI, error) { return d.uriForAny(objOrID, false) }

func (d *Daemon) uriForAny(objOrID any, nat bool) (pyval.URI, error) {
	id, ok := objOrID.(string)
	if !ok {
		if id, ok = d.reg.IDOf(objOrID); !ok {
			return pyval.URI{}, pyval.NewException(pyval.ClassDaemonError, "object isn't registered")
		}
	}
	return d.uriFor(id, nat), nil
}

func (d *Daemon) uriFor(id string, nat bool) pyval.URI {
	u, err := pyval.ParseURI("PYRO:" + id + "@" + d.location(nat))
	if err != nil { // only for ids Pyro4 could not put in a URI either
		return pyval.URI{Protocol: "PYRO", Object: id, Host: d.host, Port: d.port, Sockname: d.unixPath}
	}
	return u
}

// housekeep runs periodic work at most once per POLLTIMEOUT-ish interval:
// stream expiry and the user's hook.
func (d *Daemon) housekeep() {
	now := time.Now()
	d.mu.Lock()
	due := now.Sub(d.lastHouse) >= d.houseInterval()
	if due {
		d.lastHouse = now
	}
	d.mu.Unlock()
	if !due {
		return
	}
	d.reg.Housekeep(now)
	if d.hooks.Housekeeping != nil {
		d.hooks.Housekeeping()
	}
}

// houseInterval is Pyro4's min(POLLTIMEOUT, max(COMMTIMEOUT, 5 s)).
func (d *Daemon) houseInterval() time.Duration {
	return min(d.cfg.PollTimeout, max(d.cfg.CommTimeout, 5*time.Second))
}

// RequestLoop serves clients until Shutdown is called or loopCondition (if
// not nil) returns false; the condition is checked at least every
// POLLTIMEOUT. It returns nil after a shutdown or a false condition.
func (d *Daemon) RequestLoop(loopCondition func() bool) error {
	if loopCondition == nil {
		loopCondition = func() bool { return true }
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return d.srv.serve(loopCondition)
}

// Serve is RequestLoop stopped by ctx as well.
func (d *Daemon) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, d.Shutdown)
	defer stop()
	return d.RequestLoop(nil)
}

// Sockets returns the file descriptors a foreign event loop must watch for
// readability. For the thread server type it is the listening socket only:
// each accepted connection is served by its own goroutine. For multiplex it
// is the listener, every live connection and the reactor's wakeup
// descriptor (readable when Shutdown or a worker wants the loop); the set
// changes after every Events call, so ask again each time. For multicore
// it is empty: gnet runs its own loops, which are not drivable by a foreign
// loop; such a daemon serves clients by itself from New until Close, and
// Events does nothing.
//
// Sockets and Events must be called from one goroutine at a time (the
// foreign loop's), and not together with RequestLoop.
func (d *Daemon) Sockets() []int { return d.srv.sockets() }

// Events processes the descriptors of Sockets that became readable without
// blocking on any other: the thread type accepts one client from the
// listener; multiplex accepts, reads and answers whatever is ready, drops
// closed connections and runs due timers. Descriptors that are not the
// daemon's are ignored.
func (d *Daemon) Events(ready []int) error {
	defer d.housekeep()
	return d.srv.events(ready)
}

// WriteSockets returns the connections whose replies the kernel has not
// yet taken (multiplex only). A foreign loop should watch them for
// writability and pass them to Events; otherwise their output only
// progresses when Events runs for other reasons.
func (d *Daemon) WriteSockets() []int { return d.srv.writeSockets() }

// Timeout reports how long a foreign loop may wait before calling Events
// (with no descriptors if none is ready) so that timers run on time; -1
// means it may wait indefinitely.
func (d *Daemon) Timeout() time.Duration { return d.srv.timeout() }

// Done is closed when the daemon is shut down.
func (d *Daemon) Done() <-chan struct{} { return d.shutdown }

// Combinable reports whether the daemon can join a combined loop
// (package combine): only the multiplex type can, as in Pyro4.
func (d *Daemon) Combinable() error {
	if d.cfg.ServerType != "multiplex" {
		return ErrNotCombinable
	}
	return nil
}

// ServerType reports the server type: "thread", "multiplex" or "multicore".
func (d *Daemon) ServerType() string { return d.cfg.ServerType }

// Shutdown stops the request loop. It may be called from any goroutine,
// including from inside a remote call (whose reply is still sent); it does
// not wait. Streams are cleared.
func (d *Daemon) Shutdown() {
	d.mu.Lock()
	select {
	case <-d.shutdown:
	default:
		close(d.shutdown)
	}
	d.mu.Unlock()
	d.reg.Close()
	d.srv.wake()
}

// Close shuts the daemon down and releases everything: the listening
// socket (and its unix socket file), every connection, every goroutine.
// It waits up to 5 s for calls in progress.
func (d *Daemon) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	d.Shutdown()
	d.srv.close(5 * time.Second)
	err := d.ln.Close()
	if d.unixPath != "" {
		os.Remove(d.unixPath)
	}
	return err
}

func (d *Daemon) isShutdown() bool {
	select {
	case <-d.shutdown:
		return true
	default:
		return false
	}
}

// String describes the daemon as Pyro4's repr does.
func (d *Daemon) String() string {
	return fmt.Sprintf("<gyro Daemon on %s>", d.LocationStr())
}
