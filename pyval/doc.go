// Package pyval is gyro's model of Python values, the common currency of the
// serializers (serial), the object dispatcher (dispatch) and the proxy.
//
// Pyro4 moves Python values; Go has no tuple, set, arbitrary-size int or dict
// with non-string keys, so this package gives each Python type one Go shape
// that round-trips exactly:
//
//	Python        Go
//	None          nil
//	bool          bool
//	int           int64, or *big.Int when it does not fit
//	float         float64 (nan and ±inf included)
//	complex       complex128
//	str           string
//	bytes         []byte
//	tuple         Tuple
//	list          []any
//	set           Set
//	dict          *Dict (ordered, any hashable key)
//
// Pyro4 also sends a few classes as "class dicts" (a dict with a __class__
// key): URIs, proxies, exceptions and the batch exception wrapper. Decoders
// turn those into URI, ProxyRef, *Exception and ExceptionWrapper through
// FromClassDict, which also refuses every class Pyro4 itself refuses, so a
// dict with __class__ never reaches user code as a plain dict.
//
// FromGo converts ordinary Go values (structs, maps, slices, integer kinds)
// into this model for encoding; serializers call it only for values that are
// not already in the model, so the common path does no reflection.
// ToGo is its reverse, for results a Go caller wants as Go types.
package pyval
