package pyval

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ErrInvalidURI is wrapped by every URI parse error.
var ErrInvalidURI = errors.New("invalid uri")

// DefaultNSPort is the port a PYRONAME or PYROMETA URI with a host but no
// port points at (Pyro4's NS_PORT default).
const DefaultNSPort = 9090

// URI is a Pyro URI: PYRO:object@host:port, PYRO:object@./u:/socket/path,
// PYRONAME:name[@host[:port]] or PYROMETA:tag1,tag2[@host[:port]]. It is
// sent on the wire as Pyro4's Pyro4.core.URI class dict.
type URI struct {
	Protocol string // "PYRO", "PYRONAME" or "PYROMETA", upper case
	Object   string // object id, name, or comma-separated tags
	Sockname string // unix socket path, or ""
	Host     string // host without IPv6 brackets, or ""
	Port     int    // 0 when absent
}

// ParseURI parses a URI in Pyro4's text form, following Pyro4's rules: the
// protocol is case-insensitive, the object id runs to the first '@', a PYRO
// URI needs a location, and PYRONAME/PYROMETA default the port to 9090 when
// a host is given.
func ParseURI(s string) (URI, error) {
	var u URI
	proto, rest, ok := strings.Cut(s, ":")
	if !ok {
		return u, fmt.Errorf("%w: %q", ErrInvalidURI, s)
	}
	u.Protocol = strings.ToUpper(proto)
	switch u.Protocol {
	case "PYRO", "PYRONAME", "PYROMETA":
	default:
		return u, fmt.Errorf("%w (protocol): %q", ErrInvalidURI, s)
	}
	obj, loc, hasLoc := strings.Cut(rest, "@")
	if obj == "" || strings.ContainsAny(obj, " \t\r\n") {
		return u, fmt.Errorf("%w: %q", ErrInvalidURI, s)
	}
	u.Object = obj
	if u.Protocol == "PYROMETA" {
		tags := strings.Split(obj, ",")
		for i, t := range tags {
			tags[i] = strings.TrimSpace(t)
		}
		u.Object = strings.Join(tags, ",")
	}
	if !hasLoc {
		if u.Protocol == "PYRO" {
			return u, fmt.Errorf("%w: %q", ErrInvalidURI, s)
		}
		return u, nil
	}
	if strings.HasPrefix(loc, "./u:") {
		u.Sockname = loc[len("./u:"):]
		if u.Sockname == "" || strings.Contains(u.Sockname, ":") {
			return u, fmt.Errorf("%w (unix socket path): %q", ErrInvalidURI, s)
		}
		return u, nil
	}
	host, port, err := splitHostPort(loc)
	if err != nil {
		return u, fmt.Errorf("%w: %q: %v", ErrInvalidURI, s, err)
	}
	if host == "" {
		return u, fmt.Errorf("%w: empty host: %q", ErrInvalidURI, s)
	}
	u.Host = host
	if port == "" {
		if u.Protocol == "PYRO" {
			return u, fmt.Errorf("%w: invalid port in uri, port=None: %q", ErrInvalidURI, s)
		}
		u.Port = DefaultNSPort
		return u, nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return u, fmt.Errorf("%w: invalid port in uri, port=%s: %q", ErrInvalidURI, port, s)
	}
	u.Port = p
	return u, nil
}

// splitHostPort splits "host:port", "[v6]:port", "host" and "[v6]".
func splitHostPort(loc string) (host, port string, err error) {
	if loc == "" {
		return "", "", errors.New("empty location")
	}
	if strings.HasPrefix(loc, "[") {
		end := strings.IndexByte(loc, ']')
		if end < 0 {
			return "", "", errors.New("missing ']' in IPv6 address")
		}
		host, rest := loc[1:end], loc[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' {
			return "", "", errors.New("junk after IPv6 address")
		}
		return host, rest[1:], nil
	}
	if i := strings.LastIndexByte(loc, ':'); i >= 0 {
		return loc[:i], loc[i+1:], nil
	}
	return loc, "", nil
}

// MustParseURI is ParseURI for constants in examples and tests; it panics on error.
func MustParseURI(s string) URI {
	u, err := ParseURI(s)
	if err != nil {
		panic(err)
	}
	return u
}

// Location returns the location part as a daemon's locationStr: "host:port",
// "[v6]:port" or "./u:path"; "" when the URI has none.
func (u URI) Location() string {
	switch {
	case u.Sockname != "":
		return "./u:" + u.Sockname
	case u.Host == "":
		return ""
	case strings.Contains(u.Host, ":"):
		return "[" + u.Host + "]:" + strconv.Itoa(u.Port)
	}
	return u.Host + ":" + strconv.Itoa(u.Port)
}

// Addr returns the network and address to dial: ("unix", path) or
// ("tcp", "host:port").
func (u URI) Addr() (network, address string) {
	if u.Sockname != "" {
		return "unix", u.Sockname
	}
	return "tcp", net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
}

// Tags returns the tags of a PYROMETA URI.
func (u URI) Tags() []string {
	if u.Protocol != "PYROMETA" {
		return nil
	}
	return strings.Split(u.Object, ",")
}

// String returns the URI in Pyro4's text form.
func (u URI) String() string {
	loc := u.Location()
	if loc == "" {
		return u.Protocol + ":" + u.Object
	}
	return u.Protocol + ":" + u.Object + "@" + loc
}

// ClassDict returns Pyro4's Pyro4.core.URI class dict:
// state = (protocol, object, sockname, host, port), None where absent.
func (u URI) ClassDict() *Dict {
	var sock, host, port any
	if u.Sockname != "" {
		sock = u.Sockname
	}
	if u.Host != "" {
		host = u.Host
		port = int64(u.Port)
	}
	return DictOf("__class__", "Pyro4.core.URI",
		"state", Tuple{u.Protocol, u.Object, sock, host, port})
}

func uriFromState(state any) (URI, error) {
	st, ok := asSeq(state)
	if !ok || len(st) != 5 {
		return URI{}, NewException(ClassSerializeError, "invalid URI state")
	}
	var u URI
	u.Protocol, _ = st[0].(string)
	u.Object, _ = st[1].(string)
	u.Sockname, _ = st[2].(string)
	u.Host, _ = st[3].(string)
	if p, ok := AsInt64(st[4]); ok {
		u.Port = int(p)
	}
	if u.Protocol == "" || u.Object == "" {
		return URI{}, NewException(ClassSerializeError, "invalid URI state")
	}
	return u, nil
}

// asSeq returns the elements of a tuple or list.
func asSeq(v any) ([]any, bool) {
	switch x := v.(type) {
	case Tuple:
		return x, true
	case []any:
		return x, true
	}
	return nil, false
}

// DaemonID is the reserved object id of every daemon's own object, Pyro4's
// constants.DAEMON_NAME; the engine, the proxy and the codecs all mean this
// one.
const DaemonID = "Pyro.Daemon"
