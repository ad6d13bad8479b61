// Package serial holds the serializers Pyro4 speaks, each byte-compatible
// with Pyro4 4.82: serpent (id 1, Pyro4's default), json (id 2) and marshal
// (id 3). Pickle (4), dill (5), msgpack (6) and cloudpickle (7) are known by
// id and name only, so a daemon can refuse them with Pyro4's own errors; they
// are unsafe and gyro never decodes them.
//
// Every codec decodes into and encodes from the Python value model of package
// pyval. Class dicts (URIs, proxies, exceptions) are rebuilt while decoding
// by pyval.FromClassDict; a Replacer passed to the encoders substitutes
// values on the way out (the daemon's autoproxy).
//
// A Codec is stateless and safe for concurrent use.
package serial
