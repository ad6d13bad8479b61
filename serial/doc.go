// Package serial holds the serializers Pyro4 speaks, each byte-compatible
// with Pyro4 4.82: serpent (id 1, Pyro4's default), json (id 2), marshal
// (id 3) and msgpack (id 6; accepted only when configured, as in Pyro4).
// Pickle (4) is available as the Pickle codec, which decodes plain data
// without ever running pickled code and which ByID never returns: a
// program must wire it in on purpose. Dill (5) and cloudpickle (7) are
// known by id and name only, so a daemon can refuse them with Pyro4's own
// errors.
//
// Pyro5 (protocol 502) numbers the same serializers differently (ByID5,
// ID4To5, ID5To4) and uses its own class names (Msgpack5, ForPyro5,
// FromPyro5ClassDict); docs/pyro5-wire.md has the differences.
//
// Every codec decodes into and encodes from the Python value model of package
// pyval. Class dicts (URIs, proxies, exceptions) are rebuilt while decoding
// by pyval.FromClassDict; a Replacer passed to the encoders substitutes
// values on the way out (the daemon's autoproxy).
//
// A Codec is stateless and safe for concurrent use.
package serial
