package serial

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/tinylib/msgp/msgp"
)

// The msgpack serializer is Pyro's MsgpackSerializer over msgpack-python:
// packb(use_bin_type=True) with a default() hook on the way out,
// unpackb(raw=False) with an object_hook (class dicts) and an ext_hook on
// the way in. Pyro4 (id 6) and Pyro5 (id 4) write the same bytes for the
// same value except for class names (Pyro4.core.URI / Pyro5.core.URI and
// so on) and the Proxy state, so one codec serves both, parameterised by
// generation.
//
// The primitives come from github.com/tinylib/msgp's runtime package
// (msgp.Append*/Read*Bytes): it works on byte slices without reflection or
// an io.Reader layer, appends into the caller's buffer, reads strings and
// bins zero-copy, and is actively maintained. vmihailenco/msgpack and
// ugorji/go/codec decode through a reader and an interface{} tree of their
// own, which gyro would then have to convert into pyval values, doubling
// the allocations; shamaton/msgpack is reflection-based as well. Value
// shapes, Python's choices of encodings and Pyro's extension types are
// gyro's own code below.
//
// What Pyro's msgpack writes for each Python type, checked against the real
// serializers (testdata/msgpack/capture.py):
//
//	None, bool, float   nil, bool, float 64
//	int                 the smallest int (negative) or uint (positive)
//	                    format; beyond 64 bits ext 0x31 with the decimal
//	                    digits in ASCII
//	str, bytes          str (UTF-8), bin; bytearray as bin
//	tuple, list, set    array (sets via default(); all decode as lists)
//	dict                map, with whatever keys it has (but see below)
//	complex             fixext16 0x30: real, imag as little-endian doubles
//	datetime            fixext8 0x32: timestamp() as a little-endian double
//	                    (a naive datetime is local time; tz-aware ones are
//	                    a SerializeError)
//	date                fixext8 0x33: toordinal() as a little-endian int64
//	Decimal, UUID       str
//	exception, URI,     class dict (map with "__class__"), as the other
//	proxy               serializers send them
//
// msgpack-python unpacks with strict_map_key=True, so a map key that is
// not str or bytes is a ValueError on the receiving side even though the
// sender packed it: a dict with int keys cannot cross Pyro's msgpack. gyro
// refuses it the same way when decoding and writes any key when encoding,
// as Pyro does.
//
// Pyro's loadsCall (the daemon reading a call) has no ext_hook, so a Pyro
// daemon sees complex or datetime arguments as raw ExtType objects; gyro
// decodes the extensions in calls too.

type msgpackCodec struct{ gen5 bool }

// Msgpack is Pyro4's msgpack serializer (id 6).
var Msgpack Codec = msgpackCodec{}

// Msgpack5 is Pyro5's msgpack serializer (Pyro5 id 4): the same encoding
// with Pyro5's class names for URIs, proxies and Pyro errors (see
// ToPyro5ClassDict).
var Msgpack5 Codec = msgpackCodec{gen5: true}

// Date is a Python datetime.date, which msgpack carries as ext 0x33 (the
// proleptic Gregorian ordinal, 1 for 0001-01-01). Other serializers send
// dates as ISO text and decode to str.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ordinal1970 is date(1970, 1, 1).toordinal().
const ordinal1970 = 719163

// Ordinal returns Python's date.toordinal().
func (d Date) Ordinal() int64 {
	return floorDiv(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix(), 86400) + ordinal1970
}

// DateFromOrdinal is Python's date.fromordinal().
func DateFromOrdinal(n int64) Date {
	t := time.Unix((n-ordinal1970)*86400, 0).UTC()
	return Date{t.Year(), t.Month(), t.Day()}
}

func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Pyro's msgpack extension type codes.
const (
	extComplex  = 0x30
	extBigInt   = 0x31
	extDateTime = 0x32
	extDate     = 0x33
	extMsgTime  = -1 // msgpack's own Timestamp, which msgpack-python decodes itself
)

// msgpackMaxDepth bounds nesting; msgpack-python's packer stops at its
// recursion limit with "recursion limit exceeded".
const msgpackMaxDepth = 1000

// dateOrdinalMax is date.max.toordinal(): 9999-12-31.
const dateOrdinalMax = 3652059

func (c msgpackCodec) ID() int {
	if c.gen5 {
		return ID5Msgpack
	}
	return IDMsgpack
}

func (msgpackCodec) Name() string { return "msgpack" }

// Marshal appends v as Pyro's MsgpackSerializer.dumps writes it.
func (c msgpackCodec) Marshal(dst []byte, v any, r Replacer) ([]byte, error) {
	e := mpEncoder{buf: dst, r: r, gen5: c.gen5}
	if err := e.value(v, 0); err != nil {
		return dst, err
	}
	return e.buf, nil
}

// MarshalCall appends dumpsCall's array (object, method, vargs, kwargs).
// Kwargs nil is nil for __getattr__, __setattr__ and <batch>, as Pyro's
// proxies send it, and an empty map otherwise.
func (c msgpackCodec) MarshalCall(dst []byte, call *Call, r Replacer) ([]byte, error) {
	e := mpEncoder{buf: dst, r: r, gen5: c.gen5}
	e.buf = msgp.AppendArrayHeader(e.buf, 4)
	e.buf = msgp.AppendString(e.buf, call.Object)
	e.buf = msgp.AppendString(e.buf, call.Method)
	if err := e.array(call.Args, 0); err != nil {
		return dst, err
	}
	switch {
	case call.Kwargs != nil:
		if err := e.dict(call.Kwargs, 0); err != nil {
			return dst, err
		}
	case call.KwargsNone || kwargsMayBeNone(call.Method):
		e.buf = msgp.AppendNil(e.buf)
	default:
		e.buf = msgp.AppendMapHeader(e.buf, 0)
	}
	return e.buf, nil
}

type mpEncoder struct {
	buf  []byte
	r    Replacer
	gen5 bool
}

func (e *mpEncoder) value(v any, depth int) error {
	if depth > msgpackMaxDepth {
		return pyval.NewException(pyval.ClassValueError, "recursion limit exceeded")
	}
	switch x := v.(type) {
	case nil:
		e.buf = msgp.AppendNil(e.buf)
	case bool:
		e.buf = msgp.AppendBool(e.buf, x)
	case int64:
		e.int(x)
	case *big.Int:
		return e.bigInt(x)
	case float64:
		e.buf = msgp.AppendFloat64(e.buf, x)
	case string:
		e.buf = msgp.AppendString(e.buf, x)
	case []byte:
		e.buf = msgp.AppendBytes(e.buf, x)
	case complex128:
		e.buf = append(e.buf, 0xd8, extComplex)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(real(x)))
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(imag(x)))
	case pyval.Tuple:
		return e.array(x, depth)
	case []any:
		return e.array(x, depth)
	case pyval.Set:
		return e.array(x, depth)
	case *pyval.Dict:
		return e.dict(x, depth)
	case time.Time:
		// Python's timestamp(): whole seconds since the epoch plus
		// microseconds / 1e6 (datetime has no finer resolution).
		ts := float64(x.Unix()) + float64(x.Nanosecond()/1000)/1e6
		e.buf = append(e.buf, 0xd7, extDateTime)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(ts))
	case Date:
		e.buf = append(e.buf, 0xd7, extDate)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(x.Ordinal()))
	default:
		if e.r != nil {
			if nv, ok := e.r(v); ok {
				return e.value(nv, depth)
			}
		}
		nv, err := normalizeValue(v, nil)
		if err != nil {
			return err
		}
		if d, ok := nv.(*pyval.Dict); ok && e.gen5 {
			nv = ToPyro5ClassDict(d)
		}
		return e.value(nv, depth)
	}
	return nil
}

// int writes x as msgpack-python does: unsigned formats for non-negative
// values, signed ones for negative values, always the smallest.
func (e *mpEncoder) int(x int64) {
	if x >= 0 {
		e.buf = msgp.AppendUint64(e.buf, uint64(x))
	} else {
		e.buf = msgp.AppendInt64(e.buf, x)
	}
}

// bigInt writes what fits 64 bits natively (up to 2**64-1, down to
// -2**63) and the rest as ext 0x31, Pyro's default() for an int msgpack
// cannot pack.
func (e *mpEncoder) bigInt(x *big.Int) error {
	switch {
	case x.IsInt64():
		e.int(x.Int64())
		return nil
	case x.IsUint64():
		e.buf = msgp.AppendUint64(e.buf, x.Uint64())
		return nil
	}
	if err := checkStrDigits(x); err != nil {
		return err
	}
	digits := x.Append(nil, 10)
	e.extHeader(len(digits), extBigInt)
	e.buf = append(e.buf, digits...)
	return nil
}

// extHeader writes the smallest ext header for n bytes, as msgpack-python
// does (fixext for 1, 2, 4, 8, 16 bytes).
func (e *mpEncoder) extHeader(n int, typ int8) {
	switch n {
	case 1:
		e.buf = append(e.buf, 0xd4)
	case 2:
		e.buf = append(e.buf, 0xd5)
	case 4:
		e.buf = append(e.buf, 0xd6)
	case 8:
		e.buf = append(e.buf, 0xd7)
	case 16:
		e.buf = append(e.buf, 0xd8)
	default:
		switch {
		case n <= math.MaxUint8:
			e.buf = append(e.buf, 0xc7, byte(n))
		case n <= math.MaxUint16:
			e.buf = binary.BigEndian.AppendUint16(append(e.buf, 0xc8), uint16(n))
		default:
			e.buf = binary.BigEndian.AppendUint32(append(e.buf, 0xc9), uint32(n))
		}
	}
	e.buf = append(e.buf, byte(typ))
}

func (e *mpEncoder) array(l []any, depth int) error {
	e.buf = msgp.AppendArrayHeader(e.buf, uint32(len(l)))
	for _, v := range l {
		if err := e.value(v, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (e *mpEncoder) dict(d *pyval.Dict, depth int) error {
	items := d.Items()
	e.buf = msgp.AppendMapHeader(e.buf, uint32(len(items)))
	for _, it := range items {
		if err := e.value(it.Key, depth+1); err != nil {
			return err
		}
		if err := e.value(it.Value, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// Unmarshal decodes one value as Pyro's MsgpackSerializer.loads does:
// maps with a "__class__" key are rebuilt (innermost first, as
// msgpack-python's object_hook runs), extension types decoded.
func (c msgpackCodec) Unmarshal(data []byte) (any, error) {
	d := mpDecoder{data: data, gen5: c.gen5}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if len(d.data) > 0 {
		return nil, errExtraData
	}
	return v, nil
}

// UnmarshalCall decodes a call array (object, method, vargs, kwargs),
// decoding vargs straight into c.Args's array.
func (c msgpackCodec) UnmarshalCall(data []byte, call *Call) error {
	d := mpDecoder{data: data, gen5: c.gen5}
	if len(d.data) == 0 {
		return errIncomplete
	}
	if !isMsgpackArray(d.data[0]) {
		v, err := d.value(0)
		if err != nil {
			return err
		}
		return pyval.NewException(pyval.ClassTypeError, "cannot unpack non-iterable "+pyval.TypeName(v)+" object")
	}
	n, rest, err := msgp.ReadArrayHeaderBytes(d.data)
	if err != nil {
		return d.wrap(err)
	}
	d.data = rest
	p := callParts{dst: call.Args}
	for i := range n {
		switch {
		case i >= 4:
			if _, err := d.value(1); err != nil {
				return err
			}
		case i == 2 && len(d.data) > 0 && isMsgpackArray(d.data[0]):
			args, err := d.arrayInto(call.Args[:0], 1)
			if err != nil {
				return err
			}
			p.args, p.argsSet = args, true
		case i == 3 && len(d.data) > 0 && isMsgpackMap(d.data[0]) && d.data[0] == 0x80:
			d.data = d.data[1:]
			p.kwargs = emptyKwargs{}
		default:
			v, err := d.value(1)
			if err != nil {
				return err
			}
			switch i {
			case 0:
				p.object = partOf(v)
			case 1:
				p.method = partOf(v)
			case 2:
				p.vargs = v
			case 3:
				p.kwargs = v
			}
		}
	}
	if len(d.data) > 0 {
		return errExtraData
	}
	switch {
	case n < 4:
		return pyval.NewException(pyval.ClassValueError, fmt.Sprintf("not enough values to unpack (expected 4, got %d)", n))
	case n > 4:
		return pyval.NewException(pyval.ClassValueError, "too many values to unpack (expected 4)")
	}
	return fillCall(call, &p)
}

var (
	errIncomplete = pyval.NewException(pyval.ClassValueError, "Unpack failed: incomplete input")
	errExtraData  = pyval.NewException(pyval.ClassValueError, "unpack(b) received extra data.")
)

func isMsgpackArray(b byte) bool { return b&0xf0 == 0x90 || b == 0xdc || b == 0xdd }
func isMsgpackMap(b byte) bool   { return b&0xf0 == 0x80 || b == 0xde || b == 0xdf }

type mpDecoder struct {
	data []byte
	gen5 bool
}

// wrap turns a msgp error into the ValueError msgpack-python raises.
func (d *mpDecoder) wrap(err error) error {
	if err == msgp.ErrShortBytes {
		return errIncomplete
	}
	return pyval.NewException(pyval.ClassValueError, "Unpack failed: "+err.Error())
}

func (d *mpDecoder) value(depth int) (any, error) {
	if len(d.data) == 0 {
		return nil, errIncomplete
	}
	if depth > msgpackMaxDepth {
		return nil, pyval.NewException(pyval.ClassValueError, "Unpack failed: nesting deeper than "+strconv.Itoa(msgpackMaxDepth))
	}
	b := d.data[0]
	switch {
	case b <= 0x7f:
		d.data = d.data[1:]
		return int64(b), nil
	case b >= 0xe0:
		d.data = d.data[1:]
		return int64(int8(b)), nil
	case b&0xe0 == 0xa0, b == 0xd9, b == 0xda, b == 0xdb:
		s, rest, err := msgp.ReadStringZC(d.data)
		if err != nil {
			return nil, d.wrap(err)
		}
		if err := unicodeDecodeError(s, false); err != nil {
			return nil, err
		}
		d.data = rest
		if len(s) <= internMax {
			return internLookup(s).v, nil // boxed once, not per call
		}
		return string(s), nil
	case isMsgpackArray(b):
		return d.arrayInto(nil, depth)
	case isMsgpackMap(b):
		return d.mapValue(depth)
	}
	switch b {
	case 0xc0:
		d.data = d.data[1:]
		return nil, nil
	case 0xc2, 0xc3:
		d.data = d.data[1:]
		return b == 0xc3, nil
	case 0xca, 0xcb:
		f, rest, err := msgp.ReadFloat64Bytes(d.data)
		if err != nil {
			return nil, d.wrap(err)
		}
		d.data = rest
		return f, nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, rest, err := msgp.ReadUint64Bytes(d.data)
		if err != nil {
			return nil, d.wrap(err)
		}
		d.data = rest
		if u > math.MaxInt64 {
			return new(big.Int).SetUint64(u), nil
		}
		return int64(u), nil
	case 0xd0, 0xd1, 0xd2, 0xd3:
		i, rest, err := msgp.ReadInt64Bytes(d.data)
		if err != nil {
			return nil, d.wrap(err)
		}
		d.data = rest
		return i, nil
	case 0xc4, 0xc5, 0xc6:
		v, rest, err := msgp.ReadBytesZC(d.data)
		if err != nil {
			return nil, d.wrap(err)
		}
		d.data = rest
		return append([]byte{}, v...), nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xc7, 0xc8, 0xc9:
		return d.ext()
	}
	// 0xc1 is the one byte msgpack never uses.
	return nil, pyval.NewException(pyval.ClassValueError, fmt.Sprintf("Unpack failed: invalid byte 0x%02x", b))
}

// arrayInto decodes an array, appending its elements to dst.
func (d *mpDecoder) arrayInto(dst []any, depth int) ([]any, error) {
	n, rest, err := msgp.ReadArrayHeaderBytes(d.data)
	if err != nil {
		return nil, d.wrap(err)
	}
	// Every element takes at least a byte: don't trust n further.
	if int64(n) > int64(len(rest)) {
		return nil, errIncomplete
	}
	d.data = rest
	if dst == nil {
		dst = make([]any, 0, n)
	}
	for range n {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// mapValue decodes a map into a *pyval.Dict (duplicate keys: first key,
// last value, as a Python dict keeps them) and rebuilds it if it is a
// class dict.
func (d *mpDecoder) mapValue(depth int) (any, error) {
	n, rest, err := msgp.ReadMapHeaderBytes(d.data)
	if err != nil {
		return nil, d.wrap(err)
	}
	if int64(n)*2 > int64(len(rest)) {
		return nil, errIncomplete
	}
	d.data = rest
	items := make([]pyval.Item, 0, n)
	var index map[mapKey]int // once the map is large enough to need it
	class := false
	for range n {
		k, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		var key mapKey
		switch x := k.(type) {
		case string:
			key = mapKey{s: x}
			class = class || x == "__class__"
		case []byte:
			key = mapKey{s: string(x), bin: true}
		default:
			return nil, pyval.NewException(pyval.ClassValueError, pyval.TypeName(k)+" is not allowed for map key when strict_map_key=True")
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if i, ok := findKey(items, index, key); ok {
			items[i].Value = v
			continue
		}
		if index == nil && len(items) >= 16 {
			index = make(map[mapKey]int, n)
			for i, it := range items {
				index[keyOf(it.Key)] = i
			}
		}
		if index != nil {
			index[key] = len(items)
		}
		items = append(items, pyval.Item{Key: k, Value: v})
	}
	dict := pyval.NewDict(len(items))
	for _, it := range items {
		dict.Append(it.Key, it.Value)
	}
	if !class {
		return dict, nil
	}
	return d.rebuild(dict)
}

// mapKey is a decoded map key: str and bytes never compare equal in Python.
type mapKey struct {
	s   string
	bin bool
}

func keyOf(k any) mapKey {
	if b, ok := k.([]byte); ok {
		return mapKey{s: string(b), bin: true}
	}
	s, _ := k.(string)
	return mapKey{s: s}
}

func findKey(items []pyval.Item, index map[mapKey]int, k mapKey) (int, bool) {
	if index != nil {
		i, ok := index[k]
		return i, ok
	}
	for i, it := range items {
		if keyOf(it.Key) == k {
			return i, true
		}
	}
	return 0, false
}

// rebuild is Pyro's object_hook: dict_to_class for a map with "__class__".
func (d *mpDecoder) rebuild(dict *pyval.Dict) (any, error) {
	if d.gen5 {
		var err error
		if dict, err = FromPyro5ClassDict(dict); err != nil {
			return nil, err
		}
	}
	return pyval.FromClassDict(dict, false)
}

// ext decodes Pyro's extension types, as its ext_hook does.
func (d *mpDecoder) ext() (any, error) {
	typ, data, rest, err := readExt(d.data)
	if err != nil {
		return nil, err
	}
	d.data = rest
	switch typ {
	case extComplex:
		if len(data) != 16 {
			return nil, structError(16)
		}
		re := math.Float64frombits(binary.LittleEndian.Uint64(data))
		im := math.Float64frombits(binary.LittleEndian.Uint64(data[8:]))
		return complex(re, im), nil
	case extBigInt:
		return parsePyInt(data)
	case extDateTime:
		if len(data) != 8 {
			return nil, structError(8)
		}
		ts := math.Float64frombits(binary.LittleEndian.Uint64(data))
		// datetime's range, years 1..9999.
		if math.IsNaN(ts) || ts < -62135596800 || ts >= 253402300800 {
			return nil, pyval.NewException(pyval.ClassValueError, "year is out of range")
		}
		// fromtimestamp() rounds to microseconds, half to even.
		sec, frac := math.Modf(ts)
		return time.Unix(int64(sec), int64(math.RoundToEven(frac*1e6))*1000), nil
	case extDate:
		if len(data) != 8 {
			return nil, structError(8)
		}
		n := int64(binary.LittleEndian.Uint64(data))
		if n < 1 || n > dateOrdinalMax {
			return nil, pyval.NewException(pyval.ClassValueError, "ordinal must be >= 1")
		}
		return DateFromOrdinal(n), nil
	case extMsgTime:
		return msgpackTimestamp(data)
	}
	return nil, pyval.NewException(pyval.ClassSerializeError, "invalid ext code for msgpack: "+strconv.Itoa(int(typ)))
}

// msgpackTimestamp decodes msgpack's own timestamp extension (-1), which
// msgpack-python turns into a msgpack.Timestamp before Pyro's ext_hook
// sees it: 32-bit seconds; 30-bit nanoseconds and 34-bit seconds; or
// 32-bit nanoseconds and 64-bit seconds.
func msgpackTimestamp(b []byte) (any, error) {
	switch len(b) {
	case 4:
		return time.Unix(int64(binary.BigEndian.Uint32(b)), 0), nil
	case 8:
		v := binary.BigEndian.Uint64(b)
		return time.Unix(int64(v&(1<<34-1)), int64(v>>34)), nil
	case 12:
		return time.Unix(int64(binary.BigEndian.Uint64(b[4:])), int64(binary.BigEndian.Uint32(b))), nil
	}
	return nil, pyval.NewException(pyval.ClassValueError, "Timestamp type can only be created from 32, 64, or 96-bit byte objects")
}

func structError(n int) error {
	return &pyval.Exception{Class: "struct.error", Args: pyval.Tuple{fmt.Sprintf("unpack requires a buffer of %d bytes", n)}}
}

// parsePyInt is Python's int(b"...") for the ASCII digits of ext 0x31.
func parsePyInt(b []byte) (any, error) {
	t := b
	for len(t) > 0 && (t[0] == ' ' || t[0] == '\t' || t[0] == '\n') {
		t = t[1:]
	}
	for len(t) > 0 && (t[len(t)-1] == ' ' || t[len(t)-1] == '\t' || t[len(t)-1] == '\n') {
		t = t[:len(t)-1]
	}
	if len(t) > 0 && t[0] == '+' {
		t = t[1:]
	}
	digits := t
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	ok := len(digits) > 0
	for _, c := range digits {
		ok = ok && isDigit(c)
	}
	if !ok {
		return nil, pyval.NewException(pyval.ClassValueError, "invalid literal for int() with base 10: "+pyBytesRepr(b))
	}
	return parseDecimalInt(t)
}

func pyBytesRepr(b []byte) string {
	s := []byte("b'")
	for _, c := range b {
		switch {
		case c == '\'' || c == '\\':
			s = append(s, '\\', c)
		case c >= 0x20 && c < 0x7f:
			s = append(s, c)
		default:
			s = fmt.Appendf(s, "\\x%02x", c)
		}
	}
	return string(append(s, '\''))
}

// readExt splits an ext value into its type and data.
func readExt(b []byte) (typ int8, data, rest []byte, err error) {
	var n, off int
	switch b[0] {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		n, off = 1<<(b[0]-0xd4), 2
	case 0xc7:
		if len(b) < 2 {
			return 0, nil, nil, errIncomplete
		}
		n, off = int(b[1]), 3
	case 0xc8:
		if len(b) < 3 {
			return 0, nil, nil, errIncomplete
		}
		n, off = int(binary.BigEndian.Uint16(b[1:])), 4
	case 0xc9:
		if len(b) < 5 {
			return 0, nil, nil, errIncomplete
		}
		n, off = int(binary.BigEndian.Uint32(b[1:])), 6
	}
	if len(b) < off || n > len(b)-off {
		return 0, nil, nil, errIncomplete
	}
	return int8(b[off-1]), b[off : off+n], b[off+n:], nil
}
