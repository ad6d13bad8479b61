// Package serial holds the serializers Pyro4 speaks, each byte-compatible
// with Pyro4 4.82: serpent (id 1, Pyro4's default), json (id 2), marshal
// (id 3) and msgpack (id 6; accepted only when configured, as in Pyro4).
// Pickle (4) is available as the Pickle codec, which decodes plain data
// without ever running pickled code and which ByID never returns: a
// program must opt in on purpose (see Pickle below). Dill (5) and
// cloudpickle (7) are known by id and name only, so a daemon can refuse
// them with Pyro4's own errors.
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
//
// Every codec that reads calls is also a BatchUnmarshaler: a "<batch>"
// call in the shape Pyro's BatchProxy sends is decoded straight into a
// Batch of reusable calls, their arguments read as UnmarshalCall reads a
// call's, without the tuples, strs and dicts of each entry. Anything
// else is refused by UnmarshalBatch and left to UnmarshalCall, so the
// errors stay the generic ones. For pickle a small machine runs the
// opcodes of plain data that Pyro4's batches use and leaves every other
// pickle to gopickle.
//
// # Pickle
//
// Pickle is for Pyro4 peers only: Pyro5 5.15 has no pickle serializer
// (its ids are serpent 1, marshal 2, json 3, msgpack 4). A daemon accepts
// it only when SERIALIZERS_ACCEPTED names "pickle" and the program sets
// engine.Options.AllowPickle (ParseAcceptedPickle); a proxy speaks it only
// with SERIALIZER=pickle and proxy.Options.AllowPickle. Pyro4 accepts
// pickle just by naming it; gyro asks for the second, in-source step
// because those config items often come from PYRO_* environment variables.
//
// The risk is not the one of Python: unpickling in Python runs code the
// sender chose, gyro's decoder never runs anything and builds only the
// values below. What is left is that a peer speaking pickle to gyro
// usually speaks it to Python programs as well, so, as Pyro's manual
// says, enable it only between parties that trust each other.
//
// Decoding is github.com/nlpodyssey/gopickle's unpickler: a complete
// pickle virtual machine (protocols 0 to 5, memo, frames) that resolves
// every GLOBAL/STACK_GLOBAL through a callback and executes nothing. It
// was chosen over github.com/kisielk/og-rek, which does not implement
// BUILD (so it cannot read an exception with attributes, which every Pyro
// error reply has), and github.com/hydrogen18/stalecucumber, which is
// unmaintained and not on the module proxy. gopickle has no encoder;
// gyro's writer emits protocol 4 opcodes, which every Python 3.4+ reads.
// Where int has 32 bits gopickle would truncate an int beyond int32 that
// fits 64 bits; gyro rewrites such opcodes first (pickle_long.go), so the
// table below holds on every platform.
//
// What decodes into what:
//
//	NONE, NEWTRUE/NEWFALSE               nil, bool
//	INT, BININT*, LONG*                  int64, or *big.Int past 64 bits
//	FLOAT, BINFLOAT                      float64
//	UNICODE, BINUNICODE*, STRING*        string
//	BINBYTES*, BYTEARRAY8                []byte
//	TUPLE*, EMPTY_TUPLE                  pyval.Tuple
//	LIST, EMPTY_LIST, APPEND(S)          []any
//	DICT, EMPTY_DICT, SETITEM(S)         *pyval.Dict (equal keys: last value)
//	EMPTY_SET, ADDITEMS, FROZENSET       pyval.Set
//	MEMOIZE, PUT, GET (any width)        the shared value, expanded (bounded)
//
// GLOBAL and STACK_GLOBAL resolve only these names; with REDUCE, NEWOBJ
// and BUILD they rebuild:
//
//	builtins.complex(re, im)                  complex128
//	builtins.set / frozenset(iterable)        pyval.Set
//	builtins.bytearray(bytes), _codecs.encode bytes of protocols 0-2
//	datetime.datetime(state), datetime.date   time.Time (naive: the wall
//	                                          clock fields in UTC), Date
//	decimal.Decimal(text)                     its text, as other serializers send it
//	builtins.X / exceptions.X (builtin        *pyval.Exception, args and
//	exceptions), Pyro4.errors.X               BUILD's __dict__ as attributes
//	Pyro4.core.URI (NEWOBJ, BUILD state)      pyval.URI
//	Pyro4.core.Proxy (NEWOBJ, BUILD state)    pyval.ProxyRef
//	Pyro4.futures._ExceptionWrapper           pyval.ExceptionWrapper
//
// Refused with a SerializeError before anything is built: every other
// global (os.system, subprocess.Popen, builtins.eval, copyreg.
// _reconstructor of any class, instances of the caller's own classes...),
// persistent ids (PERSID, BINPERSID), extension codes (EXT1/2/4) and
// out-of-band buffers (NEXT_BUFFER); INST and OBJ go through the same
// resolver. Before the machine runs, every length the opcodes announce is
// checked against the payload's size; nesting deeper than 1000 and
// shared-value expansion beyond a budget proportional to the payload are
// refused too. A refused call gets the SerializeError as its reply and the
// connection goes on serving.
package serial
