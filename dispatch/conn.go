package dispatch

import (
	"context"
	"crypto/x509"
	"io"
	"net"
	"reflect"
	"slices"
	"sync"
)

// Conn is the registry's state for one client connection: its session
// instances, the resources its calls asked to be closed with it, and (in
// the registry) the streams it owns. The engine makes one per connection
// and closes it when the connection ends.
type Conn struct {
	r      *Registry
	client net.Addr
	peer   []*x509.Certificate // the client's verified TLS chain, set before the handshake hook

	mu        sync.Mutex
	instances map[*Class]*instance
	resources []io.Closer
	closed    bool
}

// NewConn returns the state for a new connection from client.
func (r *Registry) NewConn(client net.Addr) *Conn {
	return &Conn{r: r, client: client}
}

// Client returns the address the connection came from.
func (c *Conn) Client() net.Addr { return c.client }

// PeerCertificates returns the certificate chain the client presented in
// the TLS handshake, leaf first, verified against SSL_CACERTS when
// SSL_REQUIRECLIENTCERT is on; nil without TLS or without a client
// certificate. It is Pyro4's conn.getpeercert(): check the leaf's
// SerialNumber, Issuer and Subject in Hooks.ValidateHandshake or in a call
// (CallContext.Conn) to decide which client may do what.
func (c *Conn) PeerCertificates() []*x509.Certificate { return c.peer }

// SetPeerCertificates records the client's TLS certificates; the engine
// calls it before the handshake hook runs, never afterwards.
func (c *Conn) SetPeerCertificates(certs []*x509.Certificate) { c.peer = certs }

// Track registers a resource to be closed when the connection closes
// (Pyro4's current_context.track_resource). On a closed Conn it is closed
// at once.
func (c *Conn) Track(res io.Closer) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = res.Close()
		return
	}
	if !slices.ContainsFunc(c.resources, func(x io.Closer) bool { return same(x, res) }) {
		c.resources = append(c.resources, res)
	}
	c.mu.Unlock()
}

// Untrack forgets a tracked resource without closing it.
func (c *Conn) Untrack(res io.Closer) {
	c.mu.Lock()
	c.resources = slices.DeleteFunc(c.resources, func(x io.Closer) bool { return same(x, res) })
	c.mu.Unlock()
}

// same compares two closers without panicking on incomparable types.
func same(a, b io.Closer) bool {
	va := reflect.ValueOf(a)
	return reflect.TypeOf(a) == reflect.TypeOf(b) && va.Comparable() && va.Equal(reflect.ValueOf(b))
}

// Close releases the connection's state: session instances that implement
// io.Closer are closed, tracked resources are closed, and owned streams
// linger (Options.StreamLinger) or are dropped. It is idempotent.
func (c *Conn) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	insts, res := c.instances, c.resources
	c.instances, c.resources = nil, nil
	c.mu.Unlock()

	c.r.connClosed(c)
	for _, in := range insts {
		c.r.release(in)
	}
	for _, x := range res {
		if err := x.Close(); err != nil {
			c.r.log.Debug("dispatch: closing tracked resource", "err", err)
		}
	}
}

// sessionInstance returns the connection's instance of e's class, making
// it on first use. Pyro4 keys session instances by class, so a class
// registered under two ids shares one instance per connection.
func (c *Conn) sessionInstance(ctx context.Context, cc *CallContext, r *Registry, e *entry) (*instance, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if in := c.instances[e.class]; in != nil {
		return in, false, nil
	}
	in, err := r.create(ctx, cc, e)
	if err != nil {
		return nil, false, err
	}
	if c.closed {
		// A call raced with Close: serve it, but keep nothing.
		return in, true, nil
	}
	if c.instances == nil {
		c.instances = map[*Class]*instance{}
	}
	c.instances[e.class] = in
	return in, false, nil
}

// CallContext describes the call in progress (Pyro4's current_context).
// The engine fills one per request; a method reaches it through
// FromContext on its context.Context parameter.
type CallContext struct {
	Conn   *Conn
	Client net.Addr
	// Protocol is the wire protocol generation of the connection: 48 for
	// a Pyro4 client, 502 for a Pyro5 client (wire.Pyro4, wire.Pyro5).
	Protocol int
	Seq      uint16
	// Flags are the request's flags in Pyro4's numbering, whatever the
	// generation (wire.Flags).
	Flags uint16
	// SerializerID is the header's serializer id, in the numbering of
	// Protocol: Pyro5 numbers json and marshal differently (serial.ID5To4).
	SerializerID int
	// CorrelationID is the request's correlation id (Pyro4's CORR
	// annotation, Pyro5's header field), or a fresh one when it had none.
	CorrelationID [16]byte
	// Annotations are the request's annotations.
	Annotations map[string][]byte
	// ResponseAnnotations may be set by a method; the engine adds them to
	// the reply.
	ResponseAnnotations map[string][]byte
	// ObjectID and Host are set by Invoke.
	ObjectID string
	Host     Host
}

// flagOneway is the wire flag of a oneway call (Pyro4's FLAGS_ONEWAY).
const flagOneway = 0x04

type ctxKey struct{}

// NewContext returns ctx carrying cc.
func NewContext(ctx context.Context, cc *CallContext) context.Context {
	return context.WithValue(ctx, ctxKey{}, cc)
}

// FromContext returns the CallContext of the call ctx belongs to.
func FromContext(ctx context.Context) (*CallContext, bool) {
	cc, ok := ctx.Value(ctxKey{}).(*CallContext)
	return cc, ok && cc != nil
}
