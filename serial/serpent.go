package serial

import (
	"encoding/base64"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/gyro-rpc/gyro/pyval"
)

// Serpent writes what Pyro4's SerpentSerializer writes (serpent 1.41 with
// module_in_classname=True): the header line "# serpent utf-8 python3.2"
// followed by a Python literal with no spaces, which Python reads back with
// ast.literal_eval. It reads any literal ast.literal_eval accepts.
//
// Encoding follows Python's repr: strings pick their quote and escape as
// repr does, floats are the shortest repr ("1.0", "1e-07"), inf is 1e30000
// and nan the class dict {'__class__':'float','value':'nan'}, an empty set
// is (), bytes are {'data': '<base64>', 'encoding': 'base64'} (which Pyro4
// never turns back into bytes, so neither does gyro), and ClassDicter values
// (URI, ProxyRef, *Exception, ExceptionWrapper) go as their class dicts.
// Values outside the model are first offered to the Replacer, then converted
// by pyval.FromGo.
//
// Where Python's own output would not read back, gyro writes a form that
// does: an int of more than 4300 decimal digits goes in hex (Python 3.11+
// refuses longer decimal literals), and a complex with a negative zero
// imaginary part as "(x-0.0j)" instead of "(x+-0.0j)". A complex with a nan
// part has no literal and is a ValueError.
//
// Decoding errors are *pyval.Exception values of Python's classes:
// SyntaxError for bad syntax, ValueError for well-formed text that is not a
// literal (a name, an operator), TypeError for an unhashable dict key or set
// element, and whatever pyval.FromClassDict refuses. The decoder is a
// little more lenient than Python about newlines and indentation between
// tokens; it refuses \N{name} escapes (Go has no name table), and, like the
// encoder, stops at 1000 levels of nesting. An escaped surrogate ('\ud800')
// is kept in the string in WTF-8 (as the json and marshal decoders keep
// one) and written back as the same escape, as serpent does.
var Serpent Codec = serpentCodec{}

// serpentCodec is Serpent, or Serpent5 with gen5 set.
type serpentCodec struct{ gen5 bool }

const (
	serpentHeader = "# serpent utf-8 python3.2\n"
	// serpentMaxDepth bounds nesting on both sides, so neither a cyclic Go
	// value nor a hostile payload can exhaust the stack.
	serpentMaxDepth = 1000
	// serpentMaxIntDigits is CPython's int_max_str_digits default: longer
	// decimal literals are refused by Python 3.11+, and by gyro, which so
	// bounds the cost of decimal conversion.
	serpentMaxIntDigits = 4300
)

func (c serpentCodec) ID() int {
	if c.gen5 {
		return ID5Serpent
	}
	return IDSerpent
}
func (serpentCodec) Name() string { return "serpent" }

// Marshal appends the header and the encoding of v to dst. On error dst is
// returned as it was.
func (c serpentCodec) Marshal(dst []byte, v any, r Replacer) ([]byte, error) {
	if c.gen5 {
		v = ForPyro5(v)
	}
	start := len(dst)
	e := serpentEncoder{buf: append(dst, serpentHeader...), r: r}
	if err := e.encode(v, 0); err != nil {
		return dst[:start], err
	}
	return e.buf, nil
}

// MarshalCall appends (objectId,method,vargs,kwargs) as Pyro4's proxy sends
// it: vargs is a list for <batch> and for the Pyro.Daemon calls the proxy
// makes itself (get_metadata, get_next_stream_item, close_stream), a tuple
// otherwise; nil Kwargs is None for __getattr__, __setattr__ and <batch>,
// and {} otherwise.
func (sc serpentCodec) MarshalCall(dst []byte, c *Call, r Replacer) ([]byte, error) {
	if sc.gen5 {
		c = callForPyro5(c)
	}
	start := len(dst)
	e := serpentEncoder{buf: append(dst, serpentHeader...), r: r}
	e.buf = append(e.buf, '(')
	e.str(c.Object)
	e.buf = append(e.buf, ',')
	e.str(c.Method)
	e.buf = append(e.buf, ',')
	var err error
	if serpentArgsAsList(c) {
		err = e.encodeSeq('[', ']', c.Args, false, 1)
	} else {
		err = e.encodeSeq('(', ')', c.Args, true, 1)
	}
	if err != nil {
		return dst[:start], err
	}
	e.buf = append(e.buf, ',')
	switch {
	case c.Kwargs != nil:
		err = e.encodeDict(c.Kwargs, 1)
	case c.KwargsNone || kwargsMayBeNone(c.Method):
		e.buf = append(e.buf, "None"...)
	default:
		e.buf = append(e.buf, "{}"...)
	}
	if err != nil {
		return dst[:start], err
	}
	return append(e.buf, ')'), nil
}

func serpentArgsAsList(c *Call) bool {
	if c.Method == "<batch>" {
		return true
	}
	if c.Object != pyval.DaemonID {
		return false
	}
	switch c.Method {
	case "get_metadata", "get_next_stream_item", "close_stream":
		return true
	}
	return false
}

// ---- encoding ----

type serpentEncoder struct {
	buf []byte
	r   Replacer
}

// str appends the repr of s. The buffer is stored back whole only when it
// moved: storing a slice takes the write barrier while the collector
// marks, which for every str of a reply cost more than the check.
func (e *serpentEncoder) str(s string) {
	b := appendPyRepr(e.buf, s)
	if unsafe.SliceData(b) == unsafe.SliceData(e.buf) {
		e.buf = e.buf[:len(b)]
		return
	}
	e.buf = b
}

// serpentTooDeep is serpent's error for a value nested deeper than it
// writes.
func serpentTooDeep() error {
	return pyval.NewException(pyval.ClassValueError, "Object graph nesting too deep")
}

func (e *serpentEncoder) encode(v any, depth int) error {
	if depth > serpentMaxDepth {
		return serpentTooDeep()
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "None"...)
	case string:
		e.str(x)
	case bool:
		if x {
			e.buf = append(e.buf, "True"...)
		} else {
			e.buf = append(e.buf, "False"...)
		}
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case float64:
		e.buf = appendSerpentFloat(e.buf, x)
	case pyval.Tuple:
		return e.encodeSeq('(', ')', x, true, depth)
	case []any:
		return e.encodeSeq('[', ']', x, false, depth)
	case *pyval.Dict:
		return e.encodeDict(x, depth)
	case []byte:
		e.buf = appendSerpentBytes(e.buf, x)
	case pyval.Set:
		return e.encodeSet(x, depth)
	case *big.Int:
		if x == nil {
			e.buf = append(e.buf, "None"...)
		} else {
			e.buf = appendSerpentBigInt(e.buf, x)
		}
	case complex128:
		return e.encodeComplex(x)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case uint8:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, x, 10)
	case uint:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case float32:
		e.buf = appendSerpentFloat(e.buf, float64(x))
	case complex64:
		return e.encodeComplex(complex128(x))
	case []string:
		e.buf = append(e.buf, '[')
		for i, s := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.str(s)
		}
		e.buf = append(e.buf, ']')
	case map[string]any:
		return e.encodeStringMap(x, depth)
	case pyval.URI:
		e.encodeURI(&x)
	case *pyval.Exception:
		if x == nil {
			e.buf = append(e.buf, "None"...)
			return nil
		}
		return e.encodeException(x, depth)
	case *pyval.URI:
		if x == nil {
			e.buf = append(e.buf, "None"...)
			return nil
		}
		e.encodeURI(x)
	case pyval.ProxyRef, pyval.ExceptionWrapper, pyval.Object:
		return e.encodeDict(x.(pyval.ClassDicter).ClassDict(), depth)
	case pyval.ClassDicter:
		// another package's ClassDicter; only here is reflection needed,
		// to write a nil pointer as None instead of calling its method
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			e.buf = append(e.buf, "None"...)
			return nil
		}
		return e.encodeDict(x.ClassDict(), depth)
	default:
		return e.encodeOther(v, depth)
	}
	return nil
}

// encodeURI writes URI.ClassDict() without building it: URIs are in
// every name server reply.
func (e *serpentEncoder) encodeURI(u *pyval.URI) {
	e.buf = append(e.buf, "{'__class__':'Pyro4.core.URI','state':("...)
	e.str(u.Protocol)
	e.buf = append(e.buf, ',')
	e.str(u.Object)
	e.buf = append(e.buf, ',')
	if u.Sockname != "" {
		e.str(u.Sockname)
	} else {
		e.buf = append(e.buf, "None"...)
	}
	if u.Host != "" {
		e.buf = append(e.buf, ',')
		e.str(u.Host)
		e.buf = append(e.buf, ',')
		e.buf = strconv.AppendInt(e.buf, int64(u.Port), 10)
	} else {
		e.buf = append(e.buf, ",None,None"...)
	}
	e.buf = append(e.buf, ")}"...)
}

// encodeException writes Exception.ClassDict() without building it.
func (e *serpentEncoder) encodeException(x *pyval.Exception, depth int) error {
	e.buf = append(e.buf, "{'__class__':"...)
	e.str(x.Class)
	e.buf = append(e.buf, ",'__exception__':True,'args':"...)
	if err := e.encodeSeq('(', ')', x.Args, true, depth+1); err != nil {
		return err
	}
	e.buf = append(e.buf, ",'attributes':"...)
	if err := e.encodeDict(x.Attributes, depth+1); err != nil {
		return err
	}
	e.buf = append(e.buf, '}')
	return nil
}

// encodeOther handles values outside the model: the Replacer first (this is
// where a registered object becomes a proxy), then pyval.FromGo. Its result
// may hold raw Go values, which go through encode like any element. The
// depth grows by one per conversion so a Valuer or Replacer that keeps
// returning convertible values cannot loop.
func (e *serpentEncoder) encodeOther(v any, depth int) error {
	if e.r != nil {
		if nv, ok := e.r(v); ok {
			return e.encode(nv, depth+1)
		}
	}
	m, err := pyval.FromGo(v)
	if err != nil {
		return err
	}
	return e.encode(m, depth+1)
}

func (e *serpentEncoder) encodeSeq(open, close byte, s []any, tuple bool, depth int) error {
	if len(s) > 0 && depth+1 > serpentMaxDepth {
		return serpentTooDeep() // as encode would for every element
	}
	e.buf = append(e.buf, open)
	for i, el := range s {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		// strs and tuples, what results mostly hold, skip encode's
		// switch over every type
		switch x := el.(type) {
		case string:
			e.str(x)
		case pyval.Tuple:
			if err := e.encodeSeq('(', ')', x, true, depth+1); err != nil {
				return err
			}
		default:
			if err := e.encode(el, depth+1); err != nil {
				return err
			}
		}
	}
	if tuple && len(s) == 1 {
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, close)
	return nil
}

func (e *serpentEncoder) encodeDict(d *pyval.Dict, depth int) error {
	e.buf = append(e.buf, '{')
	for i, it := range d.Items() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.encodeKey(it.Key, depth+1); err != nil {
			return err
		}
		e.buf = append(e.buf, ':')
		if err := e.encode(it.Value, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *serpentEncoder) encodeStringMap(m map[string]any, depth int) error {
	// sorted like pyval.FromGo sorts map keys, for a stable encoding
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.str(k)
		e.buf = append(e.buf, ':')
		if err := e.encode(m[k], depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// encodeKey writes a dict key or set element. Like serpent it refuses the
// model's unhashable types, which Python could not read back.
func (e *serpentEncoder) encodeKey(k any, depth int) error {
	if s, ok := k.(string); ok {
		e.str(s)
		return nil
	}
	switch k.(type) {
	case []any, *pyval.Dict, pyval.Set, map[string]any:
		return pyval.NewException(pyval.ClassTypeError, "one of the keys in a dict or set is not of a primitive hashable type: "+pyval.TypeName(k))
	}
	return e.encode(k, depth)
}

func (e *serpentEncoder) encodeSet(s pyval.Set, depth int) error {
	if len(s) == 0 {
		// there is no empty set literal; serpent writes an empty tuple
		e.buf = append(e.buf, '(', ')')
		return nil
	}
	e.buf = append(e.buf, '{')
	for i, el := range s {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.encodeKey(el, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *serpentEncoder) encodeComplex(c complex128) error {
	re, im := real(c), imag(c)
	if math.IsNaN(re) || math.IsNaN(im) {
		return pyval.NewException(pyval.ClassValueError, "a complex with a nan part has no serpent literal")
	}
	e.buf = append(e.buf, '(')
	e.buf = appendSerpentFloat(e.buf, re)
	switch {
	case im == 0 && math.Signbit(im):
		e.buf = append(e.buf, "-0.0"...) // serpent's "+-0.0" does not read back
	case im >= 0:
		e.buf = append(e.buf, '+')
		e.buf = appendSerpentFloat(e.buf, im)
	default:
		e.buf = appendSerpentFloat(e.buf, im)
	}
	e.buf = append(e.buf, 'j', ')')
	return nil
}

// appendSerpentFloat writes a float as serpent does: repr for finite values,
// and literal tricks for the rest.
func appendSerpentFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "{'__class__':'float','value':'nan'}"...)
	case math.IsInf(f, 1):
		return append(dst, "1e30000"...)
	case math.IsInf(f, -1):
		return append(dst, "-1e30000"...)
	}
	return appendPyFloat(dst, f)
}

func appendSerpentBytes(dst []byte, b []byte) []byte {
	dst = append(dst, "{'data': '"...)
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, "', 'encoding': 'base64'}"...)
}

// Bit lengths between which an int may have more or fewer than
// serpentMaxIntDigits decimal digits (4300 * log2(10) ~ 14284).
const (
	serpentBigDecimalBits = 14280 // at most 4299 digits
	serpentBigHexBits     = 14290 // at least 4302 digits
)

func appendSerpentBigInt(dst []byte, x *big.Int) []byte {
	n := x.BitLen()
	if n <= serpentBigDecimalBits {
		return x.Append(dst, 10)
	}
	if n < serpentBigHexBits {
		start := len(dst)
		dst = x.Append(dst, 10)
		digits := len(dst) - start
		if x.Sign() < 0 {
			digits--
		}
		if digits <= serpentMaxIntDigits {
			return dst
		}
		dst = dst[:start]
	}
	// Python 3.11+ refuses decimal literals this long; hex has no limit,
	// and converts in linear time
	if x.Sign() < 0 {
		dst = append(dst, '-')
	}
	dst = append(dst, '0', 'x')
	return new(big.Int).Abs(x).Append(dst, 16)
}

const serpentHex = "0123456789abcdef"

// appendPyRepr appends Python's repr of the str s: single quotes unless s
// holds a ' and no ", backslash escapes for the quote, backslash, \t \n \r,
// \xhh for other ASCII controls and non-printable Latin-1, \uhhhh and
// \Uhhhhhhhh above that; printable characters (str.isprintable, which is
// Go's unicode.IsPrint) are written as they are. A surrogate in WTF-8 is
// not printable and gets its \uhhhh; other invalid UTF-8 bytes, which a
// Python str cannot hold, are written as U+FFFD.
func appendPyRepr(dst []byte, s string) []byte {
	if reprPlain(s) {
		dst = append(dst, '\'')
		dst = append(dst, s...)
		return append(dst, '\'')
	}
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	dst = append(dst, quote)
	start := 0
	// Words of plain ASCII are skipped whole: at the start and after each
	// byte that is not plain ASCII, where another plain run may begin.
	for i := skipPlain(s, 0, stopHigh|stopDel, '\\', quote); i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f && c != '\\' && c != quote {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', quote:
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'x', serpentHex[c>>4], serpentHex[c&0xf])
			}
			start = i + 1
			i = skipPlain(s, i+1, stopHigh|stopDel, '\\', quote)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 && isSurrogateAt(s, i) {
			r, size = rune(s[i]&0x0f)<<12|rune(s[i+1]&0x3f)<<6|rune(s[i+2]&0x3f), 3
		} else if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = utf8.AppendRune(dst, utf8.RuneError)
			start = i + 1
			i = skipPlain(s, i+1, stopHigh|stopDel, '\\', quote)
			continue
		}
		if unicode.IsPrint(r) {
			i = skipPlain(s, i+size, stopHigh|stopDel, '\\', quote)
			continue
		}
		dst = append(dst, s[start:i]...)
		switch {
		case r <= 0xff:
			dst = append(dst, '\\', 'x', serpentHex[r>>4], serpentHex[r&0xf])
		case r <= 0xffff:
			dst = append(dst, '\\', 'u')
			dst = serpentAppendHex(dst, uint32(r), 4)
		default:
			dst = append(dst, '\\', 'U')
			dst = serpentAppendHex(dst, uint32(r), 8)
		}
		start = i + size
		i = skipPlain(s, i+size, stopHigh|stopDel, '\\', quote)
	}
	dst = append(dst, s[start:]...)
	return append(dst, quote)
}

// reprPlainGo reports whether s is printable ASCII without a quote or a
// backslash, which most strs are: its repr is s in single quotes, found in
// one pass instead of the three the general case makes. The tests of a
// word share one mask and one branch (see ascii.go). reprPlain is this
// function, or on amd64 a vector version of it (scan_amd64.go).
func reprPlainGo(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := word8(s, i)
		if (stopMask(x, stopHigh|stopDel)|byteMask(x, '\\')|byteMask(x, '\'')|byteMask(x, '"'))&swarHi != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' || c == '\'' || c == '"' {
			return false
		}
	}
	return true
}

func serpentAppendHex(dst []byte, v uint32, n int) []byte {
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		dst = append(dst, serpentHex[(v>>uint(shift))&0xf])
	}
	return dst
}
