package engine

import (
	"crypto/tls"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// Core is what a server type needs from its daemon, and nothing else: the
// configuration, the logger, the wire options requests are parsed with,
// sessions for new connections, and the housekeeping to run on its loop.
// New makes it once; it never changes afterwards, so server types may read
// it from any goroutine.
type Core struct {
	cfg      config.Config
	reg      *dispatch.Registry
	hooks    Hooks
	log      *slog.Logger
	accepted serial.Accepted
	wopts    wire.Options
	// woptsPlain is wopts without compression: exception replies and
	// CONNECTFAILs are never compressed.
	woptsPlain wire.Options
	replacer   serial.Replacer // autoproxy
	tls        *tls.Config     // nil unless SSL is on
	shutdown   <-chan struct{}
	limiter    *connLimiter
	obs        *observers // nil without Options.Interceptors
	oneways    *onewayQueue

	houseMu   sync.Mutex
	lastHouse time.Time
}

// Config returns the daemon's configuration.
func (c *Core) Config() config.Config { return c.cfg }

// Logger returns the daemon's logger.
func (c *Core) Logger() *slog.Logger { return c.log }

// WireOptions returns the options every request is parsed with (size limit,
// HMAC key). Server types frame requests with wire.FrameLen and these.
func (c *Core) WireOptions() *wire.Options { return &c.wopts }

// Done is closed when the daemon is shut down.
func (c *Core) Done() <-chan struct{} { return c.shutdown }

// ShuttingDown reports whether the daemon was shut down.
func (c *Core) ShuttingDown() bool {
	select {
	case <-c.shutdown:
		return true
	default:
		return false
	}
}

// NewSession returns the protocol state machine for a new connection from
// client. spawn runs fn on a goroutine the server type owns (it starts the
// workers of threaded oneway calls) and reports false when it can no
// longer start one (the daemon is closing), in which case the call is
// dropped.
func (c *Core) NewSession(client net.Addr, spawn func(func()) bool) *Session {
	s := &Session{c: c, client: client, spawn: spawn}
	s.rng.Seed(rand.Uint64(), rand.Uint64())
	if c.obs != nil {
		s.observeOpen()
	}
	return s
}

// Housekeep runs the periodic work (stream expiry, the Housekeeping hook)
// when it is due; server types call it from their loop at least every
// HousekeepInterval.
func (c *Core) Housekeep() {
	now := time.Now()
	c.houseMu.Lock()
	due := now.Sub(c.lastHouse) >= c.HousekeepInterval()
	if due {
		c.lastHouse = now
	}
	c.houseMu.Unlock()
	if !due {
		return
	}
	c.reg.Housekeep(now)
	if c.hooks.Housekeeping != nil {
		c.hooks.Housekeeping()
	}
}

// HousekeepInterval is Pyro4's min(POLLTIMEOUT, max(COMMTIMEOUT, 5 s)).
func (c *Core) HousekeepInterval() time.Duration {
	return min(c.cfg.PollTimeout, max(c.cfg.CommTimeout, 5*time.Second))
}
