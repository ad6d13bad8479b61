package serial

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gyro-rpc/gyro/pyval"
)

// The marshal serializer (id 3) is CPython's marshal format, version 4, as
// Python 3.11 reads and writes it; Pyro4's MarshalSerializer is
// marshal.dumps and marshal.loads around its class-dict conversion.
//
// Decoding reads every type code CPython 3.11 reads for data (all but code
// objects, StopIteration and Ellipsis, which the model cannot hold), fails
// with the exception marshal.loads raises (ValueError "bad marshal data
// (...)", EOFError, TypeError, UnicodeDecodeError), checks every length
// against the input left, and ignores trailing bytes as marshal.loads
// does. Two deliberate differences: a back-reference to a list, dict or
// set that is still being read (a cycle, which CPython builds) is refused
// as an invalid reference, and the total size of a value with shared parts
// is bounded, so a few bytes of back-references cannot expand into an
// exponentially large value.
//
// Encoding cannot match CPython byte for byte in general, because CPython
// sets FLAG_REF on an object only when its reference count is above one
// and writes a back-reference only when the very same object comes again.
// The encoder writes what CPython writes when every object is shared (the
// usual case for a Pyro4 result or call) and only the objects CPython
// itself makes identical repeat: every value but None, True and False
// carries FLAG_REF; identifier-like ASCII strings are written as interned
// (Z/A) and, like one-character Latin-1 strings, "", (), b"" and the ints
// -5..256, are back-references when they come again. The call tuple of
// MarshalCall is fresh and unflagged, as in Pyro4's dumpsCall.

type marshalCodec struct{}

// Marshal reads and writes CPython's marshal format version 4, as Pyro4's
// MarshalSerializer uses it on Python 3.11. Decoding errors are the
// *pyval.Exception marshal.loads raises for the same input.
var Marshal Codec = marshalCodec{}

// Type codes of CPython's marshal format.
const (
	mNull          = '0'
	mNone          = 'N'
	mFalse         = 'F'
	mTrue          = 'T'
	mStopIter      = 'S'
	mEllipsis      = '.'
	mInt           = 'i'
	mInt64         = 'I' // no longer written, still read
	mFloat         = 'f' // text float, version 0 and 1
	mBinaryFloat   = 'g'
	mComplex       = 'x' // text complex, version 0 and 1
	mBinaryComplex = 'y'
	mLong          = 'l'
	mString        = 's' // bytes
	mInterned      = 't'
	mRef           = 'r'
	mTuple         = '('
	mList          = '['
	mDict          = '{'
	mCode          = 'c'
	mUnicode       = 'u'
	mSet           = '<'
	mFrozenset     = '>'
	mASCII         = 'a'
	mASCIIInterned = 'A'
	mSmallTuple    = ')'
	mShortASCII    = 'z'
	mShortASCIIInt = 'Z'
	mFlagRef       = 0x80
)

// marshalMaxDepth is CPython's MAX_MARSHAL_STACK_DEPTH.
const marshalMaxDepth = 2000

const size32Max = 0x7fffffff

func (marshalCodec) ID() int      { return IDMarshal }
func (marshalCodec) Name() string { return "marshal" }

// Marshal appends the marshal encoding of v.
func (marshalCodec) Marshal(dst []byte, v any, r Replacer) ([]byte, error) {
	e := marshalEncoder{buf: dst, r: r}
	if err := e.value(v, 0); err != nil {
		return dst, err
	}
	return e.buf, nil
}

// MarshalCall appends the call tuple (object, method, vargs list, kwargs
// dict). Kwargs nil is written as an empty dict: Pyro4's own marshal
// client cannot send None.
func (marshalCodec) MarshalCall(dst []byte, c *Call, r Replacer) ([]byte, error) {
	e := marshalEncoder{buf: dst, r: r}
	e.buf = append(e.buf, mSmallTuple, 4)
	e.str(c.Object)
	e.str(c.Method)
	if err := e.seq(mList, c.Args, 1); err != nil {
		return dst, err
	}
	// Pyro4's own marshal proxy cannot send None (it iterates kwargs), so
	// nil kwargs go out as {} unless the call says None.
	if c.Kwargs == nil && c.KwargsNone {
		e.buf = append(e.buf, mNone)
		return e.buf, nil
	}
	kw := c.Kwargs
	if kw == nil {
		kw = emptyDict
	}
	if err := e.dict(kw, 1); err != nil {
		return dst, err
	}
	return e.buf, nil
}

var emptyDict = pyval.NewDict(0)

// Unmarshal decodes one value as Pyro4's MarshalSerializer.loads does,
// class dicts rebuilt.
func (marshalCodec) Unmarshal(data []byte) (any, error) {
	v, sawClass, err := marshalDecode(data)
	if err != nil {
		return nil, err
	}
	if sawClass {
		return modelRecreate(v)
	}
	return v, nil
}

// UnmarshalCall decodes a call tuple. Like Pyro4 it unpacks any iterable of
// four, and accepts None kwargs.
func (marshalCodec) UnmarshalCall(data []byte, c *Call) error {
	d := newMarshalDecoder(data)
	defer d.release()
	p := callParts{dst: c.Args}
	if ok, err := d.callTuple(&p); err != nil {
		return err
	} else if !ok {
		// Not a tuple or list of four: decode it whole and unpack it as
		// Python would, for Python's errors.
		d.reset()
		v, err := d.top()
		if err != nil {
			return err
		}
		parts, ok := pyval.Iterate(v)
		if !ok {
			return pyval.NewException(pyval.ClassTypeError, "cannot unpack non-iterable "+pyval.TypeName(v)+" object")
		}
		switch {
		case len(parts) < 4:
			return pyval.NewException(pyval.ClassValueError, fmt.Sprintf("not enough values to unpack (expected 4, got %d)", len(parts)))
		case len(parts) > 4:
			return pyval.NewException(pyval.ClassValueError, "too many values to unpack (expected 4)")
		}
		p = callParts{object: partOf(parts[0]), method: partOf(parts[1]), vargs: parts[2], kwargs: parts[3]}
	}
	if d.sawClass {
		if err := p.recreate(); err != nil {
			return err
		}
	}
	return fillCall(c, &p)
}

// ---- encoding ----

// sharedKey names a value CPython shares between all its uses.
type sharedKey struct {
	kind byte // 's' str, 'i' small int, 't' (), 'b' b""
	s    string
	i    int64
}

type sharedRef struct {
	key sharedKey
	idx int32
}

type marshalEncoder struct {
	buf   []byte
	r     Replacer
	nrefs int32 // objects written with FLAG_REF so far
	// Shared values already written, for back-references: a small array
	// first, so a typical call allocates nothing, then a map.
	small  [8]sharedRef
	nsmall int
	more   map[sharedKey]int32
	// inKey is set while writing a dict key or a set element, where
	// Python needs a hashable value: a Set there is a frozenset (the
	// model does not tell the two apart).
	inKey bool
}

// ref writes a back-reference if key was written before and reports
// whether it did; otherwise it records that the next flagged object, the
// one about to be written, is key.
func (e *marshalEncoder) ref(key sharedKey) bool {
	for i := 0; i < e.nsmall; i++ {
		if e.small[i].key == key {
			e.writeRef(e.small[i].idx)
			return true
		}
	}
	if idx, ok := e.more[key]; ok {
		e.writeRef(idx)
		return true
	}
	if e.nsmall < len(e.small) {
		e.small[e.nsmall] = sharedRef{key, e.nrefs}
		e.nsmall++
	} else {
		if e.more == nil {
			e.more = make(map[sharedKey]int32)
		}
		e.more[key] = e.nrefs
	}
	return false
}

func (e *marshalEncoder) writeRef(idx int32) {
	e.buf = append(e.buf, mRef)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(idx))
}

// code writes a type code with FLAG_REF, taking the next reference index.
func (e *marshalEncoder) code(c byte) {
	e.buf = append(e.buf, c|mFlagRef)
	e.nrefs++
}

func (e *marshalEncoder) u32(n int) {
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(n))
}

func errMarshalDepth() error {
	return pyval.NewException(pyval.ClassValueError, "object too deeply nested to marshal")
}

func (e *marshalEncoder) value(v any, depth int) error {
	if depth >= marshalMaxDepth {
		return errMarshalDepth()
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, mNone)
	case bool:
		if x {
			e.buf = append(e.buf, mTrue)
		} else {
			e.buf = append(e.buf, mFalse)
		}
	case string:
		e.str(x)
	case int64:
		e.int(x)
	case int:
		e.int(int64(x))
	case float64:
		e.code(mBinaryFloat)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(x))
	case complex128:
		e.code(mBinaryComplex)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(real(x)))
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(imag(x)))
	case *big.Int:
		if x == nil {
			e.buf = append(e.buf, mNone)
		} else if x.IsInt64() {
			e.int(x.Int64())
		} else {
			e.long(x)
		}
	case []byte:
		if len(x) == 0 && e.ref(sharedKey{kind: 'b'}) {
			return nil
		}
		if len(x) > size32Max {
			return errUnmarshallable()
		}
		e.code(mString)
		e.u32(len(x))
		e.buf = append(e.buf, x...)
	case pyval.Tuple:
		if len(x) == 0 {
			if !e.ref(sharedKey{kind: 't'}) {
				e.code(mSmallTuple)
				e.buf = append(e.buf, 0)
			}
			return nil
		}
		if len(x) < 256 {
			e.code(mSmallTuple)
			e.buf = append(e.buf, byte(len(x)))
			return e.elems(x, depth)
		}
		return e.seq(mTuple, x, depth)
	case []any:
		saved := e.inKey
		e.inKey = false
		err := e.seq(mList, x, depth)
		e.inKey = saved
		return err
	case pyval.Set:
		code := byte(mSet)
		if e.inKey {
			code = mFrozenset
		}
		saved := e.inKey
		e.inKey = true
		err := e.seq(code, x, depth)
		e.inKey = saved
		return err
	case *pyval.Dict:
		return e.dict(x, depth)
	default:
		nv, err := normalizeValue(v, e.r)
		if err != nil {
			return err
		}
		return e.value(nv, depth+1)
	}
	return nil
}

func errUnmarshallable() error {
	return pyval.NewException(pyval.ClassValueError, "unmarshallable object")
}

func (e *marshalEncoder) int(x int64) {
	if x >= -5 && x <= 256 && e.ref(sharedKey{kind: 'i', i: x}) {
		return
	}
	if x >= math.MinInt32 && x <= math.MaxInt32 {
		e.code(mInt)
		e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(int32(x)))
		return
	}
	e.long(big.NewInt(x))
}

// long writes an int as CPython does: a signed count of 15-bit digits,
// least significant first.
func (e *marshalEncoder) long(x *big.Int) {
	words := x.Bits()
	nbits := x.BitLen()
	ndigits := (nbits + 14) / 15
	e.code(mLong)
	n := int32(ndigits)
	if x.Sign() < 0 {
		n = -n
	}
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(n))
	for d := 0; d < ndigits; d++ {
		bit := d * 15
		w, off := bit/bits.UintSize, uint(bit%bits.UintSize)
		v := uint(words[w]) >> off
		if off+15 > bits.UintSize && w+1 < len(words) {
			v |= uint(words[w+1]) << (bits.UintSize - off)
		}
		e.buf = binary.LittleEndian.AppendUint16(e.buf, uint16(v&0x7fff))
	}
}

// isNameString reports what CPython's compiler interns: ASCII letters,
// digits and underscores only (the empty string included).
func isNameString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (e *marshalEncoder) str(s string) {
	if isASCII(s) {
		name := isNameString(s)
		if (name || len(s) == 1) && e.ref(sharedKey{kind: 's', s: s}) {
			return
		}
		switch {
		case len(s) < 256 && name:
			e.code(mShortASCIIInt)
			e.buf = append(e.buf, byte(len(s)))
		case len(s) < 256:
			e.code(mShortASCII)
			e.buf = append(e.buf, byte(len(s)))
		case name:
			e.code(mASCIIInterned)
			e.u32(len(s))
		default:
			e.code(mASCII)
			e.u32(len(s))
		}
		e.buf = append(e.buf, s...)
		return
	}
	// One-character Latin-1 strings are CPython singletons.
	if r, size := utf8.DecodeRuneInString(s); size == len(s) && r < 256 && r != utf8.RuneError {
		if e.ref(sharedKey{kind: 's', s: s}) {
			return
		}
	}
	e.code(mUnicode)
	if utf8.ValidString(s) {
		e.u32(len(s))
		e.buf = append(e.buf, s...)
		return
	}
	if _, _, _, bad := utf8Problem(s, true); !bad { // encoded surrogates
		e.u32(len(s))
		e.buf = append(e.buf, s...)
		return
	}
	// Not UTF-8 even with surrogates allowed: what Python could not read
	// back becomes U+FFFD.
	fixed := sanitizeUTF8(s)
	e.u32(len(fixed))
	e.buf = append(e.buf, fixed...)
}

// sanitizeUTF8 replaces each byte that is not part of UTF-8 (encoded
// surrogates allowed) by U+FFFD.
func sanitizeUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size != 1 {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		if i+2 < len(s) && s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2]&0xc0 == 0x80 {
			b.WriteString(s[i : i+3])
			i += 3
			continue
		}
		b.WriteString("\uFFFD")
		i++
	}
	return b.String()
}

func (e *marshalEncoder) seq(c byte, l []any, depth int) error {
	if len(l) > size32Max {
		return errUnmarshallable()
	}
	e.code(c)
	e.u32(len(l))
	return e.elems(l, depth)
}

func (e *marshalEncoder) elems(l []any, depth int) error {
	for _, x := range l {
		if err := e.value(x, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (e *marshalEncoder) dict(d *pyval.Dict, depth int) error {
	if depth >= marshalMaxDepth {
		return errMarshalDepth()
	}
	e.code(mDict)
	saved := e.inKey
	defer func() { e.inKey = saved }()
	for _, it := range d.Items() {
		e.inKey = true
		if err := e.value(it.Key, depth+1); err != nil {
			return err
		}
		e.inKey = false
		if err := e.value(it.Value, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, mNull)
	return nil
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// ---- decoding ----

func marshalDecode(data []byte) (v any, sawClass bool, err error) {
	d := newMarshalDecoder(data)
	defer d.release()
	if v, err = d.top(); err != nil {
		return nil, false, err
	}
	return v, d.sawClass, nil
}

// top decodes the one value marshal.loads reads; trailing bytes are
// ignored, as marshal.loads ignores them.
func (d *marshalDecoder) top() (any, error) {
	v, _, err := d.value()
	if err != nil {
		return nil, err
	}
	if v == marshalNullValue {
		return nil, pyval.NewException(pyval.ClassTypeError, "NULL object in marshal data for object")
	}
	return v, nil
}

// marshalNull is what TYPE_NULL decodes to: the end of a dict, an error
// anywhere else.
type marshalNull struct{}

var marshalNullValue any = marshalNull{}

// Reference table states.
const (
	refPending = iota // a container being read: CPython allows a cycle, gyro does not
	refReady
)

// Lazy kinds of a call's vargs decoded into the caller's reused Args
// array: a back-reference to them gets a copy of the elements.
const (
	lazyVargsList  = 'L'
	lazyVargsTuple = 'T'
)

type marshalRef struct {
	v any
	// A str or a list, tuple or set not yet boxed into v: boxing costs
	// an allocation, so it waits for a back-reference that needs it.
	lazy     byte // 0, or 's', '[', ')', '<', or lazyVargsList/lazyVargsTuple
	s        string
	elems    []any
	hashable bool
	state    uint8
	weight   int // number of values in v, counting shared parts each time
}

type marshalDecoder struct {
	data     []byte
	pos      int
	depth    int
	refs     []marshalRef
	weight   int // values decoded so far, back-referenced ones counted in full
	budget   int
	sawClass bool
	// Scratch stacks shared by nested containers; pooled with the decoder.
	elems []any
	items []pyval.Item
}

var marshalDecoders = sync.Pool{New: func() any { return new(marshalDecoder) }}

func newMarshalDecoder(data []byte) *marshalDecoder {
	d := marshalDecoders.Get().(*marshalDecoder)
	d.data = data
	// Without back-references the number of values is at most the
	// number of bytes; with them it may grow, but only this far.
	d.budget = 16*len(data) + 1<<20
	return d
}

// reset starts over on the same input.
func (d *marshalDecoder) reset() {
	clear(d.refs)
	clear(d.elems)
	clear(d.items)
	*d = marshalDecoder{data: d.data, budget: d.budget, refs: d.refs[:0], elems: d.elems[:0], items: d.items[:0]}
}

// release returns d to the pool holding no references to decoded values.
func (d *marshalDecoder) release() {
	d.reset()
	if cap(d.refs) > 1024 || cap(d.elems) > 1024 || cap(d.items) > 1024 {
		return // keep no outsized buffers
	}
	d.data = nil
	marshalDecoders.Put(d)
}

func errBadMarshal(what string) error {
	return pyval.NewException(pyval.ClassValueError, "bad marshal data ("+what+")")
}

func errMarshalShort() error {
	return pyval.NewException("EOFError", "marshal data too short")
}

func errMarshalUnsupported(what string) error {
	return pyval.NewException(pyval.ClassSerializeError, "unsupported marshal value: "+what)
}

func (d *marshalDecoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(d.data)-d.pos {
		return nil, errMarshalShort()
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *marshalDecoder) int32() (int32, error) {
	b, err := d.take(4)
	if err != nil {
		return 0, err
	}
	return int32(binary.LittleEndian.Uint32(b)), nil
}

// byte1 reads a one-byte length; CPython's message for its absence is not
// the one for other short reads.
func (d *marshalDecoder) byte1() (int, error) {
	if d.pos >= len(d.data) {
		return 0, pyval.NewException("EOFError", "EOF read where object expected")
	}
	d.pos++
	return int(d.data[d.pos-1]), nil
}

// size reads an int32 length, refusing a negative one with what.
func (d *marshalDecoder) size(what string) (int, error) {
	n, err := d.int32()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, errBadMarshal(what + " size out of range")
	}
	return int(n), nil
}

func (d *marshalDecoder) count(w int) error {
	d.weight += w
	if d.weight > maxValues {
		return tooMany()
	}
	if d.weight > d.budget {
		return pyval.NewException(pyval.ClassValueError, "marshal data expands too much through back-references")
	}
	return nil
}

// reserve takes a reference index for a flagged container before its
// contents are read, as CPython does.
func (d *marshalDecoder) reserve(flag bool) int {
	if !flag {
		return -1
	}
	d.refs = append(d.refs, marshalRef{state: refPending, weight: d.weight})
	return len(d.refs) - 1
}

// fill completes a reference reserved at idx.
func (d *marshalDecoder) fill(idx int, v any, hashable bool) {
	if idx < 0 {
		return
	}
	r := &d.refs[idx]
	r.v, r.hashable, r.state = v, hashable, refReady
	r.weight = d.weight - r.weight
}

// fillLazy completes a reference reserved at idx with container elements
// to be boxed as kind when referenced.
func (d *marshalDecoder) fillLazy(idx int, kind byte, elems []any, hashable bool) {
	if idx < 0 {
		return
	}
	r := &d.refs[idx]
	r.lazy, r.elems, r.hashable, r.state = kind, elems, hashable, refReady
	r.weight = d.weight - r.weight
}

// value decodes the next object and reports whether it is hashable.
func (d *marshalDecoder) value() (v any, hashable bool, err error) {
	d.depth++
	if d.depth > marshalMaxDepth {
		return nil, false, tooDeep(pyval.NewException(pyval.ClassValueError, "recursion limit exceeded"))
	}
	v, hashable, err = d.value1()
	d.depth--
	return v, hashable, err
}

func (d *marshalDecoder) value1() (v any, hashable bool, err error) {
	if d.pos >= len(d.data) {
		return nil, false, pyval.NewException("EOFError", "EOF read where object expected")
	}
	code := d.data[d.pos]
	d.pos++
	flag := code&mFlagRef != 0
	typ := code &^ mFlagRef
	switch typ {
	case mNull:
		return marshalNullValue, false, nil
	case mNone:
		return nil, true, d.count(1)
	case mFalse:
		return false, true, d.count(1)
	case mTrue:
		return true, true, d.count(1)
	case mStopIter:
		return nil, false, errMarshalUnsupported("StopIteration")
	case mEllipsis:
		return nil, false, errMarshalUnsupported("Ellipsis")
	case mCode:
		return nil, false, errMarshalUnsupported("code object")
	case mRef:
		n, err := d.int32()
		if err != nil {
			return nil, false, err
		}
		if n < 0 || int(n) >= len(d.refs) || d.refs[n].state != refReady {
			return nil, false, errBadMarshal("invalid reference")
		}
		r := &d.refs[n]
		switch r.lazy {
		case 's':
			r.v = r.s
		case '[':
			r.v = r.elems
		case ')':
			r.v = pyval.Tuple(r.elems)
		case '<':
			r.v = pyval.Set(r.elems)
		case lazyVargsList:
			r.v = slices.Clone(r.elems)
		case lazyVargsTuple:
			r.v = pyval.Tuple(slices.Clone(r.elems))
		}
		r.lazy = 0
		return r.v, r.hashable, d.count(r.weight)
	case mTuple, mSmallTuple, mList, mSet, mFrozenset:
		return d.container(typ, flag)
	case mDict:
		return d.dict(flag)
	}
	// Scalars: registered once read.
	v, err = d.scalar(typ)
	if err != nil {
		return nil, false, err
	}
	if err := d.count(1); err != nil {
		return nil, false, err
	}
	if flag {
		d.refs = append(d.refs, marshalRef{v: v, hashable: true, state: refReady, weight: 1})
	}
	return v, true, nil
}

func (d *marshalDecoder) scalar(typ byte) (any, error) {
	switch typ {
	case mInt:
		n, err := d.int32()
		return int64(n), err
	case mInt64:
		b, err := d.take(8)
		if err != nil {
			return nil, err
		}
		return int64(binary.LittleEndian.Uint64(b)), nil
	case mLong:
		return d.long()
	case mBinaryFloat:
		b, err := d.take(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	case mFloat:
		return d.textFloat()
	case mBinaryComplex:
		b, err := d.take(16)
		if err != nil {
			return nil, err
		}
		return complex(math.Float64frombits(binary.LittleEndian.Uint64(b)),
			math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))), nil
	case mComplex:
		re, err := d.textFloat()
		if err != nil {
			return nil, err
		}
		im, err := d.textFloat()
		if err != nil {
			return nil, err
		}
		return complex(re, im), nil
	case mString:
		n, err := d.int32()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, errBadMarshal("bytes object size out of range")
		}
		b, err := d.take(int(n))
		if err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	case mUnicode, mInterned, mASCII, mASCIIInterned, mShortASCII, mShortASCIIInt:
		return d.scalarString(typ, false)
	}
	return nil, errBadMarshal("unknown type code")
}

// scalarString reads the str types; names (object ids, method names) come
// from the intern table.
func (d *marshalDecoder) scalarString(typ byte, name bool) (string, error) {
	var n int
	var err error
	switch typ {
	case mUnicode, mInterned, mASCII, mASCIIInterned:
		n, err = d.size("string")
	case mShortASCII, mShortASCIIInt:
		n, err = d.byte1()
	default:
		return "", errBadMarshal("unknown type code")
	}
	if err != nil {
		return "", err
	}
	b, err := d.take(n)
	if err != nil {
		return "", err
	}
	if typ == mUnicode || typ == mInterned {
		// CPython decodes with surrogatepass; the encoded surrogates are
		// kept as they are, so they go back out unchanged.
		if err := unicodeDecodeError(b, true); err != nil {
			return "", err
		}
	} else if !isASCII(b) {
		return latin1(b), nil
	}
	if name {
		return internString(b), nil
	}
	return string(b), nil
}

// latin1 converts the one-byte-per-character text of the ASCII codes (which
// CPython reads as Latin-1) to a Go string.
func latin1(b []byte) string {
	if isASCII(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

// textFloat reads the length-prefixed text of the old float codes, parsed
// as CPython's PyOS_string_to_double parses it.
func (d *marshalDecoder) textFloat() (float64, error) {
	n, err := d.byte1()
	if err != nil {
		return 0, err
	}
	b, err := d.take(n)
	if err != nil {
		return 0, err
	}
	s := string(b)
	bad := strings.ContainsAny(s, "xX_pP")
	f, perr := strconv.ParseFloat(s, 64)
	if bad || (perr != nil && !isRangeError(perr)) {
		return 0, pyval.NewException(pyval.ClassValueError, "could not convert string to float: '"+s+"'")
	}
	return f, nil
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// long reads TYPE_LONG: a signed count of 15-bit digits, least significant
// first, the most significant not zero.
func (d *marshalDecoder) long() (any, error) {
	n, err := d.int32()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return int64(0), nil
	}
	if n < -size32Max {
		return nil, errBadMarshal("long size out of range")
	}
	neg := n < 0
	ndigits := int(n)
	if neg {
		ndigits = -ndigits
	}
	// Check the digits CPython would read before it runs out of input,
	// so the error is the one CPython reports.
	avail := (len(d.data) - d.pos) / 2
	for i := 0; i < min(ndigits, avail); i++ {
		if d.data[d.pos+2*i+1]&0x80 != 0 {
			return nil, errBadMarshal("digit out of range in long")
		}
	}
	raw, err := d.take(2 * ndigits)
	if err != nil {
		return nil, err
	}
	if raw[len(raw)-2] == 0 && raw[len(raw)-1] == 0 {
		return nil, errBadMarshal("unnormalized long data")
	}
	if ndigits <= 4 { // 60 bits
		var v int64
		for i := ndigits - 1; i >= 0; i-- {
			v = v<<15 | int64(binary.LittleEndian.Uint16(raw[2*i:]))
		}
		if neg {
			v = -v
		}
		return v, nil
	}
	words := make([]big.Word, (ndigits*15+bits.UintSize-1)/bits.UintSize)
	for i := 0; i < ndigits; i++ {
		dg := big.Word(binary.LittleEndian.Uint16(raw[2*i:]))
		bit := i * 15
		w, off := bit/bits.UintSize, uint(bit%bits.UintSize)
		words[w] |= dg << off
		if off+15 > bits.UintSize {
			words[w+1] |= dg >> (bits.UintSize - off)
		}
	}
	x := new(big.Int).SetBits(words)
	if neg {
		x.Neg(x)
	}
	return pyval.Int(x), nil
}

// callTuple reads a call that is a tuple or list of four straight into p,
// with the same checks and reference numbering as value(). It reports
// false, having read nothing that matters, for any other top-level value.
func (d *marshalDecoder) callTuple(p *callParts) (bool, error) {
	if len(d.data) < 2 {
		return false, nil
	}
	code := d.data[0]
	typ, flag := code&^mFlagRef, code&mFlagRef != 0
	var what string
	switch typ {
	case mSmallTuple:
		if d.data[1] != 4 {
			return false, nil
		}
		what = "tuple"
		d.pos = 2
	case mTuple, mList:
		if len(d.data) < 5 || binary.LittleEndian.Uint32(d.data[1:]) != 4 {
			return false, nil
		}
		what = "tuple"
		if typ == mList {
			what = "list"
		}
		d.pos = 5
	default:
		return false, nil
	}
	d.depth++
	d.reserve(flag) // never filled: nothing inside may refer to the call
	if err := d.count(1); err != nil {
		return true, err
	}
	var err error
	if p.object, err = d.callPart(what); err != nil {
		return true, err
	}
	if p.method, err = d.callPart(what); err != nil {
		return true, err
	}
	// vargs: a list (or tuple), normally, kept unboxed.
	if d.pos < len(d.data) {
		switch typ := d.data[d.pos] &^ mFlagRef; typ {
		case mList, mTuple, mSmallTuple:
			if d.depth+1 > marshalMaxDepth {
				break
			}
			flag := d.data[d.pos]&mFlagRef != 0
			d.pos++
			d.depth++
			l, _, err := d.containerElems(typ, flag, p.dst, true)
			d.depth--
			if err != nil {
				return true, err
			}
			p.args, p.argsSet = l, true
		}
	}
	if !p.argsSet {
		v, _, err := d.value()
		if err != nil {
			return true, err
		}
		if v == marshalNullValue {
			return true, pyval.NewException(pyval.ClassTypeError, "NULL object in marshal data for "+what)
		}
		p.vargs = v
	}
	// kwargs: an empty dict, the usual case, is kept as nil. Nothing
	// follows it that could refer to it, so its reference slot, if
	// flagged, is never filled.
	if d.pos+2 == len(d.data) && d.data[d.pos]&^mFlagRef == mDict && d.data[d.pos+1] == mNull {
		d.reserve(d.data[d.pos]&mFlagRef != 0)
		d.pos += 2
		p.kwargs = emptyKwargs{}
		return true, d.count(1)
	}
	v, _, err := d.value()
	if err != nil {
		return true, err
	}
	if v == marshalNullValue {
		return true, pyval.NewException(pyval.ClassTypeError, "NULL object in marshal data for "+what)
	}
	p.kwargs = v
	return true, nil
}

// callPart reads an object id or method name, a str without boxing it.
func (d *marshalDecoder) callPart(what string) (part, error) {
	if d.pos < len(d.data) {
		code := d.data[d.pos]
		switch typ := code &^ mFlagRef; typ {
		case mUnicode, mInterned, mASCII, mASCIIInterned, mShortASCII, mShortASCIIInt:
			if d.depth+1 > marshalMaxDepth {
				break
			}
			d.pos++
			v, err := d.scalarString(typ, true)
			if err != nil {
				return part{}, err
			}
			if err := d.count(1); err != nil {
				return part{}, err
			}
			if code&mFlagRef != 0 {
				d.refs = append(d.refs, marshalRef{s: v, lazy: 's', hashable: true, state: refReady, weight: 1})
			}
			return part{s: v, isStr: true}, nil
		}
	}
	v, _, err := d.value()
	if err != nil {
		return part{}, err
	}
	if v == marshalNullValue {
		return part{}, pyval.NewException(pyval.ClassTypeError, "NULL object in marshal data for "+what)
	}
	return partOf(v), nil
}

func (d *marshalDecoder) container(typ byte, flag bool) (any, bool, error) {
	elems, hashable, err := d.containerElems(typ, flag, nil, false)
	if err != nil {
		return nil, false, err
	}
	switch typ {
	case mList:
		return elems, false, nil
	case mSet, mFrozenset:
		return pyval.Set(elems), hashable, nil
	}
	return pyval.Tuple(elems), hashable, nil
}

// containerElems reads a tuple, list, set or frozenset, whose code was
// typ, and returns its elements: in a new slice, or appended to dst when
// into is set (a call's vargs, see popElems).
func (d *marshalDecoder) containerElems(typ byte, flag bool, dst []any, into bool) ([]any, bool, error) {
	var n int
	var err error
	var what string
	switch typ {
	case mSmallTuple:
		what = "tuple"
		n, err = d.byte1()
	case mTuple:
		what = "tuple"
		n, err = d.size("tuple")
	case mList:
		what = "list"
		n, err = d.size("list")
	case mSet, mFrozenset:
		what = "set"
		n, err = d.size("set")
	}
	if err != nil {
		return nil, false, err
	}
	idx := d.reserve(flag)
	if err := d.count(1); err != nil {
		return nil, false, err
	}
	base := len(d.elems)
	hashable := typ != mList && typ != mSet
	var index *pyval.KeyIndex
	// Elements go on the scratch stack: n comes from the input and is
	// not trusted for an allocation.
	for i := 0; i < n; i++ {
		v, h, err := d.value()
		if err != nil {
			return nil, false, err
		}
		if v == marshalNullValue {
			return nil, false, pyval.NewException(pyval.ClassTypeError, "NULL object in marshal data for "+what)
		}
		switch typ {
		case mSet, mFrozenset:
			if !h {
				return nil, false, unhashable(v)
			}
			// A set keeps the first of equal elements.
			d.elems, _ = pyval.AddElem(d.elems, base, &index, v)
			continue
		default:
			hashable = hashable && h
		}
		d.elems = append(d.elems, v)
	}
	elems := popElems(&d.elems, base, dst, into)
	kind := byte(')')
	switch typ {
	case mList:
		kind = '['
	case mSet, mFrozenset:
		kind = '<'
	}
	if into {
		// the caller reuses the array: a back-reference gets a copy
		kind = lazyVargsTuple
		if typ == mList {
			kind = lazyVargsList
		}
	}
	d.fillLazy(idx, kind, elems, hashable)
	return elems, hashable, nil
}

func unhashable(v any) error {
	if t, ok := v.(pyval.Tuple); ok {
		for _, e := range t {
			if !pyval.Hashable(e) {
				return unhashable(e)
			}
		}
	}
	return pyval.NewException(pyval.ClassTypeError, "unhashable type: '"+pyval.TypeName(v)+"'")
}

// dict reads pairs up to TYPE_NULL. As in CPython, a NULL where a value
// should be also ends the dict, and the key before it is dropped.
func (d *marshalDecoder) dict(flag bool) (any, bool, error) {
	idx := d.reserve(flag)
	if err := d.count(1); err != nil {
		return nil, false, err
	}
	base := len(d.items)
	var index *pyval.KeyIndex
	for {
		k, kh, err := d.value()
		if err != nil {
			return nil, false, err
		}
		if k == marshalNullValue {
			break
		}
		v, _, err := d.value()
		if err != nil {
			return nil, false, err
		}
		if v == marshalNullValue {
			break
		}
		if !kh {
			return nil, false, unhashable(k)
		}
		if k == "__class__" {
			d.sawClass = true
		}
		d.items = pyval.AddItem(d.items, base, &index, k, v)
	}
	out := popDict(&d.items, base)
	d.fill(idx, out, false)
	return out, false, nil
}
