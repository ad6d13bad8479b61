package naming

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// LocateOptions say where and how to look for a name server: Pyro4's
// locateNS(host=None, port=None, broadcast=True, hmac_key=None) plus the
// config it reads.
type LocateOptions struct {
	// Host is the name server's host, or "./u:<path>" for a Unix socket.
	// "" searches: NS_HOST when it is a loopback name, then broadcast, then
	// NS_HOST:NS_PORT.
	Host string
	// Port is the name server port when Host is set or NS_HOST is tried,
	// and the broadcast port when broadcasting; 0 means NS_PORT or
	// NS_BCPORT from Config.
	Port int
	// NoBroadcast skips the broadcast search (Pyro4's broadcast=False).
	NoBroadcast bool
	// HMACKey is the name server's HMAC key.
	HMACKey []byte
	// Protocol is the name server's wire protocol generation: wire.Pyro4
	// (also 0) or wire.Pyro5 (proxy.Options.Protocol). With Pyro5,
	// PYROMETA URIs resolve through Pyro5's yplookup.
	Protocol int
	// Config supplies NS_HOST, NS_PORT, NS_BCPORT, BROADCAST_ADDRS,
	// PREFER_IP_VERSION and the proxy's settings (SERIALIZER, COMMTIMEOUT,
	// MAX_RETRIES, METADATA, COMPRESSION, MAX_MESSAGE_SIZE); nil means
	// config.Default().
	Config *config.Config
}

func (o LocateOptions) config() config.Config {
	if o.Config != nil {
		return *o.Config
	}
	return config.Default()
}

// The broadcast search: Pyro4 sends 3 rounds and waits 0.7 s for a reply
// after each.
var (
	broadcastRounds  = 3
	broadcastTimeout = 700 * time.Millisecond
)

// sendCheck, when set, vets every broadcast destination; the tests use it
// to make sure nothing is ever sent beyond the loopback interface.
var sendCheck func(ip net.IP) error

// ErrLocate is the cause of a failed LocateNS when no attempt got as far
// as an error of its own.
var ErrLocate = errors.New("no name server answered")

// LocateNS finds a name server and returns a proxy for it, searching as
// Pyro4's locateNS does:
//
//  1. With opts.Host, it connects to Host:(Port or NS_PORT) (or the Unix
//     socket "./u:<path>").
//  2. Otherwise, when NS_HOST is "localhost", "::1" or 127.*, it tries
//     NS_HOST:(Port or NS_PORT), then 127.0.1.1 if that resolves to a name.
//  3. Then, unless opts.NoBroadcast or PREFER_IP_VERSION is 6, it sends
//     "GET_NSURI" to every BROADCAST_ADDRS entry ("<broadcast>" is
//     255.255.255.255) at (Port or NS_BCPORT), 3 rounds of 0.7 s, and
//     returns the first answer as an unconnected proxy.
//  4. Last, it connects to NS_HOST:NS_PORT.
//
// Connected proxies have done their handshake (Pyro4's _pyroBind). When
// nothing answers, the error is NamingError("Failed to locate the
// nameserver") wrapping the last cause. The caller closes the proxy.
func LocateNS(ctx context.Context, opts LocateOptions) (*proxy.Proxy, error) {
	cfg := opts.config()
	popts := proxy.Options{Config: &cfg, HMACKey: opts.HMACKey, Protocol: opts.Protocol}
	host, port := opts.Host, opts.Port
	if host == "" {
		if cfg.NSHost == "localhost" || cfg.NSHost == "::1" || strings.HasPrefix(cfg.NSHost, "127.") {
			hosts := []string{cfg.NSHost}
			if !strings.Contains(cfg.NSHost, ":") && cfg.NSHost != "127.0.1.1" && hasReverseName(ctx, "127.0.1.1") {
				hosts = append(hosts, "127.0.1.1")
			}
			p := port
			if p == 0 {
				p = cfg.NSPort
			}
			for _, h := range hosts {
				if px, err := bindNS(ctx, nsURI(h, p), popts); err == nil {
					return px, nil
				}
				if ctx.Err() != nil {
					return nil, locateError(ctx.Err())
				}
			}
		}
		if !opts.NoBroadcast && cfg.PreferIPVersion != 6 {
			p := port
			if p == 0 {
				p = cfg.NSBCPort
			}
			u, err := broadcastLocate(ctx, cfg.BroadcastAddrs, p)
			if err == nil {
				return proxy.New(u.String(), popts)
			}
			if ctx.Err() != nil {
				return nil, locateError(ctx.Err())
			}
		}
		host, port = cfg.NSHost, cfg.NSPort
	}
	if port == 0 {
		port = cfg.NSPort
	}
	px, err := bindNS(ctx, nsURI(host, port), popts)
	if err != nil {
		return nil, locateError(err)
	}
	return px, nil
}

// locateError is Pyro4's NamingError("Failed to locate the nameserver")
// with the cause attached.
func locateError(cause error) error {
	if cause == nil {
		cause = ErrLocate
	}
	return &proxy.Error{Exception: namingExc("Failed to locate the nameserver"), Cause: cause}
}

// nsURI is the URI of the name server at host:port, or at host "./u:path".
func nsURI(host string, port int) pyval.URI {
	if sock, ok := strings.CutPrefix(host, "./u:"); ok {
		return pyval.URI{Protocol: "PYRO", Object: NameServerName, Sockname: sock}
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return pyval.URI{Protocol: "PYRO", Object: NameServerName, Host: host, Port: port}
}

func bindNS(ctx context.Context, u pyval.URI, popts proxy.Options) (*proxy.Proxy, error) {
	px, err := proxy.New(u.String(), popts)
	if err != nil {
		return nil, err
	}
	if err := px.Bind(ctx); err != nil {
		px.Close()
		return nil, err
	}
	return px, nil
}

// hasReverseName is Pyro4's socket.gethostbyaddr(ip) succeeding; it waits
// at most a second, since a resolver without an answer must not stall the
// search.
func hasReverseName(ctx context.Context, ip string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	names, err := net.DefaultResolver.LookupAddr(ctx, ip)
	return err == nil && len(names) > 0
}

// broadcastAddrs parses BROADCAST_ADDRS as Pyro4 does: comma separated,
// trimmed, "”" is "" (INADDR_ANY) and "<broadcast>" is 255.255.255.255.
func broadcastAddrs(s string) ([]net.IP, error) {
	var out []net.IP
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		switch a {
		case "''", "":
			a = "0.0.0.0"
		case "<broadcast>":
			a = "255.255.255.255"
		}
		ip := net.ParseIP(a)
		if ip == nil || ip.To4() == nil {
			return nil, fmt.Errorf("naming: BROADCAST_ADDRS entry %q is not an IPv4 address", a)
		}
		out = append(out, ip.To4())
	}
	return out, nil
}

// broadcastLocate asks every broadcast address for the name server URI.
// Send errors for one address skip that address (Pyro4 ignores only
// EADDRNOTAVAIL and EADDRINUSE there and fails the whole search on the
// rest); answers that are no URI are ignored.
func broadcastLocate(ctx context.Context, addrsConfig string, port int) (pyval.URI, error) {
	addrs, err := broadcastAddrs(addrsConfig)
	if err != nil {
		return pyval.URI{}, err
	}
	for _, ip := range addrs {
		if sendCheck != nil {
			if err := sendCheck(ip); err != nil {
				return pyval.URI{}, err
			}
		}
	}
	// Bind the loopback address when only loopback is asked: nothing then
	// listens beyond it.
	bind := "0.0.0.0:0"
	if !slices.ContainsFunc(addrs, func(ip net.IP) bool { return !ip.IsLoopback() }) {
		bind = "127.0.0.1:0"
	}
	lc := net.ListenConfig{Control: broadcastSockopts}
	pc, err := lc.ListenPacket(ctx, "udp4", bind)
	if err != nil {
		return pyval.URI{}, err
	}
	conn := pc.(*net.UDPConn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, maxRequest)
	lastErr := ErrLocate
	for range broadcastRounds {
		for _, ip := range addrs {
			if _, err := conn.WriteToUDP(broadcastRequest, &net.UDPAddr{IP: ip, Port: port}); err != nil {
				lastErr = err
			}
		}
		deadline := time.Now().Add(broadcastTimeout)
		conn.SetReadDeadline(deadline)
		for {
			if ctx.Err() != nil {
				return pyval.URI{}, ctx.Err()
			}
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				if !isTimeout(err) {
					lastErr = err
				}
				break
			}
			if u, err := pyval.ParseURI(fromLatin1(buf[:n])); err == nil && u.Protocol == "PYRO" {
				return u, nil
			}
		}
	}
	return pyval.URI{}, lastErr
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Resolve turns a PYRONAME or PYROMETA URI into the PYRO URI it stands for,
// as Pyro4's resolve does; a PYRO URI comes back as it is.
//
// PYRONAME:name[@host:port] asks the name server at host:port (or, without
// a location, the one at opts.Host/opts.Port, or the one LocateNS finds)
// to lookup(name). PYROMETA:tag1,tag2[@host:port] lists the registrations
// having every tag and picks one at random; none is NamingError("no
// registrations available with desired metadata properties {...}").
// PYRONAME:name@./u:path locates the name server on that Unix socket,
// where Pyro4 would ignore the socket.
func Resolve(ctx context.Context, u pyval.URI, opts LocateOptions) (pyval.URI, error) {
	switch u.Protocol {
	case "PYRO":
		return u, nil
	case "PYRONAME", "PYROMETA":
	default:
		return pyval.URI{}, pyroError("invalid uri protocol")
	}
	switch {
	case u.Sockname != "":
		opts.Host, opts.Port = "./u:"+u.Sockname, 0
	case u.Host != "":
		opts.Host, opts.Port = u.Host, u.Port
	}
	ns, err := LocateNS(ctx, opts)
	if err != nil {
		return pyval.URI{}, err
	}
	defer ns.Close()
	if u.Protocol == "PYRONAME" {
		v, err := ns.Call(ctx, "lookup", u.Object)
		if err != nil {
			return pyval.URI{}, err
		}
		return asURI(v)
	}
	tags := pyval.Set(tagList(normTags(u.Tags())))
	var v any
	if opts.Protocol == wire.Pyro5 {
		v, err = ns.CallKw(ctx, "yplookup", nil, map[string]any{"meta_all": tags, "return_metadata": false})
	} else {
		v, err = ns.CallKw(ctx, "list", nil, map[string]any{"metadata_all": tags})
	}
	if err != nil {
		return pyval.URI{}, err
	}
	d, ok := v.(*pyval.Dict)
	if !ok {
		return pyval.URI{}, pyroError(fmt.Sprintf("name server list() returned a %s, not a dict", pyType(v)))
	}
	if d.Len() == 0 {
		return pyval.URI{}, namingError("no registrations available with desired metadata properties " + serial.Repr(tags))
	}
	return asURI(d.Items()[rand.IntN(d.Len())].Value)
}

// asURI accepts what a name server sends for a URI: a URI class dict, or
// the URI string list() returns.
func asURI(v any) (pyval.URI, error) {
	switch x := v.(type) {
	case pyval.URI:
		return x, nil
	case *pyval.URI:
		return *x, nil
	case string:
		return parseURI(x)
	}
	return pyval.URI{}, pyroError("name server returned a " + pyType(v) + ", not a uri")
}

// Resolver returns Resolve bound to opts, for proxy.Options.Resolve:
//
//	p, err := proxy.New("PYRONAME:mythingy",
//		proxy.Options{Resolve: naming.Resolver(naming.LocateOptions{})})
func Resolver(opts LocateOptions) func(context.Context, pyval.URI) (pyval.URI, error) {
	return func(ctx context.Context, u pyval.URI) (pyval.URI, error) {
		return Resolve(ctx, u, opts)
	}
}
