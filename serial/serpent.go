package serial

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

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
// tokens; it refuses \N{name} escapes (Go has no name table), reads an
// escaped lone surrogate as U+FFFD, and, like the encoder, stops at 1000
// levels of nesting.
var Serpent Codec = serpentCodec{}

type serpentCodec struct{}

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

func (serpentCodec) ID() int      { return IDSerpent }
func (serpentCodec) Name() string { return "serpent" }

// Marshal appends the header and the encoding of v to dst. On error dst is
// returned as it was.
func (serpentCodec) Marshal(dst []byte, v any, r Replacer) ([]byte, error) {
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
func (serpentCodec) MarshalCall(dst []byte, c *Call, r Replacer) ([]byte, error) {
	start := len(dst)
	e := serpentEncoder{buf: append(dst, serpentHeader...), r: r}
	e.buf = append(e.buf, '(')
	e.buf = appendPyRepr(e.buf, c.Object)
	e.buf = append(e.buf, ',')
	e.buf = appendPyRepr(e.buf, c.Method)
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
	if c.Object != "Pyro.Daemon" {
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

func (e *serpentEncoder) encode(v any, depth int) error {
	if depth > serpentMaxDepth {
		return pyval.NewException(pyval.ClassValueError, "Object graph nesting too deep")
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "None"...)
	case string:
		e.buf = appendPyRepr(e.buf, x)
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
			e.buf = appendPyRepr(e.buf, s)
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
	e.buf = appendPyRepr(e.buf, u.Protocol)
	e.buf = append(e.buf, ',')
	e.buf = appendPyRepr(e.buf, u.Object)
	e.buf = append(e.buf, ',')
	if u.Sockname != "" {
		e.buf = appendPyRepr(e.buf, u.Sockname)
	} else {
		e.buf = append(e.buf, "None"...)
	}
	if u.Host != "" {
		e.buf = append(e.buf, ',')
		e.buf = appendPyRepr(e.buf, u.Host)
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
	e.buf = appendPyRepr(e.buf, x.Class)
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
	e.buf = append(e.buf, open)
	for i, el := range s {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if err := e.encode(el, depth+1); err != nil {
			return err
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
		e.buf = appendPyRepr(e.buf, k)
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
		e.buf = appendPyRepr(e.buf, s)
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
// Go's unicode.IsPrint) are written as they are. Invalid UTF-8 bytes, which a
// Python str cannot hold, are written as U+FFFD.
func appendPyRepr(dst []byte, s string) []byte {
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
		if r == utf8.RuneError && size == 1 {
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

func serpentAppendHex(dst []byte, v uint32, n int) []byte {
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		dst = append(dst, serpentHex[(v>>uint(shift))&0xf])
	}
	return dst
}

// ---- decoding ----

// Unmarshal decodes one serpent value. Class dicts are rebuilt through
// pyval.FromClassDict, whose refusals are returned as the error.
func (serpentCodec) Unmarshal(data []byte) (any, error) {
	p := newSerpentParser(data)
	defer p.release()
	if err := p.check(); err != nil {
		return nil, err
	}
	return p.parseTop()
}

// UnmarshalCall decodes (objectId, method, vargs, kwargs) into c. vargs may
// be a tuple or a list, kwargs a dict with str keys or None.
func (serpentCodec) UnmarshalCall(data []byte, c *Call) error {
	p := newSerpentParser(data)
	defer p.release()
	if err := p.check(); err != nil {
		return err
	}
	dst := c.Args
	*c = Call{}
	ok, err := p.parseCallFast(c, dst)
	if err != nil || ok {
		return err
	}
	// not the plain (str,str,...) shape: parse generally for the real error
	p.pos, p.values = 0, 0
	v, err := p.parseTop()
	if err != nil {
		return err
	}
	var t []any
	switch x := v.(type) {
	case pyval.Tuple:
		t = x
	case []any:
		t = x
	default:
		return pyval.Errorf(pyval.ClassTypeError, "serpent call: expected a 4-tuple, got %s", pyval.TypeName(v))
	}
	if len(t) != 4 {
		return pyval.Errorf(pyval.ClassValueError, "serpent call: expected a 4-tuple (objectId, method, vargs, kwargs), got %d items", len(t))
	}
	obj, ok := t[0].(string)
	if !ok {
		return pyval.Errorf(pyval.ClassTypeError, "serpent call: object id must be str, got %s", pyval.TypeName(t[0]))
	}
	method, ok := t[1].(string)
	if !ok {
		return pyval.Errorf(pyval.ClassTypeError, "serpent call: method name must be str, got %s", pyval.TypeName(t[1]))
	}
	c.Object, c.Method = obj, method
	return serpentFillCall(c, t[2], false, t[3])
}

// serpentFillCall sets c's Args from vargs (unless argsSet: the caller set
// them) and c's Kwargs from kwargs.
func serpentFillCall(c *Call, vargs any, argsSet bool, kwargs any) error {
	switch x := vargs.(type) {
	case nil:
		if !argsSet {
			return pyval.Errorf(pyval.ClassTypeError, "serpent call: vargs must be a tuple or list, got NoneType")
		}
	case pyval.Tuple:
		c.Args = x
	case []any:
		c.Args = x
	default:
		return pyval.Errorf(pyval.ClassTypeError, "serpent call: vargs must be a tuple or list, got %s", pyval.TypeName(vargs))
	}
	switch x := kwargs.(type) {
	case emptyKwargs:
	case nil:
		c.KwargsNone = true
	case *pyval.Dict:
		for _, it := range x.Items() {
			if _, ok := it.Key.(string); !ok {
				return pyval.Errorf(pyval.ClassTypeError, "serpent call: keywords must be strings, got %s", pyval.TypeName(it.Key))
			}
		}
		if x.Len() > 0 {
			c.Kwargs = x
		}
	default:
		return pyval.Errorf(pyval.ClassTypeError, "serpent call: kwargs must be a dict or None, got %s", pyval.TypeName(kwargs))
	}
	return nil
}

// serpentKind is what ast.literal_eval needs to know about a parsed node
// beyond its value: unary signs apply only to number constants, and a
// complex sum only to a signed real and an imaginary constant.
type serpentKind uint8

const (
	skOther      serpentKind = iota // hashable, not a number constant
	skNum                           // an int, float or imaginary constant (parentheses allowed)
	skSigned                        // +/- applied to a skNum
	skBinOp                         // real ± imaginary
	skUnhashable                    // list, dict, set, or a tuple holding one
)

type serpentParser struct {
	data   []byte
	pos    int
	stack  []any        // elements of the lists, tuples and sets being built
	items  []pyval.Item // items of the dicts being built
	sbuf   []byte       // decoded string bodies
	canon  []byte       // scratch for number digits without underscores
	unhash string       // type name of the last unhashable node, for TypeError
	values int          // atoms parsed so far, against MaxValues
}

func newSerpentParser(data []byte) *serpentParser {
	p := serpentParserPool.Get().(*serpentParser)
	p.data, p.pos, p.values = data, 0, 0
	return p
}

func (p *serpentParser) release() {
	p.data = nil
	// Entries above the stacks' lengths were cleared as they were popped;
	// an error can leave some below, which must not outlive the call.
	// Scratch that grew large for one odd payload is dropped.
	clear(p.stack)
	clear(p.items)
	p.stack, p.items = p.stack[:0], p.items[:0]
	if cap(p.stack) > 4096 {
		p.stack = nil
	}
	if cap(p.items) > 4096 {
		p.items = nil
	}
	if cap(p.sbuf) > 64<<10 {
		p.sbuf = nil
	}
	if cap(p.canon) > 4<<10 {
		p.canon = nil
	}
	serpentParserPool.Put(p)
}

// check refuses what serpent.loads refuses before parsing: text that is
// not UTF-8, and NUL characters.
func (p *serpentParser) check() error {
	if i := bytes.IndexByte(p.data, 0); i >= 0 {
		p.pos = i
		return p.syntaxError("the serpent data contains 0-bytes")
	}
	if !utf8.Valid(p.data) {
		return &pyval.Exception{Class: "builtins.UnicodeDecodeError", Args: pyval.Tuple{"serpent: data is not valid utf-8"}}
	}
	return nil
}

func (p *serpentParser) errAt(class, msg string) error {
	line := 1 + bytes.Count(p.data[:min(p.pos, len(p.data))], []byte{'\n'})
	return &pyval.Exception{Class: class, Args: pyval.Tuple{
		"serpent: " + msg + " (line " + strconv.Itoa(line) + ", offset " + strconv.Itoa(p.pos) + ")"}}
}

func (p *serpentParser) syntaxError(msg string) error {
	return p.errAt("builtins.SyntaxError", msg)
}

func (p *serpentParser) malformed(what string) error {
	return p.errAt(pyval.ClassValueError, "malformed node or string: "+what)
}

func (p *serpentParser) unexpected() error {
	if p.pos >= len(p.data) {
		return p.syntaxError("unexpected end of data")
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return p.syntaxError("invalid syntax at " + strconv.QuoteRune(r))
}

// skipSpace skips whitespace, newlines, comments and backslash-newline
// continuations. It is more lenient than Python, which also cares about
// indentation and newlines outside brackets.
func (p *serpentParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r', '\f':
			p.pos++
		case '#':
			i := bytes.IndexByte(p.data[p.pos:], '\n')
			if i < 0 {
				p.pos = len(p.data)
				return
			}
			p.pos += i + 1
		case '\\':
			if p.pos+1 < len(p.data) && (p.data[p.pos+1] == '\n' || p.data[p.pos+1] == '\r') {
				p.pos += 2
				continue
			}
			return
		default:
			return
		}
	}
}

func (p *serpentParser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

// parseTop parses the whole payload: one expression, or a tuple written
// without parentheses ("1,2").
func (p *serpentParser) parseTop() (any, error) {
	v, _, err := p.parseExpr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() == ',' {
		base := len(p.stack)
		p.stack = append(p.stack, v)
		for p.peek() == ',' {
			p.pos++
			p.skipSpace()
			if p.pos >= len(p.data) {
				break
			}
			el, _, err := p.parseExpr(1)
			if err != nil {
				return nil, err
			}
			p.stack = append(p.stack, el)
			p.skipSpace()
		}
		v = pyval.Tuple(popElems(&p.stack, base, nil, false))
	}
	if p.pos < len(p.data) {
		return nil, p.unexpected()
	}
	return v, nil
}

// parseCallFast parses the usual call shape ('obj','method',vargs,kwargs)
// without boxing the two strings. It reports false, with no error, when the
// payload has another shape, which the caller then parses generally.
func (p *serpentParser) parseCallFast(c *Call, dst []any) (bool, error) {
	p.skipSpace()
	if p.peek() != '(' {
		return false, nil
	}
	p.pos++
	var strs [2]string
	for i := range strs {
		p.skipSpace()
		if !p.atStringStart() {
			return false, nil
		}
		s, isBytes, err := p.parseStringsInterned()
		if err != nil {
			return false, err
		}
		if isBytes {
			return false, nil
		}
		strs[i] = s
		p.skipSpace()
		if p.peek() != ',' {
			return false, nil
		}
		p.pos++
	}
	args, seq, vargs, err := p.parseArgs(dst)
	if err != nil {
		return false, err
	}
	p.skipSpace()
	if p.peek() != ',' {
		return false, nil
	}
	p.pos++
	var kwargs any = emptyKwargs{} // {}, the usual kwargs, is kept as nil
	if !p.emptyDict() {
		if kwargs, _, err = p.parseExpr(1); err != nil {
			return false, err
		}
	}
	p.skipSpace()
	if p.peek() == ',' {
		p.pos++
		p.skipSpace()
	}
	if p.peek() != ')' {
		return false, nil
	}
	p.pos++
	p.skipSpace()
	if p.pos != len(p.data) {
		return false, nil
	}
	c.Object, c.Method = strs[0], strs[1]
	if seq {
		c.Args = args
		return true, serpentFillCall(c, nil, true, kwargs)
	}
	return true, serpentFillCall(c, vargs, false, kwargs)
}

// emptyDict consumes an empty dict {} at p.pos, if there is one.
func (p *serpentParser) emptyDict() bool {
	p.skipSpace()
	if p.peek() != '{' {
		return false
	}
	save := p.pos
	p.pos++
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		return true
	}
	p.pos = save
	return false
}

// parseExpr parses an expression: an atom, a signed number, or the complex
// sum real ± imaginary that ast.literal_eval allows.
func (p *serpentParser) parseExpr(depth int) (any, serpentKind, error) {
	v, k, err := p.parseUnary(depth)
	if err != nil {
		return nil, k, err
	}
	p.skipSpace()
	op := p.peek()
	if op != '+' && op != '-' {
		return v, k, nil
	}
	if k != skNum && k != skSigned {
		return nil, k, p.malformed("operator applied to a non-number")
	}
	var left float64
	switch x := v.(type) {
	case int64:
		left = float64(x)
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		if math.IsInf(f, 0) {
			return nil, k, p.errAt("builtins.OverflowError", "int too large to convert to float")
		}
		left = f
	case float64:
		left = x
	default:
		return nil, k, p.malformed("complex number with a complex real part")
	}
	p.pos++
	p.skipSpace()
	right, rk, err := p.parseAtom(depth)
	if err != nil {
		return nil, rk, err
	}
	im, ok := right.(complex128)
	if rk != skNum || !ok {
		return nil, rk, p.malformed("the right operand of + or - must be an imaginary number")
	}
	var res complex128
	if op == '+' {
		res = complex(left, 0) + im
	} else {
		res = complex(left, 0) - im
	}
	p.skipSpace()
	if c := p.peek(); c == '+' || c == '-' {
		return nil, skBinOp, p.malformed("operator applied to a non-number")
	}
	return res, skBinOp, nil
}

func (p *serpentParser) parseUnary(depth int) (any, serpentKind, error) {
	p.skipSpace()
	op := p.peek()
	if op != '+' && op != '-' {
		return p.parseAtom(depth)
	}
	p.pos++
	v, k, err := p.parseAtom(depth)
	if err != nil {
		return nil, k, err
	}
	if k != skNum {
		return nil, k, p.malformed("unary operator applied to a non-number")
	}
	if op == '+' {
		return v, skSigned, nil
	}
	switch x := v.(type) {
	case int64:
		if x == math.MinInt64 {
			return new(big.Int).Neg(big.NewInt(x)), skSigned, nil
		}
		return -x, skSigned, nil
	case *big.Int:
		return pyval.Int(new(big.Int).Neg(x)), skSigned, nil
	case float64:
		return -x, skSigned, nil
	case complex128:
		return -x, skSigned, nil
	}
	return nil, k, p.malformed("unary operator applied to a non-number")
}

// parseAtom parses a literal, a name or a bracketed form. depth counts the
// enclosing brackets, as the encoder counts containers; signs and complex
// sums do not nest, so they need no depth of their own.
func (p *serpentParser) parseAtom(depth int) (any, serpentKind, error) {
	if depth > serpentMaxDepth {
		return nil, skOther, tooDeep(p.syntaxError("nesting too deep").(*pyval.Exception))
	}
	if p.values++; p.values > maxValues {
		return nil, skOther, tooMany()
	}
	p.skipSpace()
	if p.pos >= len(p.data) {
		return nil, skOther, p.unexpected()
	}
	c := p.data[p.pos]
	switch {
	case c == '(':
		p.pos++
		return p.parseParen(depth)
	case c == '[':
		p.pos++
		return p.parseList(depth)
	case c == '{':
		p.pos++
		return p.parseBrace(depth)
	case p.atStringStart():
		s, b, isBytes, err := p.parseStrings()
		if err != nil {
			return nil, skOther, err
		}
		if isBytes {
			return b, skOther, nil
		}
		return s, skOther, nil
	case serpentIsDigit(c) || c == '.' && p.pos+1 < len(p.data) && serpentIsDigit(p.data[p.pos+1]):
		v, err := p.parseNumber()
		return v, skNum, err
	case serpentIsIdent(c):
		return p.parseName()
	}
	return nil, skOther, p.unexpected()
}

func (p *serpentParser) parseName() (any, serpentKind, error) {
	start := p.pos
	for p.pos < len(p.data) && serpentIsIdent(p.data[p.pos]) {
		p.pos++
	}
	switch string(p.data[start:p.pos]) {
	case "None":
		return nil, skOther, nil
	case "True":
		return true, skOther, nil
	case "False":
		return false, skOther, nil
	case "set":
		// set() is how Python writes an empty set, and literal_eval takes it
		p.skipSpace()
		if p.peek() == '(' {
			p.pos++
			p.skipSpace()
			if p.peek() == ')' {
				p.pos++
				p.unhash = "set"
				return pyval.Set{}, skUnhashable, nil
			}
		}
	}
	name := p.data[start:p.pos]
	p.pos = start
	for _, c := range name {
		if c >= utf8.RuneSelf {
			return nil, skOther, p.unexpected() // Python names may be non-ASCII, but never literals
		}
	}
	return nil, skOther, p.malformed("name " + strconv.Quote(string(name[:min(len(name), 40)])))
}

func (p *serpentParser) parseParen(depth int) (any, serpentKind, error) {
	p.skipSpace()
	if p.peek() == ')' {
		p.pos++
		return pyval.Tuple{}, skOther, nil
	}
	first, k, err := p.parseExpr(depth + 1)
	if err != nil {
		return nil, k, err
	}
	p.skipSpace()
	switch p.peek() {
	case ')':
		p.pos++
		return first, k, nil // parentheses only group
	case ',':
	default:
		return nil, k, p.unexpected()
	}
	t, hashable, err := p.parseTupleTail(depth, first, k, nil, false)
	if err != nil {
		return nil, k, err
	}
	if !hashable {
		return t, skUnhashable, nil
	}
	return t, skOther, nil
}

// parseTupleTail parses the rest of a tuple whose first element (of kind
// k) and the comma after it have been seen, up to and including the ')'.
func (p *serpentParser) parseTupleTail(depth int, first any, k serpentKind, dst []any, into bool) (pyval.Tuple, bool, error) {
	base := len(p.stack)
	p.stack = append(p.stack, first)
	hashable := k != skUnhashable
	for {
		p.pos++ // the ','
		p.skipSpace()
		if p.peek() == ')' {
			break
		}
		v, k, err := p.parseExpr(depth + 1)
		if err != nil {
			p.dropStack(base)
			return nil, false, err
		}
		hashable = hashable && k != skUnhashable
		p.stack = append(p.stack, v)
		p.skipSpace()
		if c := p.peek(); c == ')' {
			break
		} else if c != ',' {
			p.dropStack(base)
			return nil, false, p.unexpected()
		}
	}
	p.pos++ // the ')'
	return popElems(&p.stack, base, dst, into), hashable, nil
}

func (p *serpentParser) parseList(depth int) (any, serpentKind, error) {
	l, err := p.parseListElems(depth, nil, false)
	if err != nil {
		return nil, skUnhashable, err
	}
	p.unhash = "list"
	return l, skUnhashable, nil
}

// parseListElems parses the elements of a list after its '[', into a new
// slice or appended to dst when into is set (see popElems).
func (p *serpentParser) parseListElems(depth int, dst []any, into bool) ([]any, error) {
	base := len(p.stack)
	p.skipSpace()
	for p.peek() != ']' {
		v, _, err := p.parseExpr(depth + 1)
		if err != nil {
			p.dropStack(base)
			return nil, err
		}
		p.stack = append(p.stack, v)
		p.skipSpace()
		if c := p.peek(); c == ',' {
			p.pos++
			p.skipSpace()
		} else if c != ']' {
			p.dropStack(base)
			return nil, p.unexpected()
		}
	}
	p.pos++
	return popElems(&p.stack, base, dst, into), nil
}

// parseArgs parses call vargs: a tuple or a list, appended to dst[:0]
// without boxing them in an interface (seq is set); anything else is
// parsed generally into other.
func (p *serpentParser) parseArgs(dst []any) (args []any, seq bool, other any, err error) {
	p.skipSpace()
	switch p.peek() {
	case '[':
		p.pos++
		args, err = p.parseListElems(1, dst, true)
		return args, true, nil, err
	case '(':
		start := p.pos
		p.pos++
		p.skipSpace()
		if p.peek() == ')' {
			p.pos++
			return dst[:0], true, nil, nil
		}
		first, k, err := p.parseExpr(2)
		if err != nil {
			return nil, false, nil, err
		}
		p.skipSpace()
		if p.peek() == ',' {
			t, _, err := p.parseTupleTail(1, first, k, dst, true)
			return t, true, nil, err
		}
		p.pos = start // a parenthesized expression: parse it again, generally
	}
	other, _, err = p.parseExpr(1)
	return nil, false, other, err
}

// parseBrace parses a dict or a set; {} is a dict.
func (p *serpentParser) parseBrace(depth int) (any, serpentKind, error) {
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		p.unhash = "dict"
		return pyval.NewDict(0), skUnhashable, nil
	}
	first, k, err := p.parseKey(depth + 1)
	if err != nil {
		return nil, k, err
	}
	if k == skUnhashable {
		return nil, k, p.unhashable()
	}
	p.skipSpace()
	if p.peek() == ':' {
		return p.parseDict(depth, first)
	}
	return p.parseSet(depth, first)
}

func (p *serpentParser) unhashable() error {
	return p.errAt(pyval.ClassTypeError, "unhashable type: '"+p.unhash+"'")
}

func (p *serpentParser) parseDict(depth int, key any) (any, serpentKind, error) {
	base := len(p.items)
	var idx *pyval.KeyIndex
	hasClass := false
	for {
		// at ':'
		p.pos++
		v, _, err := p.parseExpr(depth + 1)
		if err != nil {
			p.dropItems(base)
			return nil, skUnhashable, err
		}
		if s, ok := key.(string); ok && s == "__class__" {
			hasClass = true
		}
		p.items = pyval.AddItem(p.items, base, &idx, key, v)
		p.skipSpace()
		c := p.peek()
		if c == ',' {
			p.pos++
			p.skipSpace()
			c = p.peek()
		} else if c != '}' {
			p.dropItems(base)
			return nil, skUnhashable, p.unexpected()
		}
		if c == '}' {
			p.pos++
			break
		}
		var k serpentKind
		key, k, err = p.parseKey(depth + 1)
		if err != nil {
			p.dropItems(base)
			return nil, skUnhashable, err
		}
		if k == skUnhashable {
			p.dropItems(base)
			return nil, k, p.unhashable()
		}
		p.skipSpace()
		if p.peek() != ':' {
			p.dropItems(base)
			return nil, skUnhashable, p.unexpected()
		}
	}
	d := pyval.NewDict(len(p.items) - base)
	for _, it := range p.items[base:] {
		d.Append(it.Key, it.Value)
	}
	p.dropItems(base)
	p.unhash = "dict"
	if hasClass {
		v, err := pyval.FromClassDict(d, true)
		if err != nil {
			return nil, skUnhashable, err
		}
		return v, skUnhashable, nil
	}
	return d, skUnhashable, nil
}

func (p *serpentParser) parseSet(depth int, el any) (any, serpentKind, error) {
	base := len(p.stack)
	var idx *pyval.KeyIndex
	for {
		p.stack, _ = pyval.AddElem(p.stack, base, &idx, el)
		p.skipSpace()
		c := p.peek()
		if c == ',' {
			p.pos++
			p.skipSpace()
			c = p.peek()
		} else if c != '}' {
			p.dropStack(base)
			return nil, skUnhashable, p.unexpected()
		}
		if c == '}' {
			p.pos++
			break
		}
		var k serpentKind
		var err error
		el, k, err = p.parseKey(depth + 1)
		if err != nil {
			p.dropStack(base)
			return nil, skUnhashable, err
		}
		if k == skUnhashable {
			p.dropStack(base)
			return nil, k, p.unhashable()
		}
	}
	s := make(pyval.Set, len(p.stack)-base)
	copy(s, p.stack[base:])
	p.dropStack(base)
	p.unhash = "set"
	return s, skUnhashable, nil
}

var serpentParserPool = sync.Pool{New: func() any { return new(serpentParser) }}

func (p *serpentParser) dropStack(base int) {
	clear(p.stack[base:])
	p.stack = p.stack[:base]
}

func (p *serpentParser) dropItems(base int) {
	clear(p.items[base:])
	p.items = p.items[:base]
}

func serpentIsDigit(c byte) bool { return '0' <= c && c <= '9' }

// serpentIsIdent reports bytes that continue a name or a number; non-ASCII
// counts, so "1é" is an error rather than two tokens.
func serpentIsIdent(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || serpentIsDigit(c) || c == '_' || c >= utf8.RuneSelf
}

// atStringStart reports whether a string literal starts at p.pos: a quote,
// or up to two prefix letters and a quote.
func (p *serpentParser) atStringStart() bool {
	for i := p.pos; i < len(p.data) && i <= p.pos+2; i++ {
		switch p.data[i] {
		case '\'', '"':
			return true
		case 'r', 'R', 'b', 'B', 'u', 'U', 'f', 'F':
		default:
			return false
		}
	}
	return false
}

// parseStrings parses adjacent string literals, which Python concatenates.
// A single literal without escapes costs one allocation.
func (p *serpentParser) parseStrings() (s string, b []byte, isBytes bool, err error) {
	p.sbuf = p.sbuf[:0]
	raw, decoded, isBytes, err := p.literal()
	if err != nil {
		return "", nil, false, err
	}
	p.skipSpace()
	if !p.atStringStart() {
		body := raw
		if decoded {
			body = p.sbuf
		}
		if isBytes {
			return "", append([]byte{}, body...), true, nil
		}
		return string(body), nil, false, nil
	}
	if !decoded {
		p.sbuf = append(p.sbuf, raw...)
	}
	for p.atStringStart() {
		raw, decoded, nextBytes, err := p.literal()
		if err != nil {
			return "", nil, false, err
		}
		if nextBytes != isBytes {
			return "", nil, false, p.syntaxError("cannot mix bytes and nonbytes literals")
		}
		if !decoded {
			p.sbuf = append(p.sbuf, raw...)
		}
		p.skipSpace()
	}
	if isBytes {
		return "", append([]byte{}, p.sbuf...), true, nil
	}
	return string(p.sbuf), nil, false, nil
}

// parseStringsInterned is parseStrings for names: a single short literal
// without escapes comes from the intern table.
func (p *serpentParser) parseStringsInterned() (string, bool, error) {
	e, ok := p.internedLiteral()
	if ok {
		return e.s, false, nil
	}
	s, b, isBytes, err := p.parseStrings()
	_ = b
	return s, isBytes, err
}

// internedLiteral looks at the literal at p.pos, and when it is a short str
// with no escapes that is not followed by another literal, consumes it and
// returns its interned entry.
func (p *serpentParser) internedLiteral() (*interned, bool) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return nil, false
	}
	end := p.pos + 1
	limit := min(len(p.data), end+internMax+1)
	for ; end < limit; end++ {
		c := p.data[end]
		if c == q {
			break
		}
		if c == '\\' || c == '\n' || c == '\r' {
			return nil, false
		}
	}
	if end >= limit || end == p.pos+1 && end+1 < len(p.data) && p.data[end+1] == q {
		return nil, false // too long, unterminated, or a triple quote
	}
	save := p.pos
	p.pos = end + 1
	p.skipSpace()
	if p.atStringStart() {
		p.pos = save // concatenation: the general path
		return nil, false
	}
	return internLookup(p.data[save+1 : end]), true
}

// parseKey parses a dict key or set element, taking short str keys from the
// intern table.
func (p *serpentParser) parseKey(depth int) (any, serpentKind, error) {
	p.skipSpace()
	if e, ok := p.internedLiteral(); ok {
		if p.values++; p.values > maxValues {
			return nil, skOther, tooMany()
		}
		if c := p.peek(); c == '+' || c == '-' {
			return nil, skOther, p.malformed("operator applied to a non-number")
		}
		return e.v, skOther, nil
	}
	return p.parseExpr(depth)
}

// literal parses one string literal at p.pos, prefix included. When the
// body needs no decoding it is returned as a slice of the input and p.sbuf
// is left alone; otherwise the decoded body is appended to p.sbuf and
// decoded is true. The input is known to be valid UTF-8 without NULs.
func (p *serpentParser) literal() (raw []byte, decoded, isBytes bool, err error) {
	isRaw, isU, isF := false, false, false
	start := p.pos
	for p.data[p.pos] != '\'' && p.data[p.pos] != '"' {
		switch p.data[p.pos] {
		case 'r', 'R':
			if isRaw {
				return nil, false, false, p.unexpected()
			}
			isRaw = true
		case 'b', 'B':
			if isBytes {
				return nil, false, false, p.unexpected()
			}
			isBytes = true
		case 'u', 'U':
			isU = true
		case 'f', 'F':
			isF = true
		}
		p.pos++
	}
	if isU && p.pos-start > 1 {
		p.pos = start
		return nil, false, false, p.syntaxError("invalid string prefix")
	}
	if isF {
		p.pos = start
		return nil, false, false, p.malformed("f-string")
	}
	q := p.data[p.pos]
	triple := p.pos+2 < len(p.data) && p.data[p.pos+1] == q && p.data[p.pos+2] == q
	if triple {
		p.pos += 3
	} else {
		p.pos++
	}
	open := p.pos
	// fast path: a body without backslashes or carriage returns
	i := open
	for {
		i = plainEnd(p.data, i, q, triple)
		if i >= len(p.data) {
			break
		}
		c := p.data[i]
		if c == q {
			if !triple {
				p.pos = i + 1
				return p.data[open:i], false, isBytes, p.checkBytes(isBytes, open, i)
			}
			if i+2 < len(p.data) && p.data[i+1] == q && p.data[i+2] == q {
				p.pos = i + 3
				return p.data[open:i], false, isBytes, p.checkBytes(isBytes, open, i)
			}
			i++
			continue
		}
		if c == '\\' || c == '\r' {
			break
		}
		// a newline in a single-quoted literal
		p.pos = i
		return nil, false, false, p.syntaxError("unterminated string literal")
	}
	if i >= len(p.data) {
		p.pos = start
		return nil, false, false, p.syntaxError("unterminated string literal")
	}
	if err := p.checkBytes(isBytes, open, i); err != nil {
		return nil, false, false, err
	}
	// slow path: decode from i on
	p.sbuf = append(p.sbuf, p.data[open:i]...)
	for {
		if i >= len(p.data) {
			p.pos = start
			return nil, false, false, p.syntaxError("unterminated string literal")
		}
		c := p.data[i]
		switch {
		case c == q:
			if !triple {
				p.pos = i + 1
				return nil, true, isBytes, nil
			}
			if i+2 < len(p.data) && p.data[i+1] == q && p.data[i+2] == q {
				p.pos = i + 3
				return nil, true, isBytes, nil
			}
			p.sbuf = append(p.sbuf, c)
			i++
		case c == '\n' || c == '\r':
			if !triple {
				p.pos = i
				return nil, false, false, p.syntaxError("unterminated string literal")
			}
			i = p.newline(i)
		case c == '\\':
			if i+1 >= len(p.data) {
				p.pos = start
				return nil, false, false, p.syntaxError("unterminated string literal")
			}
			if isRaw {
				// the backslash stays, and the next character cannot end
				// the literal
				p.sbuf = append(p.sbuf, '\\')
				i++
				switch n := p.data[i]; {
				case n == '\n' || n == '\r':
					i = p.newline(i)
				case n >= utf8.RuneSelf:
					if isBytes {
						p.pos = i
						return nil, false, false, p.syntaxError("bytes can only contain ASCII literal characters")
					}
					_, size := utf8.DecodeRune(p.data[i:])
					p.sbuf = append(p.sbuf, p.data[i:i+size]...)
					i += size
				default:
					p.sbuf = append(p.sbuf, n)
					i++
				}
				continue
			}
			i, err = p.escape(i+1, isBytes)
			if err != nil {
				return nil, false, false, err
			}
		case c >= utf8.RuneSelf:
			if isBytes {
				p.pos = i
				return nil, false, false, p.syntaxError("bytes can only contain ASCII literal characters")
			}
			p.sbuf = append(p.sbuf, c) // valid UTF-8 already; copy byte-wise
			i++
		default:
			p.sbuf = append(p.sbuf, c)
			i++
		}
	}
}

// newline appends the newline at i to p.sbuf, translating \r\n and \r to
// \n as Python's tokenizer does, and returns the index after it.
func (p *serpentParser) newline(i int) int {
	p.sbuf = append(p.sbuf, '\n')
	if p.data[i] == '\r' && i+1 < len(p.data) && p.data[i+1] == '\n' {
		return i + 2
	}
	return i + 1
}

// plainEnd returns the index of the first byte from i on that ends the
// plain run of a string literal quoted with q: the quote, a backslash, a
// carriage return, or a newline unless triple-quoted; len(data) if none.
// bytes.IndexByte is vectorized, so long strings cost a few passes rather
// than a branch per byte.
func plainEnd(data []byte, i int, q byte, triple bool) int {
	rest := data[i:]
	n := len(rest)
	for _, c := range [...]byte{q, '\\', '\r', '\n'} {
		if c == '\n' && triple {
			break
		}
		if j := bytes.IndexByte(rest[:n], c); j >= 0 {
			n = j
		}
	}
	return i + n
}

func (p *serpentParser) checkBytes(isBytes bool, from, to int) error {
	if !isBytes {
		return nil
	}
	for i := from; i < to; i++ {
		if p.data[i] >= utf8.RuneSelf {
			p.pos = i
			return p.syntaxError("bytes can only contain ASCII literal characters")
		}
	}
	return nil
}

// escape decodes the escape sequence whose first character (after the
// backslash) is at i into p.sbuf and returns the index after it.
func (p *serpentParser) escape(i int, isBytes bool) (int, error) {
	c := p.data[i]
	switch c {
	case '\n':
		return i + 1, nil // line continuation
	case '\r':
		if i+1 < len(p.data) && p.data[i+1] == '\n' {
			return i + 2, nil
		}
		return i + 1, nil
	case '\\', '\'', '"':
		p.sbuf = append(p.sbuf, c)
	case 'a':
		p.sbuf = append(p.sbuf, '\a')
	case 'b':
		p.sbuf = append(p.sbuf, '\b')
	case 'f':
		p.sbuf = append(p.sbuf, '\f')
	case 'n':
		p.sbuf = append(p.sbuf, '\n')
	case 'r':
		p.sbuf = append(p.sbuf, '\r')
	case 't':
		p.sbuf = append(p.sbuf, '\t')
	case 'v':
		p.sbuf = append(p.sbuf, '\v')
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, j := 0, i
		for ; j < len(p.data) && j < i+3 && '0' <= p.data[j] && p.data[j] <= '7'; j++ {
			v = v*8 + int(p.data[j]-'0')
		}
		if isBytes {
			p.sbuf = append(p.sbuf, byte(v)) // Python keeps the low byte of \400..\777
		} else {
			p.sbuf = utf8.AppendRune(p.sbuf, rune(v))
		}
		return j, nil
	case 'x':
		v, ok := p.hexDigits(i+1, 2)
		if !ok {
			p.pos = i - 1
			return 0, p.syntaxError(`truncated \xXX escape`)
		}
		if isBytes {
			p.sbuf = append(p.sbuf, byte(v))
		} else {
			p.sbuf = utf8.AppendRune(p.sbuf, rune(v))
		}
		return i + 3, nil
	case 'u', 'U', 'N':
		if isBytes {
			p.sbuf = append(p.sbuf, '\\') // not escapes in bytes
			return i, nil
		}
		if c == 'N' {
			p.pos = i - 1
			return 0, p.syntaxError(`\N{...} escapes are not supported`)
		}
		n := 4
		if c == 'U' {
			n = 8
		}
		v, ok := p.hexDigits(i+1, n)
		if !ok {
			p.pos = i - 1
			return 0, p.syntaxError(`truncated \` + string(c) + ` escape`)
		}
		if v > unicode.MaxRune {
			p.pos = i - 1
			return 0, p.syntaxError(`illegal Unicode character in \U escape`)
		}
		// a lone surrogate, which UTF-8 cannot hold, becomes U+FFFD
		p.sbuf = utf8.AppendRune(p.sbuf, rune(v))
		return i + 1 + n, nil
	default:
		// unknown escapes keep their backslash; the character itself is
		// read by the caller
		p.sbuf = append(p.sbuf, '\\')
		return i, nil
	}
	return i + 1, nil
}

func (p *serpentParser) hexDigits(i, n int) (uint32, bool) {
	if i+n > len(p.data) {
		return 0, false
	}
	var v uint32
	for _, c := range p.data[i : i+n] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(d)
	}
	return v, true
}

// parseNumber parses an int (decimal, 0x, 0o, 0b, with underscores), a
// float or an imaginary literal at p.pos.
func (p *serpentParser) parseNumber() (any, error) {
	start := p.pos
	d := p.data
	if d[p.pos] == '0' && p.pos+1 < len(d) {
		base := 0
		switch d[p.pos+1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			return p.parseBasedInt(base)
		}
	}
	intStart := p.pos
	p.digitPart()
	intEnd := p.pos
	isFloat := false
	if p.peek() == '.' {
		isFloat = true
		p.pos++
		p.digitPart()
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		j := p.pos + 1
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		if j < len(d) && serpentIsDigit(d[j]) {
			isFloat = true
			p.pos = j
			p.digitPart()
		}
	}
	imag := false
	if c := p.peek(); c == 'j' || c == 'J' {
		imag = true
		p.pos++
	}
	text := d[start:p.pos]
	if imag {
		text = text[:len(text)-1]
	}
	if p.pos < len(d) && serpentIsIdent(d[p.pos]) {
		return nil, p.syntaxError("invalid decimal literal")
	}
	if !isFloat && !imag {
		digits := d[intStart:intEnd]
		if len(digits) > 1 && digits[0] == '0' {
			for _, c := range digits {
				if c != '0' && c != '_' {
					p.pos = start
					return nil, p.syntaxError("leading zeros in decimal integer literals are not permitted")
				}
			}
		}
		return p.intValue(digits, 10)
	}
	var f float64
	var err error
	if bytes.IndexByte(text, '_') < 0 {
		f, err = strconv.ParseFloat(string(text), 64) // no allocation: the string does not escape
	} else {
		f, err = strconv.ParseFloat(p.stripUnderscores(text), 64)
	}
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		p.pos = start
		return nil, p.syntaxError("invalid float literal")
	}
	if imag {
		return complex(0, f), nil
	}
	return f, nil
}

// digitPart scans digit (["_"] digit)*; a stray underscore is left for the
// caller's trailing-name check to refuse.
func (p *serpentParser) digitPart() {
	d := p.data
	for p.pos < len(d) {
		c := d[p.pos]
		if serpentIsDigit(c) {
			p.pos++
			continue
		}
		if c == '_' && p.pos+1 < len(d) && serpentIsDigit(d[p.pos+1]) && p.pos > 0 && serpentIsDigit(d[p.pos-1]) {
			p.pos += 2
			continue
		}
		break
	}
}

func (p *serpentParser) parseBasedInt(base int) (any, error) {
	start := p.pos
	d := p.data
	p.pos += 2
	digitsStart := p.pos
	n := 0
	for p.pos < len(d) {
		c := d[p.pos]
		if c == '_' && p.pos+1 < len(d) && serpentDigit(d[p.pos+1]) < base {
			p.pos++
			continue
		}
		if serpentDigit(c) >= base {
			break
		}
		p.pos++
		n++
	}
	if n == 0 || p.pos < len(d) && serpentIsIdent(d[p.pos]) {
		p.pos = start
		return nil, p.syntaxError("invalid literal for base " + strconv.Itoa(base))
	}
	return p.intValue(d[digitsStart:p.pos], base)
}

func serpentDigit(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// intValue converts validated digits (underscores allowed) to int64 or
// *big.Int.
func (p *serpentParser) intValue(digits []byte, base int) (any, error) {
	// small enough not to overflow: 18 decimal, 15 hex, 20 octal or 62
	// binary digits (underscores only make the count safer)
	if len(digits) <= 18 && base == 10 || len(digits) <= 15 && base == 16 || len(digits) <= 20 && base == 8 || len(digits) <= 62 && base == 2 {
		var v int64
		for _, c := range digits {
			if c != '_' {
				v = v*int64(base) + int64(serpentDigit(c))
			}
		}
		return v, nil
	}
	if base != 10 {
		return pyval.Int(serpentPow2Int(digits, base)), nil
	}
	s := p.stripUnderscores(digits)
	if len(s) > serpentMaxIntDigits {
		return nil, p.errAt(pyval.ClassValueError, "Exceeds the limit ("+strconv.Itoa(serpentMaxIntDigits)+" digits) for integer string conversion")
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return nil, p.syntaxError("invalid integer literal")
	}
	return pyval.Int(v), nil
}

// serpentPow2Int converts validated digits of base 2, 8 or 16 by packing
// their bits, in linear time (big.Int.SetString is quadratic, and these
// literals have no length limit in Python).
func serpentPow2Int(digits []byte, base int) *big.Int {
	bits := uint(1)
	switch base {
	case 8:
		bits = 3
	case 16:
		bits = 4
	}
	out := make([]byte, (len(digits)*int(bits)+7)/8)
	i := len(out) - 1
	var acc uint
	var n uint
	for j := len(digits) - 1; j >= 0; j-- {
		c := digits[j]
		if c == '_' {
			continue
		}
		acc |= uint(serpentDigit(c)) << n
		n += bits
		for n >= 8 {
			out[i] = byte(acc)
			i--
			acc >>= 8
			n -= 8
		}
	}
	if n > 0 {
		out[i] = byte(acc)
	}
	return new(big.Int).SetBytes(out)
}

// stripUnderscores returns b as a string without its underscores.
func (p *serpentParser) stripUnderscores(b []byte) string {
	if bytes.IndexByte(b, '_') < 0 {
		return string(b)
	}
	p.canon = p.canon[:0]
	for _, c := range b {
		if c != '_' {
			p.canon = append(p.canon, c)
		}
	}
	return string(p.canon)
}
