package serial

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync/atomic"

	"github.com/gyro-rpc/gyro/pyval"
)

// Serializer ids, as in the wire header's serializer field.
const (
	IDSerpent     = 1
	IDJSON        = 2
	IDMarshal     = 3
	IDPickle      = 4
	IDDill        = 5
	IDMsgpack     = 6
	IDCloudpickle = 7
)

// ErrUnknown is returned for a serializer name or id gyro does not know.
var ErrUnknown = errors.New("serializer is unknown or not available")

// Call is an INVOKE payload: the target object, the method and its
// arguments. Kwargs has str keys; nil means none: decoders return nil both
// for an empty dict, the usual case, and for None, which they report in
// KwargsNone. Pyro4's proxy sends None for __getattr__, __setattr__ and
// <batch>, which ignore kwargs; for any other method Pyro4's daemon fails
// the call (f(**None) is a TypeError), and so does gyro's. Encoders write
// None for KwargsNone or for those three methods when Kwargs is nil, else
// a dict.
type Call struct {
	Object     string
	Method     string
	Args       []any
	Kwargs     *pyval.Dict
	KwargsNone bool
}

// Decoder limits. Every decoder stops a payload that nests deeper than its
// limit or holds more than MaxValues values, before it can exhaust the
// stack or the memory; the error is the exception a Pyro4 peer gets back
// (*pyval.Exception, found with errors.As) and matches ErrTooDeep or
// ErrTooMany with errors.Is.
//
// The depth limits are Python's own, so they never refuse a payload a
// Pyro4 4.82 peer can produce: serpent (ast.literal_eval) refuses more
// than 200 nested brackets ("too many nested parentheses") and
// serpent.dumps more than 200 levels, gyro's serpent decoder allows 1000;
// json refuses near Python's recursion limit of 1000 (RecursionError at
// 994 in a script, less in a daemon's deeper stack), gyro's at 1000 with
// the same RecursionError; marshal refuses more than 2000 levels
// (MAX_MARSHAL_STACK_DEPTH, ValueError "recursion limit exceeded"), and
// so does gyro's.
//
// Python has no value count limit, only the memory it runs out of. Each
// value costs a decoder at least 16 bytes where the input may spend 1 or
// 2 (and a marshal back-reference repeats a whole container in 5), so
// MaxValues bounds what one payload can cost: about a quarter GiB of
// interface slots at the limit. A legitimate payload that large would be
// tens of megabytes of the smallest values, beyond what Pyro's design
// carries in one call; the error is a SerializeError, which Pyro4 treats
// as a protocol error (reply, then close).
const MaxValues = 1 << 24

// maxValues is MaxValues, lowered by tests that need no gigabyte payload.
var maxValues = MaxValues

var (
	// ErrTooDeep: a payload nests containers deeper than its decoder's
	// limit.
	ErrTooDeep = errors.New("serialized payload nested too deeply")
	// ErrTooMany: a payload holds more than MaxValues values.
	ErrTooMany = errors.New("serialized payload has too many values")
)

// limitError is a decoder limit's exception, matching its sentinel too.
type limitError struct {
	limit error
	exc   *pyval.Exception
}

func (e *limitError) Error() string   { return e.exc.Error() }
func (e *limitError) Unwrap() []error { return []error{e.limit, e.exc} }

func tooDeep(exc *pyval.Exception) error { return &limitError{ErrTooDeep, exc} }

func tooMany() error {
	return &limitError{ErrTooMany, pyval.Errorf(pyval.ClassSerializeError, "payload has more than %d values", maxValues)}
}

// emptyKwargs stands, between a decoder's call parser and the function
// that fills the Call, for a kwargs that was the literal {}: nil there
// means None.
type emptyKwargs struct{}

// A Replacer substitutes a value before it is encoded; it returns false to
// leave v as it is. Encoders consult it only for values outside the model's
// basic types (pointers, structs, maps and the like), which is where a
// registered object can appear; it is how autoproxy works.
type Replacer func(v any) (any, bool)

// Codec is one serializer.
type Codec interface {
	ID() int
	Name() string
	// Marshal appends the encoding of v to dst.
	Marshal(dst []byte, v any, r Replacer) ([]byte, error)
	// Unmarshal decodes one value; class dicts are rebuilt.
	Unmarshal(data []byte) (any, error)
	// MarshalCall appends an INVOKE payload in this serializer's layout
	// (serpent: a tuple with vargs as a tuple; json: an object with
	// "object", "method", "params", "kwargs"; marshal: a tuple with vargs
	// as a list).
	MarshalCall(dst []byte, c *Call, r Replacer) ([]byte, error)
	// UnmarshalCall decodes an INVOKE payload into c, overwriting it.
	// Like encoding/json with a slice, it reuses the array behind c.Args:
	// a caller that keeps one Call per connection decodes the arguments
	// of every call without allocating a slice, and must copy c.Args
	// before decoding the next call if it still needs them.
	UnmarshalCall(data []byte, c *Call) error
}

// names lists every serializer Pyro4 knows, by id.
var names = [...]string{IDSerpent: "serpent", IDJSON: "json", IDMarshal: "marshal",
	IDPickle: "pickle", IDDill: "dill", IDMsgpack: "msgpack", IDCloudpickle: "cloudpickle"}

// NameOf returns the name of a serializer id, or "" if the id is unknown.
func NameOf(id int) string {
	if id <= 0 || id >= len(names) {
		return ""
	}
	return names[id]
}

// IDOf returns the id of a serializer name.
func IDOf(name string) (int, error) {
	for id, n := range names {
		if n != "" && n == name {
			return id, nil
		}
	}
	return 0, fmt.Errorf("serializer %q: %w", name, ErrUnknown)
}

// ByID returns the codec for id: serpent, json, marshal or msgpack. Known
// but unsafe serializers are not available in gyro and give ErrUnknown as
// well.
func ByID(id int) (Codec, error) {
	switch id {
	case IDSerpent:
		return Serpent, nil
	case IDJSON:
		return JSON, nil
	case IDMarshal:
		return Marshal, nil
	case IDMsgpack:
		return Msgpack, nil
	}
	return nil, fmt.Errorf("serializer id %d: %w", id, ErrUnknown)
}

// ByName returns the codec called name.
func ByName(name string) (Codec, error) {
	id, err := IDOf(name)
	if err != nil {
		return nil, err
	}
	return ByID(id)
}

// Accepted is a set of serializer ids a daemon accepts
// (SERIALIZERS_ACCEPTED).
type Accepted uint16

// ParseAccepted parses Pyro4's SERIALIZERS_ACCEPTED text, split on commas
// without trimming exactly as Pyro4 does, so "serpent, json" fails on
// " json" just as a Pyro4 daemon would. Naming dill or another serializer
// gyro cannot decode is an error, and so is pickle: a program admits it
// only with ParseAcceptedPickle, never through config text alone.
func ParseAccepted(s string) (Accepted, error) {
	return parseAccepted(s, false)
}

// ParseAcceptedPickle is ParseAccepted that also admits "pickle" (id 4):
// for a program that opted in to pickle explicitly (engine.Options.
// AllowPickle). Pickle is still accepted only when s names it.
func ParseAcceptedPickle(s string) (Accepted, error) {
	return parseAccepted(s, true)
}

func parseAccepted(s string, pickle bool) (Accepted, error) {
	var a Accepted
	for _, n := range strings.Split(s, ",") {
		id, err := IDOf(n)
		if err != nil {
			return 0, fmt.Errorf("serializer '%s' is unknown or not available: %w", n, ErrUnknown)
		}
		if id == IDPickle && !pickle {
			return 0, fmt.Errorf("serializer 'pickle' needs the program's explicit opt-in (engine.Options.AllowPickle): %w", ErrUnknown)
		}
		if _, err := ByID(id); err != nil && id != IDPickle {
			return 0, fmt.Errorf("serializer '%s' is not supported by gyro (unsafe): %w", n, ErrUnknown)
		}
		a |= 1 << id
	}
	return a, nil
}

// DefaultAccepted is Pyro4's default: serpent, marshal and json.
const DefaultAccepted Accepted = 1<<IDSerpent | 1<<IDJSON | 1<<IDMarshal

// Has reports whether id is accepted.
func (a Accepted) Has(id int) bool { return id > 0 && id < 16 && a&(1<<id) != 0 }

// internTable caches short strings that recur in every call (object ids,
// method names, dict keys), with their boxed form, so that decoding them
// costs no allocation once seen; every decoder uses it. A slot holds the last string hashed to it; the
// table is shared and lock-free.
var internTable [1 << internBits]atomic.Pointer[interned]

const internBits = 12

type interned struct {
	s string
	v any
}

const internMax = 64

func internLookup(b []byte) *interned {
	slot := &internTable[internHash(b)]
	if e := slot.Load(); e != nil && e.s == string(b) {
		return e
	}
	s := string(b)
	e := &interned{s: s, v: s}
	slot.Store(e)
	return e
}

// internHash spreads names over the table with a multiply of a word made
// from two loads: from 8 bytes on, the first and the last eight; from 4,
// the first and the last four; below, the first, middle and last byte.
// Names recur, so a collision only costs a refill.
func internHash(b []byte) uint32 {
	var x uint64
	switch n := len(b); {
	case n >= 8:
		x = binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[n-8:]), 29)
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
	case n > 0:
		x = uint64(b[0]) | uint64(b[n/2])<<8 | uint64(b[n-1])<<16
	}
	x ^= uint64(len(b)) << 56
	return uint32((x * 0x9e3779b97f4a7c15) >> (64 - internBits)) // the product's top bits see all of x
}

// internString returns b as a string, from the intern table when it is
// short enough to be there.
func internString(b []byte) string {
	if len(b) > internMax {
		return string(b)
	}
	return internLookup(b).s
}
