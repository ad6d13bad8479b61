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
const DaemonName = pyval.DaemonID

// ErrClosed is returned by operations on a daemon that was closed.
var ErrClosed = errors.New("daemon closed")

// ErrNotCombinable is returned when a daemon whose server type a foreign
// loop cannot drive (thread, multicore) is combined into another loop;
// Pyro4 raises a TypeError for its thread type.
var ErrNotCombinable = errors.New("server type cannot be combined")

// ErrAlreadyRegistered is returned by Register for an object or id that is
// registered already (dispatch.ErrAlreadyRegistered).
var ErrAlreadyRegistered = dispatch.ErrAlreadyRegistered

// ErrNotRegistered is returned by Unregister and URIFor for an object that
// is not registered (dispatch.ErrNotRegistered).
var ErrNotRegistered = dispatch.ErrNotRegistered

// Errors of New for NAT options Pyro4 refuses too (with a ValueError).
var (
	ErrNATUnixSocket      = errors.New("engine: cannot use nathost together with unixsocket")
	ErrNATPortWithoutHost = errors.New("engine: must provide natport with nathost")
)

// ErrUnknownServerType is returned by New for a SERVERTYPE that names no
// server type linked into the program.
var ErrUnknownServerType = errors.New("unknown server type")

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
	// behind NAT, as Pyro4's nathost and natport: NATHost "" means
	// Config.NATHost (NATHOST, PYRO_NATHOST with config.FromEnv); NATPort
	// 0 means Config.NATPort, and if that is 0 too, the real port. A
	// NATPort without any NAT host is an error, as in Pyro4.
	NATHost string
	NATPort int
	// DaemonObject, when set, makes the object served as "Pyro.Daemon"
	// (Pyro4's interface argument, a class New instantiates with the
	// daemon): it gets the daemon's standard object and returns the one to
	// serve, typically a type that embeds *DaemonObject to extend it (see
	// DaemonObject). nil serves the standard object.
	DaemonObject func(std *DaemonObject) any
	// Config holds Pyro4's config items; nil means config.Default().
	// Use config.FromEnv() to honour PYRO_* variables as Pyro4 does.
	Config *config.Config
	// HMACKey signs and checks every message (Pyro4's _pyroHmacKey).
	HMACKey []byte
	// Listener, when set, is served instead of binding Host/Port.
	Listener net.Listener
	Hooks    Hooks
	Logger   *slog.Logger
	// Limits bound the connections clients may hold; the zero value sets
	// none, as Pyro4.
	Limits Limits
	// Interceptors observe every call and connection (metrics, tracing,
	// monitoring); see Interceptor.
	Interceptors []Interceptor
	// AllowPickle lets Config.SerializersAccepted name "pickle" (Pyro4's
	// id 4); without it naming pickle makes New fail. Pyro4 accepts pickle
	// just by naming it, but SERIALIZERS_ACCEPTED often comes from the
	// environment (PYRO_SERIALIZERS_ACCEPTED): turning on a serializer that
	// Python peers treat as "runs the sender's code" should be a decision
	// in the program's source. gyro's decoder runs nothing and builds only
	// the values serial.Pickle lists, refusing every other global; the
	// risk left is for the Python peers a pickle-speaking client also
	// talks to. Pyro5 has no pickle, so this concerns Pyro4 clients only.
	AllowPickle bool
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
	// CallbackError receives the error of a failed call to a method marked
	// as a callback (dispatch.Exposure.Callback, Pyro4's @callback), after
	// the caller got it and before the daemon closes that connection, as
	// Pyro4 re-raises it in the daemon.
	CallbackError func(conn *dispatch.Conn, object, method string, err error)
}

// Daemon publishes Go objects to Pyro4 clients.
type Daemon struct {
	core *Core // what the server type and the sessions see
	cfg  config.Config
	reg  *dispatch.Registry

	addr     net.Addr
	unixPath string
	host     string // as given, for locationStr
	port     int
	natHost  string
	natPort  int

	srv Server

	mu       sync.Mutex
	closed   bool
	shutdown chan struct{} // closed by Shutdown
}

// New creates a daemon, binds its socket and starts its server type (the
// connections are served once RequestLoop, Serve or a foreign loop runs;
// a multicore daemon serves from New on).
func New(opts Options) (*Daemon, error) {
	cfg := config.Default()
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	newServer, err := lookupServerType(cfg.ServerType)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	parse := serial.ParseAccepted
	if opts.AllowPickle {
		parse = serial.ParseAcceptedPickle
	}
	accepted, err := parse(cfg.SerializersAccepted)
	if err != nil {
		return nil, err
	}
	if opts.NATHost == "" {
		opts.NATHost = cfg.NATHost
	}
	if opts.NATHost != "" && opts.UnixSocket != "" {
		return nil, ErrNATUnixSocket
	}
	if opts.NATHost == "" && opts.NATPort != 0 {
		return nil, ErrNATPortWithoutHost
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	d := &Daemon{cfg: cfg, shutdown: make(chan struct{})}
	c := &Core{
		cfg:       cfg,
		hooks:     opts.Hooks,
		log:       log,
		accepted:  accepted,
		wopts:     wire.Options{HMACKey: opts.HMACKey, Compress: cfg.Compression, MaxMessageSize: cfg.MaxMessageSize},
		shutdown:  d.shutdown,
		lastHouse: time.Now(),
		limiter:   newConnLimiter(opts.Limits),
		obs:       newObservers(opts.Interceptors),
	}
	c.woptsPlain = c.wopts
	c.woptsPlain.Compress = false
	c.oneways = newOnewayQueue(c)
	ln, err := d.listen(opts)
	if err != nil {
		return nil, err
	}
	if c.tls, err = d.serverTLS(log); err != nil {
		ln.Close()
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
	c.reg = d.reg
	c.replacer = d.reg.Replacer()
	d.core = c
	var dobj any = &DaemonObject{d: d}
	if opts.DaemonObject != nil {
		if dobj = opts.DaemonObject(dobj.(*DaemonObject)); dobj == nil {
			ln.Close()
			return nil, fmt.Errorf("engine: Options.DaemonObject returned nil: %w", dispatch.ErrNilObject)
		}
	}
	if _, err := d.reg.Register(dobj, DaemonName, true); err != nil {
		ln.Close()
		return nil, fmt.Errorf("engine: registering %s: %w", DaemonName, err)
	}
	if d.srv, err = newServer(c, ln); err != nil {
		ln.Close()
		return nil, err
	}
	return d, nil
}

func (d *Daemon) listen(opts Options) (net.Listener, error) {
	d.host = opts.Host
	if d.host == "" {
		d.host = d.cfg.Host
	}
	var ln net.Listener
	switch {
	case opts.Listener != nil:
		ln = opts.Listener
	case opts.UnixSocket != "":
		var err error
		if ln, err = net.Listen("unix", opts.UnixSocket); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		d.unixPath = opts.UnixSocket
	default:
		bind := d.host
		if bind == "localhost" {
			bind = "127.0.0.1" // Pyro4 binds localhost on IPv4
		}
		lc := net.ListenConfig{}
		if !d.cfg.SockReuse {
			lc.Control = noReuseAddr
		}
		var err error
		if ln, err = lc.Listen(context.Background(), "tcp", net.JoinHostPort(bind, strconv.Itoa(opts.Port))); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
	}
	d.addr = ln.Addr()
	if ta, ok := d.addr.(*net.TCPAddr); ok {
		d.port = ta.Port
	}
	if opts.NATHost != "" {
		d.natHost, d.natPort = opts.NATHost, opts.NATPort
		if d.natPort == 0 {
			d.natPort = d.cfg.NATPort
		}
		if d.natPort == 0 {
			d.natPort = d.port
		}
	}
	return ln, nil
}

// Registry returns the daemon's object registry.
func (d *Daemon) Registry() *dispatch.Registry { return d.reg }

// Config returns the daemon's configuration.
func (d *Daemon) Config() config.Config { return d.cfg }

// Addr returns the address the daemon listens on.
func (d *Daemon) Addr() net.Addr { return d.addr }

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
// Without force, an id or object registered already is ErrAlreadyRegistered
// (Pyro4's DaemonError to a remote caller).
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
			return pyval.URI{}, dispatch.Misuse(ErrNotRegistered, pyval.ClassDaemonError, "object isn't registered in this daemon")
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
	return d.srv.Serve(loopCondition)
}

// Serve is RequestLoop stopped by ctx as well. A stop is not an error:
// it returns nil after Shutdown and when ctx ends it, as loop.Run does.
func (d *Daemon) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, d.Shutdown)
	defer stop()
	return d.RequestLoop(nil)
}

// listenDriven is the thread type's part in a foreign loop: Sockets is
// its listener and Events accepts one client, whom a goroutine then serves,
// as in Pyro4.
type listenDriven interface {
	listenSockets() []int
	acceptReady(ready []int) error
}

// Sockets returns the file descriptors a foreign event loop must watch for
// readability. For the multiplex type it is the listener, every live
// connection and the reactor's wakeup descriptor (readable when Shutdown
// or a worker wants the loop); the set changes after every Events call, so
// ask again each time. For the thread type it is the listening socket
// only: each accepted connection is served by its own goroutine. For a
// type that runs its own loops (multicore) it is empty: such a daemon
// serves clients by itself from New until Close, and Events does nothing.
//
// Sockets and Events must be called from one goroutine at a time (the
// foreign loop's), and not together with RequestLoop.
func (d *Daemon) Sockets() []int {
	switch s := d.srv.(type) {
	case Driven:
		return s.Sockets()
	case listenDriven:
		return s.listenSockets()
	}
	return nil
}

// Events processes the descriptors of Sockets that became readable without
// blocking on any other: the thread type accepts one client from the
// listener; multiplex accepts, reads and answers whatever is ready, drops
// closed connections and runs due timers. Descriptors that are not the
// daemon's are ignored.
func (d *Daemon) Events(ready []int) error {
	defer d.core.Housekeep()
	switch s := d.srv.(type) {
	case Driven:
		return s.Events(ready)
	case listenDriven:
		return s.acceptReady(ready)
	}
	return nil
}

// WriteSockets returns the connections whose replies the kernel has not
// yet taken (multiplex only). A foreign loop should watch them for
// writability and pass them to Events; otherwise their output only
// progresses when Events runs for other reasons.
func (d *Daemon) WriteSockets() []int {
	if s, ok := d.srv.(Driven); ok {
		return s.WriteSockets()
	}
	return nil
}

// Timeout reports how long a foreign loop may wait before calling Events
// (with no descriptors if none is ready) so that timers run on time; -1
// means it may wait indefinitely.
func (d *Daemon) Timeout() time.Duration {
	if s, ok := d.srv.(Driven); ok {
		return s.Timeout()
	}
	return d.core.HousekeepInterval()
}

// Done is closed when the daemon is shut down.
func (d *Daemon) Done() <-chan struct{} { return d.shutdown }

// Combinable reports whether the daemon can join a combined loop
// (package combine): only a server type a foreign loop drives entirely
// (Driven: multiplex) can.
func (d *Daemon) Combinable() error {
	if _, ok := d.srv.(Driven); !ok {
		return fmt.Errorf("engine: %w: a foreign loop cannot drive the connections of the %s type", ErrNotCombinable, d.cfg.ServerType)
	}
	return nil
}

// ServerType reports the server type: "thread", "multiplex" or "multicore".
func (d *Daemon) ServerType() string { return d.cfg.ServerType }

// Shutdown stops the request loop and closes the listening socket, so
// that clients arriving afterwards are refused, as Pyro4's shutdown does;
// connections stay until Close. It may be called from any goroutine,
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
	d.srv.Stop()
}

// CloseGrace is how long Close lets calls in progress finish and send
// their replies (a shutdown() called remotely is one: Pyro4 still answers
// it). CloseContext takes the caller's own bound instead.
const CloseGrace = 5 * time.Second

// Close shuts the daemon down and releases everything: the listening
// socket (and its unix socket file), every connection, every goroutine of
// gyro's, after letting calls in progress finish for up to CloseGrace.
// A call still running then sees its context canceled and its reply is
// not sent.
func (d *Daemon) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), CloseGrace)
	defer cancel()
	if err := d.CloseContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// CloseContext is Close that lets calls in progress finish and send their
// replies until ctx is done; it returns ctx.Err() when it had to cut them
// short.
func (d *Daemon) CloseContext(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	d.Shutdown()
	d.core.oneways.quiesce() // the server type waits for its workers
	err := d.srv.Close(ctx)
	d.core.oneways.close()
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
