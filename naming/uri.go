package naming

import (
	"strconv"
	"strings"

	"github.com/gyro-rpc/gyro/pyval"
)

// parseURI parses s exactly as Pyro4 4.82's URI constructor does, so the
// name server accepts and refuses the same strings with the same PyroError
// texts ("invalid uri", "invalid port in uri, port=None", ...). Pyro4
// matches (?P<protocol>[Pp][Yy][Rr][Oo][a-zA-Z]*):(?P<object>\S+?)
// (@(?P<location>.+))?$ and then checks the location; this is that, by
// hand. pyval.ParseURI is stricter in a few corners (a trailing newline,
// "h:1:2"), which the name server must not be.
func parseURI(s string) (pyval.URI, error) {
	var u pyval.URI
	proto, rest, ok := strings.Cut(s, ":")
	if !ok || !validProtocol(proto) {
		return u, pyroError("invalid uri")
	}
	// $ also matches before one trailing newline, which neither group takes
	rest = strings.TrimSuffix(rest, "\n")
	obj, loc, hasLoc, ok := splitObject(rest)
	if !ok {
		return u, pyroError("invalid uri")
	}
	u.Protocol = strings.ToUpper(proto)
	u.Object = obj
	var defPort *int
	nsPort := pyval.DefaultNSPort
	switch u.Protocol {
	case "PYRONAME":
		defPort = &nsPort
	case "PYRO":
		if !hasLoc {
			return u, pyroError("invalid uri")
		}
	case "PYROMETA":
		tags := strings.Split(obj, ",")
		for i, t := range tags {
			tags[i] = strings.TrimSpace(t)
		}
		u.Object = strings.Join(normTags(tags), ",")
		defPort = &nsPort
	default:
		return u, pyroError("invalid uri (protocol)")
	}
	if !hasLoc {
		return u, nil
	}
	return u, parseLocation(&u, loc, defPort)
}

func pyroError(msg string) error { return pyval.NewException(pyval.ClassPyroError, msg) }

// validProtocol matches [Pp][Yy][Rr][Oo][a-zA-Z]*.
func validProtocol(p string) bool {
	if len(p) < 4 || !strings.EqualFold(p[:4], "pyro") {
		return false
	}
	for i := 4; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// splitObject finds the shortest non-blank object that is followed either
// by the end or by "@" and a non-empty location without newlines: the
// lazy \S+? of Pyro4's pattern.
func splitObject(rest string) (obj, loc string, hasLoc, ok bool) {
	for i, r := range rest {
		if isPySpace(r) {
			return "", "", false, false
		}
		if r == '@' && i > 0 && i+1 < len(rest) && !strings.Contains(rest[i+1:], "\n") {
			return rest[:i], rest[i+1:], true, true
		}
	}
	if rest == "" {
		return "", "", false, false
	}
	return rest, "", false, true
}

// parseLocation is Pyro4's URI._parseLocation; defPort nil is Python's None.
func parseLocation(u *pyval.URI, loc string, defPort *int) error {
	if sock, ok := strings.CutPrefix(loc, "./u:"); ok {
		if sock == "" || strings.Contains(sock, ":") {
			return pyroError("invalid uri (location)")
		}
		u.Sockname = sock
		return nil
	}
	var port string
	if strings.HasPrefix(loc, "[") {
		if strings.HasPrefix(loc, "[[") {
			return pyroError("invalid ipv6 address: enclosed in too many brackets")
		}
		host, p, ok := matchIPv6Location(loc)
		if !ok {
			return pyroError("invalid ipv6 address: the part between brackets must be a numeric ipv6 address")
		}
		u.Host, port = host, p
	} else {
		u.Host, port, _ = strings.Cut(loc, ":")
	}
	if port == "" {
		if defPort == nil {
			return pyroError("invalid port in uri, port=None")
		}
		u.Port = *defPort
		return nil
	}
	// Python's int() takes surrounding blanks and a sign
	p, err := strconv.Atoi(strings.TrimSpace(port))
	if err != nil {
		return pyroError("invalid port in uri, port=" + port)
	}
	u.Port = p
	return nil
}

// matchIPv6Location is re.match(r"\[([0-9a-fA-F:%]+)](:(\d+))?", loc):
// anchored at the start only, so anything after it is ignored.
func matchIPv6Location(loc string) (host, port string, ok bool) {
	end := strings.IndexByte(loc, ']')
	if end < 2 {
		return "", "", false
	}
	host = loc[1:end]
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '%') {
			return "", "", false
		}
	}
	rest := loc[end+1:]
	if strings.HasPrefix(rest, ":") {
		n := 0
		for n < len(rest)-1 && rest[1+n] >= '0' && rest[1+n] <= '9' {
			n++
		}
		if n > 0 {
			port = rest[1 : 1+n]
		}
	}
	return host, port, true
}

// uriString is what Pyro4's register stores for a URI argument: a URI
// object's asString, or a str that parses (kept as given).
func uriString(v any) (string, error) {
	switch x := v.(type) {
	case pyval.URI:
		return x.String(), nil
	case *pyval.URI:
		return x.String(), nil
	case string:
		if _, err := parseURI(x); err != nil {
			return "", err
		}
		return x, nil
	}
	return "", typeError("only URIs or strings can be registered")
}
