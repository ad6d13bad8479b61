package engine

import (
	"net"
	"sync"
	"time"
)

// COMMTIMEOUT, as every server type applies it
// (Pyro4's types differ: its thread type times every socket read, its
// multiplex type only half-received messages):
//
//   - a request must arrive completely within COMMTIMEOUT of its first
//     byte: later bytes of the same request do not restart the clock, so
//     a client trickling a byte at a time is dropped;
//   - a connection with no request in progress and no reply pending is
//     closed after COMMTIMEOUT of silence;
//   - a reply the client does not take within COMMTIMEOUT closes the
//     connection;
//   - a call itself is not timed: the silence counts from its reply.
//
// COMMTIMEOUT 0 (the default, as in Pyro4) turns all of this off.

// Limits bound the connections clients may hold open, so that one client,
// or many, cannot take every descriptor of the process. A client over a
// limit gets a CONNECTFAIL with the reason, as Pyro4 refuses a client when
// its thread pool is full, and is disconnected. Zero means no limit: the
// default, as in Pyro4.
type Limits struct {
	// MaxConnections is how many connections may be open at once.
	MaxConnections int
	// MaxConnectionsPerHost is how many of them may come from one client
	// IP address (all Unix socket clients count as one).
	MaxConnectionsPerHost int
}

// Reasons of the CONNECTFAIL a client over a Limit gets.
const (
	reasonTooManyConns   = "too many connections"
	reasonTooManyForHost = "too many connections from this address"
)

// connLimiter counts open connections against Limits.
type connLimiter struct {
	lim    Limits
	mu     sync.Mutex
	total  int
	byHost map[string]int
}

func newConnLimiter(lim Limits) *connLimiter {
	return &connLimiter{lim: lim, byHost: make(map[string]int)}
}

func hostKey(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	if a == nil {
		return ""
	}
	return a.Network()
}

// admit counts a connection from client, or returns why it may not open.
func (l *connLimiter) admit(client net.Addr) (host string, reason string) {
	host = hostKey(client)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.lim.MaxConnections > 0 && l.total >= l.lim.MaxConnections:
		return host, reasonTooManyConns
	case l.lim.MaxConnectionsPerHost > 0 && l.byHost[host] >= l.lim.MaxConnectionsPerHost:
		return host, reasonTooManyForHost
	}
	l.total++
	l.byHost[host]++
	return host, ""
}

func (l *connLimiter) release(host string) {
	l.mu.Lock()
	l.total--
	if l.byHost[host]--; l.byHost[host] <= 0 {
		delete(l.byHost, host)
	}
	l.mu.Unlock()
}

// Admit counts a new connection from client against the daemon's Limits.
// When the connection may open, Admit returns a release function, which
// the server type calls once when the connection closes. Otherwise it
// returns the CONNECTFAIL frame to send the client before closing the
// connection without reading from it.
func (c *Core) Admit(client net.Addr) (release func(), refusal []byte) {
	l := c.limiter
	if l == nil || l.lim == (Limits{}) {
		return func() {}, nil
	}
	host, reason := l.admit(client)
	if reason != "" {
		c.log.Debug("connection refused", "client", client, "reason", reason)
		return nil, c.NewSession(client, nil).refusal(0, reason)
	}
	var once sync.Once
	return func() { once.Do(func() { l.release(host) }) }, nil
}

// refuseNow sends a refusal from Admit on a connection just accepted and
// closes it. The frame is small and the socket new, so the write does not
// wait for the client; the deadline is there all the same.
func refuseNow(nc net.Conn, refusal []byte) {
	nc.SetWriteDeadline(time.Now().Add(time.Second))
	nc.Write(refusal)
	nc.Close()
}
