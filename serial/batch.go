package serial

import (
	"unsafe"

	"github.com/gyro-rpc/gyro/pyval"
)

// MethodBatch is the method name of a batch INVOKE: its vargs are the
// calls, each a sequence (method, vargs, kwargs).
const MethodBatch = "<batch>"

// Batch is a "<batch>" INVOKE decoded straight into its calls. Each call
// has Method, Args, Kwargs and KwargsNone as UnmarshalCall sets them (its
// Object is unset: every call goes to Object). Like Call, a Batch is
// meant to be kept per connection: decoding reuses the array of calls and
// one array that holds every call's Args; Reset drops the values after the
// batch ran so the Batch keeps nothing alive.
type Batch struct {
	Object string
	Calls  []Call
	// args holds the Args of the calls back to back, in one array kept
	// from batch to batch: one clear per batch where an array per call
	// took one per call, and one object for the collector to mark per
	// connection. A call whose args did not fit has its own array
	// (spilled counts their values, to size args for the next batch);
	// dirty says values may lie past len(args), written before a spill
	// or a failed decode.
	args    []any
	spilled int
	dirty   bool
}

// BatchUnmarshaler is the capability of a codec that decodes a batch
// without building its value graph.
type BatchUnmarshaler interface {
	// UnmarshalBatch decodes data into b when it is a "<batch>" call of
	// the shape Pyro's BatchProxy sends: every entry a 3-sequence of a
	// str method, vargs a tuple or list, kwargs a dict with str keys or
	// None; the call's own kwargs None or empty. For anything else,
	// invalid payloads included, it reports false and leaves b reset: the
	// caller decodes the payload with UnmarshalCall, which gives the
	// generic call or the error exactly as for any call.
	UnmarshalBatch(data []byte, b *Batch) bool
}

// Limits above which Reset lets go of a batch's arrays rather than keep
// one odd batch's memory for the connection's lifetime.
const (
	batchKeepCalls = 4096
	batchKeepArgs  = 4096
)

// Reset clears every value b holds, keeping its arrays for the next batch.
// Method names stay until the next batch overwrites them: short strs, and
// not rewriting them saves every call of the batch a write the collector
// has to watch.
func (b *Batch) Reset() {
	used := len(b.args) + b.spilled
	if b.dirty {
		clear(b.args[:cap(b.args)])
	} else {
		clear(b.args)
	}
	b.args = b.args[:0]
	for i := range b.Calls {
		c := &b.Calls[i]
		if b.spilled > 0 {
			clear(c.Args) // a spilled array, or a part of b.args again
			c.Args = nil
		}
		if c.Kwargs != nil {
			c.Kwargs = nil
		}
		c.KwargsNone = false
	}
	if grow, drop := used > cap(b.args) && used <= batchKeepArgs, cap(b.args) > batchKeepArgs; grow || drop {
		b.args = nil
		if grow {
			b.args = make([]any, 0, used)
		}
		full := b.Calls[:cap(b.Calls)]
		for i := range full {
			full[i].Args = nil // nor keep the old array alive
		}
	}
	b.spilled, b.dirty = 0, false
	b.Object = ""
	b.Calls = b.Calls[:0]
	if cap(b.Calls) > batchKeepCalls {
		b.Calls = nil
	}
}

// next appends a call to b and returns it. Its Args are those of the
// call of the last batch at its place until setArgs stores the new ones.
func (b *Batch) next() *Call {
	if n := len(b.Calls); n < cap(b.Calls) {
		b.Calls = b.Calls[:n+1]
	} else {
		b.Calls = append(b.Calls, Call{})
	}
	return &b.Calls[len(b.Calls)-1]
}

// argsDst returns the empty array a decoder appends the next call's args
// to: the free end of b's array of args.
func (b *Batch) argsDst() []any { return b.args[len(b.args):] }

// setArgs makes args, appended to argsDst(), c's Args.
func (b *Batch) setArgs(c *Call, args []any) {
	n := len(b.args)
	switch {
	case len(args) == 0:
		c.Args = c.Args[:0] // no store of a pointer, which the collector would watch
		return
	case n < cap(b.args) && unsafe.SliceData(args) == unsafe.SliceData(b.args[n:cap(b.args)]):
		b.args = b.args[:n+len(args)]
		args = b.args[n:len(b.args):len(b.args)] // a call's args cannot grow into the next one's
	default:
		b.spilled += len(args)
		b.dirty = true
	}
	c.setArgs(args)
}

// setMethod and setArgs store a decoded entry's name and args in c where
// they change it: a batch's calls keep their names and Args arrays from
// batch to batch, and a pointer store takes the write barrier while the
// collector marks, for every entry.
func (c *Call) setMethod(name string) {
	if len(c.Method) != len(name) || unsafe.StringData(c.Method) != unsafe.StringData(name) {
		c.Method = name
	}
}

func (c *Call) setArgs(args []any) {
	if cap(args) == cap(c.Args) && unsafe.SliceData(args) == unsafe.SliceData(c.Args) {
		c.Args = c.Args[:len(args)]
		return
	}
	c.Args = args
}

// fail resets b and reports false, for UnmarshalBatch's fallbacks.
func (b *Batch) fail() bool {
	b.dirty = true // args decoded into b.args's free end, never set
	b.Reset()
	return false
}

// batchKwargs sets c's Kwargs and KwargsNone from a decoded entry kwargs,
// as UnmarshalCall does; it reports false for what only the generic path
// handles (not a dict, or a key that is not a str).
func batchKwargs(c *Call, kwargs any) bool {
	switch x := kwargs.(type) {
	case emptyKwargs:
	case nil:
		c.KwargsNone = true
	case *pyval.Dict:
		for _, it := range x.Items() {
			if _, ok := it.Key.(string); !ok {
				return false
			}
		}
		if x.Len() > 0 {
			c.Kwargs = x
		}
	default:
		return false
	}
	return true
}
