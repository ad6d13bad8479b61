package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// DaemonObject is the object id of every daemon's own object, which serves
// get_metadata, get_next_stream_item and close_stream.
const DaemonObject = pyval.DaemonID

// DefaultHandshake is the handshake a proxy sends when Options.Handshake is
// nil, as Pyro4 does.
const DefaultHandshake = "hello"

// Errors of local misuse, for errors.Is. Where Pyro4 raises an exception
// for the same mistake, errors.As finds that *pyval.Exception as well (an
// AttributeError for ErrNotExposed, a TypeError for ErrNotStream).
var (
	// ErrNoResolver is returned for a PYRONAME or PYROMETA URI when
	// Options.Resolve is nil.
	ErrNoResolver = errors.New("proxy: no resolver (Options.Resolve) for a name server uri")
	// ErrNotStream is returned by Proxy.Stream when the remote method
	// returned a plain value instead of an iterator.
	ErrNotStream = errors.New("proxy: result of call is not a stream")
	// ErrNotExposed is returned, without a round trip, for a method or
	// attribute the remote object's metadata does not list.
	ErrNotExposed = errors.New("proxy: not exposed")
	// ErrAnnotationKey is returned by SetAnnotation for a key that is not
	// 4 characters or is reserved.
	ErrAnnotationKey = errors.New("proxy: invalid annotation key")
	// ErrSerializer is returned by New and FromRef for a serializer name
	// the proxy does not know.
	ErrSerializer = errors.New("proxy: unknown serializer")
)

// misuse is an error of local misuse: Go text and sentinel, plus the
// exception Pyro4 raises for it, if any.
type misuse struct {
	err error
	exc *pyval.Exception
}

func (e *misuse) Error() string { return e.err.Error() }
func (e *misuse) Unwrap() []error {
	if e.exc == nil {
		return []error{e.err}
	}
	return []error{e.err, e.exc}
}

// Options configures a Proxy. The zero value is a Pyro4 proxy with
// config.Default(): serpent, no timeout, metadata on, no retries.
type Options struct {
	// Config holds the Pyro4 config items a proxy reads: SERIALIZER,
	// COMMTIMEOUT (bounds each call as a whole, connecting included; a
	// context deadline applies as well), METADATA (off: no metadata is
	// asked for and names are not checked locally), MAX_RETRIES (retries
	// of Call, CallKw and Oneway after a ConnectionClosedError or
	// TimeoutError; the call may then run twice on the server; a done
	// context is never retried), COMPRESSION and MAX_MESSAGE_SIZE. Nil
	// means config.Default(). For a setting of one proxy only, pass a copy
	// with that item changed.
	Config *config.Config
	// HMACKey signs and checks every message (Pyro4's _pyroHmacKey); empty
	// means off.
	HMACKey []byte
	// Handshake is sent in CONNECT; nil means DefaultHandshake ("hello").
	Handshake any
	// Resolve turns a PYRONAME or PYROMETA URI into a PYRO URI; it runs on
	// every (re)connect, as in Pyro4. Nil makes such URIs an error
	// (ErrNoResolver); naming.Resolver gives one that asks a name server.
	Resolve func(ctx context.Context, u pyval.URI) (pyval.URI, error)
	// ValidateHandshake checks the server's handshake response after
	// CONNECTOK (Pyro4's _pyroValidateHandshake); an error closes the
	// connection and is returned as is.
	ValidateHandshake func(resp any) error
	// Intercept wraps every method call (not attribute access, batches or
	// stream items); tracing uses it to send the trace context along.
	Intercept ClientInterceptor

	// Protocol is the wire protocol generation to speak: wire.Pyro4 (48,
	// also when 0) or wire.Pyro5 (502), for Pyro5 daemons and name
	// servers. Pyro5 has no HMAC (HMACKey must be empty) and no pickle;
	// its class names (Pyro5.errors.X, ...) decode to the same Go values.
	Protocol int

	// AllowPickle lets Config.Serializer be "pickle" (Pyro4 only); without
	// it that serializer is refused with ErrSerializer, so a PYRO_SERIALIZER
	// in the environment cannot switch a program to pickle by itself. gyro
	// decodes pickle without running anything (see serial.Pickle for what
	// it builds and refuses); the daemon must accept pickle too.
	AllowPickle bool

	// Pipeline makes the proxy keep many calls in flight on its one
	// connection: goroutines calling it at once do not wait for each
	// other's replies. Requests queued together go out in one write, and
	// replies are matched to calls by sequence number; a call whose
	// context is done leaves the connection to the others, one whose
	// COMMTIMEOUT passed releases it, as Pyro4 does. A failure of the connection fails every call in flight
	// with its error and the next call connects again. Pyro4's and Pyro5's
	// daemons, and gyro's, answer the requests of a connection in order, as
	// the pipelined proxy needs; a reply with a sequence number no call has
	// fails the connection with ProtocolError. At most 1 MiB of requests
	// is left unanswered at a time (a bigger one goes alone): calls over
	// that wait for replies, so that a server need not buffer more for a
	// client that sends faster than it reads.
	//
	// Do not pipeline to Pyro4's daemon over SSL: it answers some of the
	// requests that arrive together and then waits on its socket for the
	// rest, which sit decrypted in its SSL buffer, so those calls hang
	// until their timeout. gyro's daemon has no such trouble.
	Pipeline bool
}

// settings are the config items a proxy uses, taken from Options.Config
// (and, for FromRef, the reference) once at construction.
type settings struct {
	serializer     string
	timeout        time.Duration
	noMetadata     bool
	maxRetries     int
	compress       bool
	maxMessageSize int
	tls            *tls.Config // SSL on: the client config, without the server's name
	tlsErr         error       // SSL on and its items are wrong: New fails with it
}

func settingsOf(cfg *config.Config) settings {
	c := config.Default()
	if cfg != nil {
		c = *cfg
	}
	set := settings{
		serializer:     c.Serializer,
		timeout:        c.CommTimeout,
		noMetadata:     !c.Metadata,
		maxRetries:     c.MaxRetries,
		compress:       c.Compression,
		maxMessageSize: c.MaxMessageSize,
	}
	set.tls, set.tlsErr = clientTLS(c)
	return set
}

// Proxy is a client for one remote object, the Go counterpart of
// Pyro4.core.Proxy.
//
// A Proxy is safe for concurrent use. It has one connection and, by
// default, serializes calls on it: one request is outstanding at a time, as
// with a Pyro4 proxy owned by one thread. With Options.Pipeline, calls of
// many goroutines are in flight on that connection at once.
type Proxy struct {
	opts  Options
	set   settings
	codec serial.Codec
	wopts wire.Options

	// sem is held by the goroutine using the connection: every field in
	// this block is guarded by it.
	sem     chan struct{}
	conn    net.Conn
	br      *bufio.Reader
	seq     uint16
	payload []byte // reused encoding buffers
	frame   []byte
	callBuf serial.Call
	op      op
	extra   []wire.Annotation // the intercepted call's annotations

	// gen numbers the current connection; 0 when there is none. Stream.Close
	// reads it without taking sem.
	gen     atomic.Uint64
	lastGen uint64 // guarded by sem

	mu       sync.Mutex // guards the fields below
	live     net.Conn   // the connection, for Close to interrupt a call on it
	uri      pyval.URI
	connURI  pyval.URI // the resolved URI of the last connection; written with sem held too
	meta     metadata
	pipe     *pipe             // the connection of a pipelining proxy
	pending  []wire.Annotation // for the next call
	response map[string][]byte // of the last call
}

// metadata is what the server exposes on the object, sorted for search.
type metadata struct {
	known                  bool
	methods, oneway, attrs []string
}

func (m *metadata) set(methods, oneway, attrs []string) {
	slices.Sort(methods)
	slices.Sort(oneway)
	slices.Sort(attrs)
	m.methods, m.oneway, m.attrs = methods, oneway, attrs
	m.known = len(methods) > 0 || len(attrs) > 0
}

func has(sorted []string, name string) bool {
	_, ok := slices.BinarySearch(sorted, name)
	return ok
}

// New returns a proxy for uri, a PYRO, PYRONAME or PYROMETA URI in its
// text form. It does not connect: the first call does, like a Pyro4 proxy,
// and Bind connects at once. An invalid URI is an error matching
// pyval.ErrInvalidURI, an unknown serializer one matching ErrSerializer.
func New(uri string, opts Options) (*Proxy, error) {
	u, err := pyval.ParseURI(uri)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return newProxy(u, opts, settingsOf(opts.Config))
}

func newProxy(u pyval.URI, opts Options, set settings) (*Proxy, error) {
	if set.tlsErr != nil {
		return nil, set.tlsErr
	}
	if err := checkProtocol(&opts); err != nil {
		return nil, err
	}
	codec, err := codecFor(set.serializer, opts.Protocol, opts.AllowPickle)
	if err != nil {
		return nil, fmt.Errorf("%w %q", ErrSerializer, set.serializer)
	}
	return &Proxy{
		opts: opts, set: set, uri: u, codec: codec, sem: make(chan struct{}, 1),
		wopts: wire.Options{HMACKey: opts.HMACKey, Compress: set.compress, MaxMessageSize: set.maxMessageSize},
	}, nil
}

// FromRef returns a proxy for a proxy received as a value (an autoproxied
// object, a Pyro4 proxy sent as an argument or result). Like an unpickled
// Pyro4 proxy it takes the reference's metadata, serializer, timeout and
// retries, which replace the config's items; its HMAC key and handshake
// apply where opts leaves those empty.
func FromRef(ref pyval.ProxyRef, opts Options) (*Proxy, error) {
	set := settingsOf(opts.Config)
	if ref.Serializer != "" {
		set.serializer = ref.Serializer
	}
	if ref.Timeout > 0 {
		set.timeout = time.Duration(ref.Timeout * float64(time.Second))
	}
	set.maxRetries = ref.MaxRetries
	if len(opts.HMACKey) == 0 {
		opts.HMACKey = ref.HMACKey
	}
	if opts.Handshake == nil {
		opts.Handshake = ref.Handshake
	}
	p, err := newProxy(ref.URI, opts, set)
	if err != nil {
		return nil, err
	}
	p.meta.set(slices.Clone(ref.Methods), slices.Clone(ref.Oneway), slices.Clone(ref.Attrs))
	return p, nil
}

// URI returns the proxy's URI: as given, or the resolved PYRO URI once
// Bind has connected, as Pyro4's _pyroBind does.
func (p *Proxy) URI() pyval.URI {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.uri
}

// connectedURI returns the resolved URI of the last connection.
func (p *Proxy) connectedURI() pyval.URI {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.connURI
}

// Metadata returns the remote object's exposed methods, oneway methods and
// attributes (properties), sorted. They are empty until the proxy has
// connected (or came from FromRef), and with the METADATA config item off.
func (p *Proxy) Metadata() (methods, oneway, attrs []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.meta.methods), slices.Clone(p.meta.oneway), slices.Clone(p.meta.attrs)
}

// SetAnnotation adds a request annotation to the next call (Pyro4's
// current_context.annotations); it is sent once and then cleared. Keys are
// exactly 4 ASCII characters; "HMAC" is reserved. Because the annotation
// belongs to whichever call comes next, set it from the goroutine that
// makes that call.
func (p *Proxy) SetAnnotation(key string, value []byte) error {
	if len(key) != 4 {
		return fmt.Errorf("%w %q: not 4 characters", ErrAnnotationKey, key)
	}
	if key == "HMAC" {
		return fmt.Errorf("%w %q: reserved", ErrAnnotationKey, key)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.pending {
		if p.pending[i].Key == key {
			p.pending[i].Value = value
			return nil
		}
	}
	p.pending = append(p.pending, wire.Annotation{Key: key, Value: value})
	return nil
}

// SetCorrelationID sends id as the CORR annotation of the next call (and of
// the CONNECT, if that call connects). The server echoes it in its reply.
func (p *Proxy) SetCorrelationID(id [16]byte) {
	_ = p.SetAnnotation("CORR", id[:])
}

// ResponseAnnotations returns the annotations of the last call's reply
// (CORR included), or nil when it had none or was oneway.
func (p *Proxy) ResponseAnnotations() map[string][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.response)
}

// takeAnnotations returns the pending annotations; clear hands them to one
// INVOKE, otherwise (CONNECT) they stay for the call that follows, as in
// Pyro4.
func (p *Proxy) takeAnnotations(clear bool) []wire.Annotation {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.pending
	if clear {
		p.pending = nil
		return a
	}
	return slices.Clone(a)
}

func (p *Proxy) setResponse(anns []wire.Annotation) {
	var m map[string][]byte
	if len(anns) > 0 {
		m = make(map[string][]byte, len(anns))
		for _, a := range anns {
			m[a.Key] = a.Value
		}
	}
	p.mu.Lock()
	p.response = m
	p.mu.Unlock()
}

// Bind connects now unless the proxy is connected (Pyro4's _pyroBind):
// it resolves a PYRONAME or PYROMETA URI, keeping the result as the
// proxy's URI, does the handshake and learns the metadata. Use it to fail
// early when the object is unreachable.
func (p *Proxy) Bind(ctx context.Context) error {
	if p.opts.Pipeline {
		_, err := p.pipeFor(ctx, true)
		return err
	}
	o, err := p.begin(ctx)
	if err != nil {
		return err
	}
	defer p.end()
	return p.connect(o, true)
}

// Close closes the connection. It does not wait for a call in progress:
// it closes the connection under it, and the call fails with
// ConnectionClosedError (a call still connecting is not reached: cancel
// its context). As with Pyro4's _pyroRelease the proxy stays usable: the
// next call connects again.
func (p *Proxy) Close() error {
	if p.opts.Pipeline {
		p.closePipe()
	}
	select {
	case p.sem <- struct{}{}:
	default:
		p.mu.Lock()
		c := p.live
		p.mu.Unlock()
		if c != nil {
			c.Close() // the call fails and drops it
		}
		return nil
	}
	defer func() { <-p.sem }()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.drop()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// drop forgets the connection after an error that may leave it out of
// sync; the next call reconnects. Caller holds sem.
func (p *Proxy) drop() {
	if p.conn == nil {
		return
	}
	p.op.disarm()
	p.conn.Close()
	p.conn, p.br = nil, nil
	p.gen.Store(0)
	p.mu.Lock()
	p.live = nil
	p.mu.Unlock()
}

// begin takes the connection for one call, respecting ctx while waiting.
// The returned op carries the call's deadline; end releases it.
func (p *Proxy) begin(ctx context.Context) (*op, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxErr(ctx, "calling")
	}
	select {
	case p.sem <- struct{}{}:
	default:
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctxErr(ctx, "waiting for the proxy")
		}
	}
	o := &p.op
	o.reset(ctx, p.set.timeout)
	if p.conn != nil {
		o.arm(p.conn)
	}
	return o, nil
}

func (p *Proxy) end() {
	p.extra = nil
	p.op.disarm()
	p.op.ctx = nil
	// Do not pin a huge buffer for the proxy's lifetime.
	const keep = 1 << 20
	if cap(p.payload) > keep {
		p.payload = nil
	}
	if cap(p.frame) > keep {
		p.frame = nil
	}
	<-p.sem
}

// op is the state of one call: its context and deadline, and the watch
// that interrupts blocking I/O when the context is cancelled.
type op struct {
	ctx         context.Context
	deadline    time.Time
	ctxDeadline bool // deadline is the context's, not COMMTIMEOUT's
	stop        func() bool
	fired       chan struct{}
}

func (o *op) reset(ctx context.Context, timeout time.Duration) {
	o.ctx, o.deadline, o.ctxDeadline = ctx, time.Time{}, false
	if timeout > 0 {
		o.deadline = time.Now().Add(timeout)
	}
	if d, ok := ctx.Deadline(); ok && (o.deadline.IsZero() || !d.After(o.deadline)) {
		o.deadline, o.ctxDeadline = d, true
	}
}

// longAgo is a deadline in the past: setting it fails pending I/O at once.
var longAgo = time.Unix(1, 0)

// arm applies the call's deadline to c and, when ctx can be cancelled,
// makes cancellation fail c's pending I/O too.
func (o *op) arm(c net.Conn) {
	o.disarm()
	c.SetDeadline(o.deadline)
	if o.ctx.Done() == nil {
		return
	}
	fired := make(chan struct{})
	o.fired = fired
	o.stop = context.AfterFunc(o.ctx, func() {
		c.SetDeadline(longAgo)
		close(fired)
	})
}

// disarm stops watching the context; if the watch already fired it waits
// for it, so it cannot touch the connection after the call.
func (o *op) disarm() {
	if o.stop == nil {
		return
	}
	if !o.stop() {
		<-o.fired
	}
	o.stop, o.fired = nil, nil
}
