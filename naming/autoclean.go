package naming

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/config"
)

// Pyro4's AutoCleaner constants: NS_AUTOCLEAN must be at least 3 s, the
// cleaner wakes every 2 s, and a name goes once its server has been
// unreachable for 20 s. Variables so the tests can shrink them, as Pyro4's
// own tests do with override_autoclean_min.
var (
	autocleanMin            = 3 * time.Second
	autocleanLoopDelay      = 2 * time.Second
	autocleanMaxUnreachable = 20 * time.Second
	// autocleanPassHook, when set, is called after every probing pass.
	autocleanPassHook func()
)

// autocleaner is Pyro4's NS_AUTOCLEAN: every NS_AUTOCLEAN it TCP-connects
// to the host:port (or Unix socket) of every PYRO registration and removes
// names whose server stayed unreachable for autocleanMaxUnreachable.
// PYRONAME and PYROMETA registrations have no server of their own and are
// left alone.
type autocleaner struct {
	ns       *NameServer
	interval time.Duration
	timeout  time.Duration // per probe: COMMTIMEOUT, or 5 s

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startAutoclean(ns *NameServer, cfg config.Config) *autocleaner {
	ctx, cancel := context.WithCancel(context.Background())
	a := &autocleaner{ns: ns, interval: cfg.NSAutoclean, timeout: cfg.CommTimeout, cancel: cancel}
	if a.timeout <= 0 {
		a.timeout = 5 * time.Second
	}
	a.wg.Add(1)
	go a.run(ctx)
	return a
}

func (a *autocleaner) stop() {
	a.cancel()
	a.wg.Wait()
}

func (a *autocleaner) run(ctx context.Context) {
	defer a.wg.Done()
	unreachable := make(map[string]time.Time)
	last := time.Now()
	tick := time.NewTicker(autocleanLoopDelay)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if time.Since(last) < a.interval {
			continue
		}
		a.pass(ctx, unreachable)
		last = time.Now()
		if autocleanPassHook != nil {
			autocleanPassHook()
		}
	}
}

// pass probes every registration once.
func (a *autocleaner) pass(ctx context.Context, unreachable map[string]time.Time) {
	a.ns.mu.RLock()
	regs, err := a.ns.st.List(ctx, "")
	a.ns.mu.RUnlock()
	if err != nil {
		return
	}
	seen := make(map[string]bool, len(regs))
	for _, r := range regs {
		if r.Name == NameServerName || r.Name == daemonName {
			continue
		}
		u, err := parseURI(r.URI)
		if err != nil || u.Protocol != "PYRO" {
			continue
		}
		seen[r.Name] = true
		network, addr := "tcp", net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
		if u.Sockname != "" {
			network, addr = "unix", u.Sockname
		}
		d := net.Dialer{Timeout: a.timeout}
		c, err := d.DialContext(ctx, network, addr)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			c.Close()
			delete(unreachable, r.Name)
			continue
		}
		since, ok := unreachable[r.Name]
		if !ok {
			since = time.Now()
			unreachable[r.Name] = since
		}
		if time.Since(since) >= autocleanMaxUnreachable {
			a.ns.Remove(ctx, r.Name, nil, nil)
			delete(unreachable, r.Name)
		}
	}
	for name := range unreachable {
		if !seen[name] {
			delete(unreachable, name) // removed meanwhile
		}
	}
}
