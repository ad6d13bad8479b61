package config

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Config holds Pyro4's configuration items under their Go names. The `pyro`
// tag is Pyro4's item name; PYRO_<item> in the environment overrides it.
type Config struct {
	// Host is where daemons bind when their options name no host.
	Host string `pyro:"HOST"`
	// NSHost, NSPort are where the name server is looked for (and, in
	// gyro ns, NSPort is where it binds without -p).
	NSHost string `pyro:"NS_HOST"`
	NSPort int    `pyro:"NS_PORT"`
	// NSBCPort and NSBCHost are where the name server's broadcast
	// responder binds (NSBCHost "" = all interfaces) and where LocateNS
	// broadcasts to.
	NSBCPort int    `pyro:"NS_BCPORT"`
	NSBCHost string `pyro:"NS_BCHOST"`
	// NATHost and NATPort are the address daemons publish in URIs when
	// behind NAT; NATPort 0 means the daemon's real port.
	NATHost string `pyro:"NATHOST"`
	NATPort int    `pyro:"NATPORT"`
	// CommTimeout bounds network operations (connect, a call's reply,
	// an idle read on the daemon); 0 means no timeout.
	CommTimeout time.Duration `pyro:"COMMTIMEOUT"`
	// PollTimeout is how often a request loop checks its loop condition.
	PollTimeout time.Duration `pyro:"POLLTIMEOUT"`
	// ServerType picks the daemon's server type: ServerThread,
	// ServerMultiplex or ServerMulticore (see servertype.go).
	ServerType string `pyro:"SERVERTYPE"`
	// ThreadPoolSize bounds the connections a thread daemon serves at
	// once (more are refused, as in Pyro4) and sizes the multicore
	// worker pool.
	ThreadPoolSize int `pyro:"THREADPOOL_SIZE"`
	// ThreadPoolSizeMin is Pyro4's minimum pool size; accepted for
	// compatibility, gyro's pools need no minimum.
	ThreadPoolSizeMin int `pyro:"THREADPOOL_SIZE_MIN"`
	// OnewayThreaded runs oneway calls off the connection that sent them
	// (on the daemon's oneway workers), so its next requests do not wait
	// for them.
	OnewayThreaded bool `pyro:"ONEWAY_THREADED"`
	// Serializer is what proxies send calls with: "serpent", "json" or
	// "marshal" ("pickle" and "dill" are refused: unsafe).
	Serializer string `pyro:"SERIALIZER"`
	// SerializersAccepted lists the serializers a daemon answers,
	// comma-separated.
	SerializersAccepted string `pyro:"SERIALIZERS_ACCEPTED"`
	// Compression zlib-compresses the messages sent.
	Compression bool `pyro:"COMPRESSION"`
	// MaxMessageSize refuses messages larger than this many bytes; 0
	// means no limit.
	MaxMessageSize int `pyro:"MAX_MESSAGE_SIZE"`
	// Metadata makes proxies ask the daemon for the object's methods
	// and attributes when they connect.
	Metadata bool `pyro:"METADATA"`
	// RequireExpose exposes only the methods a type lists in its
	// Exposure (Pyro4's @expose); see Default.
	RequireExpose bool `pyro:"REQUIRE_EXPOSE"`
	// Autoproxy sends registered objects in results as proxies (URIs)
	// instead of copies.
	Autoproxy bool `pyro:"AUTOPROXY"`
	// IterStreaming lets methods return iterators that clients consume
	// item by item; off, such a result is an error.
	IterStreaming bool `pyro:"ITER_STREAMING"`
	// IterStreamLifetime ends a stream this long after it started; 0
	// means no limit.
	IterStreamLifetime time.Duration `pyro:"ITER_STREAM_LIFETIME"`
	// IterStreamLinger keeps a disconnected client's streams this long
	// so it can reconnect and go on; 0 closes them at once.
	IterStreamLinger time.Duration `pyro:"ITER_STREAM_LINGER"`
	// DetailedTraceback sends longer tracebacks with remote errors.
	DetailedTraceback bool `pyro:"DETAILED_TRACEBACK"`
	// SockReuse sets SO_REUSEADDR on listening sockets.
	SockReuse bool `pyro:"SOCK_REUSE"`
	// SockNodelay is Pyro4's TCP_NODELAY switch; Go sets TCP_NODELAY on
	// every TCP connection regardless.
	SockNodelay bool `pyro:"SOCK_NODELAY"`
	// PreferIPVersion is 4 or 6 (Pyro4: 0 for either); 6 makes LocateNS
	// skip IPv4 broadcasting.
	PreferIPVersion int `pyro:"PREFER_IP_VERSION"`
	// BroadcastAddrs are the addresses LocateNS broadcasts to,
	// comma-separated ("<broadcast>" is 255.255.255.255).
	BroadcastAddrs string `pyro:"BROADCAST_ADDRS"`
	// NSAutoclean, when positive, makes the name server probe its PYRO
	// registrations this often and remove those that do not answer.
	NSAutoclean time.Duration `pyro:"NS_AUTOCLEAN"`
	// MaxRetries is how often a proxy retries a call whose connection
	// broke, reconnecting first.
	MaxRetries int `pyro:"MAX_RETRIES"`
	// LogWire is Pyro4's wire-dump switch; accepted for compatibility,
	// gyro logs no message contents.
	LogWire bool `pyro:"LOGWIRE"`

	// SSL turns TLS on for every listening socket and every proxy, as in
	// Pyro4. The file items are PEM paths; SSLCACerts is a PEM file or a
	// directory of them. Package gyrotls builds the *tls.Config from them.
	SSL                  bool   `pyro:"SSL"`
	SSLRequireClientCert bool   `pyro:"SSL_REQUIRECLIENTCERT"`
	SSLCACerts           string `pyro:"SSL_CACERTS"`
	SSLServerCert        string `pyro:"SSL_SERVERCERT"`
	SSLServerKey         string `pyro:"SSL_SERVERKEY"`
	SSLServerKeyPasswd   string `pyro:"SSL_SERVERKEYPASSWD" secret:"true"`
	SSLClientCert        string `pyro:"SSL_CLIENTCERT"`
	SSLClientKey         string `pyro:"SSL_CLIENTKEY"`
	SSLClientKeyPasswd   string `pyro:"SSL_CLIENTKEYPASSWD" secret:"true"`
}

// redacted stands in for a secret item's value in Items.
const redacted = "********"

// Default returns Pyro4 4.82's defaults, with one deliberate difference:
// RequireExpose is false, because a Go type already says what is public
// (exported methods declared on the type) and unexported names can never be
// reached. Set it (or PYRO_REQUIRE_EXPOSE=true) to expose only the methods a
// type lists itself, as Pyro4 4.82's @expose does.
func Default() Config {
	return Config{
		Host:                "localhost",
		NSHost:              "localhost",
		NSPort:              9090,
		NSBCPort:            9091,
		PollTimeout:         2 * time.Second,
		ServerType:          ServerThread,
		ThreadPoolSize:      40,
		ThreadPoolSizeMin:   4,
		OnewayThreaded:      true,
		Serializer:          "serpent",
		SerializersAccepted: "serpent,marshal,json",
		Metadata:            true,
		RequireExpose:       false,
		Autoproxy:           true,
		IterStreaming:       true,
		IterStreamLinger:    30 * time.Second,
		SockReuse:           true,
		PreferIPVersion:     4,
		BroadcastAddrs:      "<broadcast>, 0.0.0.0",
	}
}

// FromEnv returns Default() overridden by the process environment.
func FromEnv() (Config, error) {
	c := Default()
	err := c.LoadEnv(os.LookupEnv)
	return c, err
}

// LoadEnv overrides items from PYRO_<ITEM> variables found by lookup. As in
// Pyro4, the value is cast to the item's type: booleans accept 0/off/no/false
// and 1/yes/on/true, durations are float seconds. NS_HOST follows HOST only
// in Pyro4's defaults, never from PYRO_HOST, exactly as Pyro4 behaves.
func (c *Config) LoadEnv(lookup func(string) (string, bool)) error {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		item := rt.Field(i).Tag.Get("pyro")
		s, ok := lookup("PYRO_" + item)
		if !ok {
			continue
		}
		if err := setField(rv.Field(i), s); err != nil {
			return fmt.Errorf("config: PYRO_%s=%q: %w", item, s, err)
		}
	}
	return nil
}

// Set sets one item by its Pyro4 name ("COMMTIMEOUT", "SERVERTYPE", ...)
// from its text form, as PYRO_<name> would.
func (c *Config) Set(item, value string) error {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		if rt.Field(i).Tag.Get("pyro") == strings.ToUpper(item) {
			if err := setField(rv.Field(i), value); err != nil {
				return fmt.Errorf("config: %s=%q: %w", item, value, err)
			}
			return nil
		}
	}
	return fmt.Errorf("config: unknown item %q", item)
}

// Items returns every item as Pyro4 names it with its current value in
// Pyro4's text form, in declaration order (for `gyro check-config`-style
// dumps and tests). Unlike Pyro4's dump, a set key password shows as
// asterisks: dumps end up in logs and bug reports.
func (c *Config) Items() [][2]string {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	out := make([][2]string, 0, rt.NumField())
	for i := 0; i < rt.NumField(); i++ {
		f := rv.Field(i)
		var s string
		switch v := f.Interface().(type) {
		case time.Duration:
			s = strconv.FormatFloat(v.Seconds(), 'f', -1, 64)
		default:
			s = fmt.Sprint(v)
		}
		if rt.Field(i).Tag.Get("secret") == "true" && s != "" {
			s = redacted
		}
		out = append(out, [2]string{rt.Field(i).Tag.Get("pyro"), s})
	}
	return out
}

func setField(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case time.Duration:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		f.SetInt(int64(v * float64(time.Second)))
	case bool:
		switch strings.ToLower(s) {
		case "0", "off", "no", "false":
			f.SetBool(false)
		case "1", "yes", "on", "true":
			f.SetBool(true)
		default:
			return fmt.Errorf("invalid boolean %q", s)
		}
	case int:
		v, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(v))
	case string:
		f.SetString(s)
	}
	return nil
}

// Validate checks the combinations Pyro4 checks when a daemon starts.
func (c *Config) Validate() error {
	// SERVERTYPE names a registered server type; the daemon checks it
	// against the types linked into the program.
	if c.ServerType == "" {
		return fmt.Errorf("config: empty server type")
	}
	if c.ThreadPoolSize < 1 || c.ThreadPoolSizeMin < 1 || c.ThreadPoolSizeMin > c.ThreadPoolSize {
		return fmt.Errorf("config: need THREADPOOL_SIZE >= THREADPOOL_SIZE_MIN >= 1, have %d and %d", c.ThreadPoolSize, c.ThreadPoolSizeMin)
	}
	return nil
}
