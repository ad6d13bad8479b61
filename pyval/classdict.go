package pyval

import (
	"encoding/base64"
	"math"
	"strings"
)

// ClassDicter is a value that goes on the wire as a Pyro4 class dict.
// Serializers encode ClassDict() in its place.
type ClassDicter interface {
	ClassDict() *Dict
}

// ProxyRef is a Pyro4.core.Proxy sent as a value: what a client receives for
// an autoproxied object, and what gyro sends for one.
type ProxyRef struct {
	URI        URI
	Oneway     []string
	Methods    []string
	Attrs      []string
	Timeout    float64
	HMACKey    []byte
	Handshake  any
	MaxRetries int
	Serializer string // "" means the receiver's default
}

// ClassDict returns Pyro4's form: state = (uri, oneway, methods, attrs,
// timeout, hmac, handshake, max_retries, serializer).
func (p ProxyRef) ClassDict() *Dict {
	var hmac, ser any
	if len(p.HMACKey) > 0 {
		hmac = "b64:" + base64.StdEncoding.EncodeToString(p.HMACKey)
	}
	if p.Serializer != "" {
		ser = p.Serializer
	}
	hs := p.Handshake
	if hs == nil {
		hs = "hello"
	}
	return DictOf("__class__", "Pyro4.core.Proxy", "state", Tuple{
		p.URI.String(), strTuple(p.Oneway), strTuple(p.Methods), strTuple(p.Attrs),
		p.Timeout, hmac, hs, int64(p.MaxRetries), ser,
	})
}

func strTuple(s []string) Tuple {
	t := make(Tuple, len(s))
	for i, v := range s {
		t[i] = v
	}
	return t
}

func strList(v any) []string {
	var out []string
	var elems []any
	switch x := v.(type) {
	case Tuple:
		elems = x
	case []any:
		elems = x
	case Set:
		elems = x
	}
	for _, e := range elems {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Object is a class Pyro4 knows but that carries nothing usable in Go
// (Pyro4.core.Daemon's placeholder, Pyro4.util serializer classes).
type Object struct {
	Class string
	State *Dict
}

// ClassDict returns the object as it arrived.
func (o Object) ClassDict() *Dict { return o.State }

// FromClassDict rebuilds a decoded dict that has a "__class__" key, following
// Pyro4's rules in order: a double underscore in the name is refused, known
// Pyro4 classes are rebuilt, exception dicts of builtin and Pyro4 classes
// become *Exception, and anything else is refused. Serpent additionally
// encodes nan as a "float" class dict (serpent reports true for it).
//
// It returns (d, nil) unchanged when d has no "__class__" key. Errors are
// *Exception values of Pyro4's classes, ready to be sent back.
func FromClassDict(d *Dict, serpent bool) (any, error) {
	cv, ok := d.Get("__class__")
	if !ok {
		return d, nil
	}
	class, _ := cv.(string)
	if strings.Contains(class, "__") {
		return nil, NewException(ClassSecurityError, "refused to deserialize types with double underscores in their name: "+class)
	}
	switch class {
	case "Pyro4.core.URI":
		st, _ := d.Get("state")
		return uriFromState(st)
	case "Pyro4.core.Proxy":
		return proxyFromState(d)
	case "Pyro4.core.Daemon":
		return Object{Class: class, State: d}, nil
	case "Pyro4.futures._ExceptionWrapper":
		ev, _ := d.Get("exception")
		e, ok := ev.(*Exception)
		if !ok {
			return nil, NewException(ClassSerializeError, "invalid exception wrapper")
		}
		return ExceptionWrapper{Exception: e}, nil
	case "float":
		if serpent {
			v, _ := d.Get("value")
			switch v {
			case "nan":
				return math.NaN(), nil
			case "inf":
				return math.Inf(1), nil
			case "-inf":
				return math.Inf(-1), nil
			}
		}
	}
	if mod, name, ok := strings.Cut(class, "."); ok && mod == "Pyro4" && strings.HasPrefix(name, "util.") && strings.HasSuffix(name, "Serializer") {
		return Object{Class: class, State: d}, nil
	}
	if name, ok := strings.CutPrefix(class, "Pyro4.errors."); ok {
		if _, known := pyroErrorParent[name]; !known {
			return nil, NewException(ClassAttributeError, "module 'Pyro4.errors' has no attribute '"+name+"'")
		}
		return exceptionFromDict(class, d), nil
	}
	if isExc, _ := d.Get("__exception__"); isExc == true {
		if qualified, ok := knownExceptionClass(class); ok {
			return exceptionFromDict(qualified, d), nil
		}
	}
	return nil, NewException(ClassSerializeError, "unsupported serialized class: "+class)
}

// knownExceptionClass accepts what Pyro4's dict_to_class accepts for an
// exception: a bare builtin or Pyro4 name, builtins.X, exceptions.X, and
// sqlite3.*Error.
func knownExceptionClass(class string) (string, bool) {
	mod, name, dotted := strings.Cut(class, ".")
	if !dotted {
		name = mod
		if _, ok := pyroErrorParent[name]; ok {
			return "Pyro4.errors." + name, true
		}
		if _, ok := builtinParent[name]; ok {
			return "builtins." + name, true
		}
		return "", false
	}
	switch mod {
	case "builtins", "exceptions":
		if _, ok := builtinParent[name]; ok {
			return "builtins." + name, true
		}
	case "sqlite3":
		if strings.HasSuffix(name, "Error") && !strings.Contains(name, ".") {
			return class, true
		}
	}
	return "", false
}

func exceptionFromDict(class string, d *Dict) *Exception {
	e := &Exception{Class: class}
	if a, ok := d.Get("args"); ok {
		if s, ok := asSeq(a); ok {
			e.Args = Tuple(s)
		}
	}
	if at, ok := d.Get("attributes"); ok {
		if ad, ok := at.(*Dict); ok {
			e.Attributes = ad
		}
	}
	return e
}

func proxyFromState(d *Dict) (any, error) {
	sv, _ := d.Get("state")
	st, ok := asSeq(sv)
	if !ok || len(st) < 8 {
		return nil, NewException(ClassSerializeError, "invalid Proxy state")
	}
	us, _ := st[0].(string)
	u, err := ParseURI(us)
	if err != nil {
		return nil, NewException(ClassSerializeError, "invalid Proxy state: "+err.Error())
	}
	p := ProxyRef{URI: u, Oneway: strList(st[1]), Methods: strList(st[2]), Attrs: strList(st[3]), Handshake: st[6]}
	p.Timeout, _ = AsFloat(st[4])
	if h, ok := st[5].(string); ok {
		if b64, ok := strings.CutPrefix(h, "b64:"); ok {
			p.HMACKey, _ = base64.StdEncoding.DecodeString(b64)
		} else {
			p.HMACKey = []byte(h)
		}
	}
	if n, ok := AsInt64(st[7]); ok {
		p.MaxRetries = int(n)
	}
	if len(st) > 8 {
		p.Serializer, _ = st[8].(string)
	}
	return p, nil
}
