package naming

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/gyro-rpc/gyro/netutil"
	"github.com/gyro-rpc/gyro/pyval"
)

// broadcastRequest is the only datagram the broadcast server answers.
var broadcastRequest = []byte("GET_NSURI")

// maxRequest is what Pyro4 reads of a datagram; longer ones are cut, and
// so never equal the request.
const maxRequest = 100

// BroadcastServer answers name server location requests over UDP, as
// Pyro4's BroadcastServer: a datagram of exactly the 9 bytes "GET_NSURI"
// gets the name server's URI back, Latin-1 encoded, in one datagram to the
// sender. Anything else is ignored. When the URI's host is 0.0.0.0, each
// answer carries instead the address of the local interface that routes to
// the requester.
//
// Run it with Serve (or RunInBackground), or drive it from a foreign event
// loop with Sockets and Events, like an engine.Daemon.
type BroadcastServer struct {
	conn     *net.UDPConn
	raw      syscall.RawConn
	fd       int
	uri      pyval.URI
	reply    []byte // the fixed answer, nil when it depends on the requester
	location string

	mu     sync.Mutex
	closed bool
}

// NewBroadcastServer binds a broadcast responder for nsURI on bchost ("" =
// all interfaces, "::" for an IPv6 name server) and bcport (0 = a free
// port; Pyro4's is Config.NSBCPort), with SO_BROADCAST and
// SO_REUSEADDR. Pyro4 gives the broadcast server the internal (non-NAT)
// URI: StartNS does too.
func NewBroadcastServer(nsURI pyval.URI, bchost string, bcport int) (*BroadcastServer, error) {
	text := nsURI.String()
	if _, err := latin1(text); err != nil {
		return nil, fmt.Errorf("naming: broadcast server: %w", err)
	}
	network := "udp4"
	if strings.Contains(nsURI.Host, ":") || strings.Contains(bchost, ":") {
		network = "udp6"
		if bchost == "" {
			bchost = "::"
		}
	}
	lc := net.ListenConfig{Control: broadcastSockopts}
	pc, err := lc.ListenPacket(context.Background(), network, net.JoinHostPort(bchost, strconv.Itoa(bcport)))
	if err != nil {
		return nil, fmt.Errorf("naming: broadcast server: %w", err)
	}
	conn := pc.(*net.UDPConn)
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("naming: broadcast server: %w", err)
	}
	b := &BroadcastServer{conn: conn, raw: raw, fd: -1, uri: nsURI}
	raw.Control(func(fd uintptr) { b.fd = int(fd) })
	if nsURI.Host != "0.0.0.0" {
		b.reply, _ = latin1(text)
	}
	host := bchost
	la := conn.LocalAddr().(*net.UDPAddr)
	if host == "" {
		host = la.IP.String()
	}
	b.location = net.JoinHostPort(host, strconv.Itoa(la.Port))
	return b, nil
}

// broadcastSockopts sets SO_BROADCAST and SO_REUSEADDR, as Pyro4's
// createBroadcastSocket does.
func broadcastSockopts(network, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		if network == "udp4" {
			serr = setsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
		}
		if serr == nil {
			serr = setsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// latin1 encodes s as ISO-8859-1, as Pyro4 encodes the answer.
func latin1(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("uri %q is not Latin-1", s)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// fromLatin1 decodes ISO-8859-1.
func fromLatin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// URI returns the name server URI the server answers with.
func (b *BroadcastServer) URI() pyval.URI { return b.uri }

// LocationStr is Pyro4's locationStr: bchost (or the bound address) and
// port, "0.0.0.0:9091" by default.
func (b *BroadcastServer) LocationStr() string { return b.location }

// Addr returns the bound UDP address.
func (b *BroadcastServer) Addr() *net.UDPAddr { return b.conn.LocalAddr().(*net.UDPAddr) }

// Port returns the bound UDP port.
func (b *BroadcastServer) Port() int { return b.Addr().Port }

// Sockets returns the descriptor a foreign event loop watches for
// readability.
func (b *BroadcastServer) Sockets() []int { return []int{b.fd} }

// Events handles one datagram for each ready descriptor that is the
// server's, without blocking: a spurious wakeup reads nothing. It returns
// net.ErrClosed after Close. On Windows, which has no non-blocking receive
// for Go's sockets, it returns an error wrapping errors.ErrUnsupported: use
// Serve there.
func (b *BroadcastServer) Events(ready []int) error {
	for _, fd := range ready {
		if fd != b.fd {
			continue
		}
		if b.isClosed() {
			return net.ErrClosed
		}
		var (
			buf  [maxRequest]byte
			n    int
			from *net.UDPAddr
			rerr error
		)
		err := b.raw.Read(func(fd uintptr) bool {
			n, from, rerr = recvNow(fd, buf[:])
			return true // never wait: the foreign loop said it is readable
		})
		if err == nil && errors.Is(rerr, errors.ErrUnsupported) {
			err = rerr
		}
		if err != nil {
			return err
		}
		if rerr != nil || from == nil {
			continue // EAGAIN and friends: nothing to do, as Pyro4 ignores socket errors
		}
		b.answer(buf[:n], from)
	}
	return nil
}

// answer replies to one request datagram, if it gets a reply.
func (b *BroadcastServer) answer(req []byte, from *net.UDPAddr) {
	if reply := b.replyFor(req, from); reply != nil {
		// errors are ignored, as Pyro4 ignores socket errors here
		b.conn.WriteToUDP(reply, from)
	}
}

// replyFor returns the answer to a request datagram, or nil for none.
func (b *BroadcastServer) replyFor(req []byte, from *net.UDPAddr) []byte {
	if from == nil || string(req) != string(broadcastRequest) {
		return nil
	}
	if b.reply != nil {
		return b.reply
	}
	u := b.uri
	if ip, err := netutil.InterfaceAddress(from.IP.String()); err == nil {
		u.Host = ip.String()
	}
	reply, _ := latin1(u.String())
	return reply
}

// Serve answers requests until Close is called or ctx is done, which
// closes the server; it returns nil then. Run it on one goroutine only, and
// not together with Events.
func (b *BroadcastServer) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { b.Close() })
	defer stop()
	buf := make([]byte, maxRequest+1)
	for {
		n, from, err := b.conn.ReadFromUDP(buf)
		if err != nil {
			if b.isClosed() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if errors.Is(err, syscall.ECONNREFUSED) {
				continue // an ICMP error for an earlier answer; Pyro4 ignores it
			}
			return fmt.Errorf("naming: broadcast server: %w", err)
		}
		if n > maxRequest {
			n = maxRequest
		}
		b.answer(buf[:n], from)
	}
}

// RunInBackground serves on a new goroutine until Close (Pyro4's
// runInThread). The channel receives Serve's result and is then closed.
func (b *BroadcastServer) RunInBackground() <-chan error {
	done := make(chan error, 1)
	go func() {
		done <- b.Serve(context.Background())
		close(done)
	}()
	return done
}

func (b *BroadcastServer) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// Close stops Serve and releases the socket. It is safe to call more than
// once.
func (b *BroadcastServer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	return b.conn.Close()
}

// String describes the server.
func (b *BroadcastServer) String() string {
	return "<gyro BroadcastServer on " + b.location + " for " + b.uri.String() + ">"
}
