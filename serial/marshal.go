package serial

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"reflect"
	"strings"
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

// marshalCodec is Marshal, or Marshal5 with gen5 set.
type marshalCodec struct{ gen5 bool }

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

func (c marshalCodec) ID() int {
	if c.gen5 {
		return ID5Marshal
	}
	return IDMarshal
}
func (marshalCodec) Name() string { return "marshal" }

// Marshal appends the marshal encoding of v.
func (c marshalCodec) Marshal(dst []byte, v any, r Replacer) ([]byte, error) {
	if c.gen5 {
		v = ForPyro5(v)
	}
	e := marshalEncoder{buf: dst, r: r}
	if err := e.value(v, 0); err != nil {
		return dst, err
	}
	return e.buf, nil
}

// MarshalCall appends the call tuple (object, method, vargs list, kwargs
// dict). Kwargs nil is written as an empty dict: Pyro4's own marshal
// client cannot send None.
func (mc marshalCodec) MarshalCall(dst []byte, c *Call, r Replacer) ([]byte, error) {
	if mc.gen5 {
		c = callForPyro5(c)
	}
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
func (c marshalCodec) Unmarshal(data []byte) (any, error) {
	v, sawClass, err := marshalDecode(data)
	if err != nil {
		return nil, err
	}
	if sawClass {
		return modelRecreate(v, c.gen5)
	}
	return v, nil
}

// UnmarshalCall decodes a call tuple. Like Pyro4 it unpacks any iterable of
// four, and accepts None kwargs.
func (mc marshalCodec) UnmarshalCall(data []byte, c *Call) error {
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
		if err := p.recreate(mc.gen5); err != nil {
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
