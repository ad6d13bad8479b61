package serial

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gyro-rpc/gyro/pyval"
)

// The marshal decoder: marshal.loads, errors included.

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
// array: a back-reference to them gets a copy of the elements. A batch
// entry's empty kwargs, flagged as CPython flags every dict, get their
// dict only if something refers back to them (lazyEmptyDict).
const (
	lazyVargsList  = 'L'
	lazyVargsTuple = 'T'
	lazyEmptyDict  = 'D'
)

type marshalRef struct {
	v any
	// A str or a list, tuple or set not yet boxed into v: boxing costs
	// an allocation, so it waits for a back-reference that needs it.
	lazy     byte // 0, or 's', '[', ')', '<', or lazyVargsList/lazyVargsTuple/lazyEmptyDict
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
	strs  strBlock // boxes the message's strs
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
		case lazyEmptyDict:
			r.v = pyval.NewDict(0)
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
		return d.scalarStringValue(typ)
	}
	return nil, errBadMarshal("unknown type code")
}

// scalarString reads the str types; names (object ids, method names) come
// from the intern table.
func (d *marshalDecoder) scalarString(typ byte, name bool) (string, error) {
	b, latin, err := d.strBytes(typ)
	switch {
	case err != nil:
		return "", err
	case latin:
		return latin1(b), nil
	case name:
		return internString(b), nil
	}
	return string(b), nil
}

// scalarStringValue is scalarString for a value: boxed in one allocation
// (boxString).
func (d *marshalDecoder) scalarStringValue(typ byte) (any, error) {
	b, latin, err := d.strBytes(typ)
	switch {
	case err != nil:
		return nil, err
	case latin:
		return latin1(b), nil
	}
	return d.strs.box(b, len(d.data)-d.pos), nil
}

// strBytes reads the body of a str of type typ; latin reports an ASCII
// type code with bytes past 127, which CPython reads as Latin-1.
func (d *marshalDecoder) strBytes(typ byte) (b []byte, latin bool, err error) {
	var n int
	switch typ {
	case mUnicode, mInterned, mASCII, mASCIIInterned:
		n, err = d.size("string")
	case mShortASCII, mShortASCIIInt:
		n, err = d.byte1()
	default:
		return nil, false, errBadMarshal("unknown type code")
	}
	if err != nil {
		return nil, false, err
	}
	if b, err = d.take(n); err != nil {
		return nil, false, err
	}
	if typ == mUnicode || typ == mInterned {
		// CPython decodes with surrogatepass; the encoded surrogates are
		// kept as they are, so they go back out unchanged.
		return b, false, unicodeDecodeError(b, true)
	}
	return b, !isASCII(b), nil
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
