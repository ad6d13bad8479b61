package serial

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gyro-rpc/gyro/pyval"
)

// The json serializer (id 2) is what Pyro4's JsonSerializer makes of
// Python's stdlib json: json.dumps(ensure_ascii=False) encoded as UTF-8 on
// the way out, json.loads on the way in. The encoder writes the same bytes
// json.dumps writes; the decoder accepts exactly what json.loads accepts
// (NaN and ±Infinity included) and fails with the exception json.loads
// raises, message and position included, because that exception is what a
// Pyro4 daemon sends back for a payload it cannot read.

// JSON writes what Pyro4's JsonSerializer writes (Python's json.dumps with
// ensure_ascii=False, as UTF-8: separators ", " and ": ", floats as
// Python's repr, NaN and ±Infinity, tuples and sets as lists, non-str keys
// converted) and reads what json.loads reads. bytes and complex values are
// a SerializeError, as in Pyro4. Decoding errors are the *pyval.Exception
// Pyro4 raises for the same input, so a daemon can send them back as is.
var JSON Codec = jsonCodec{}

// jsonCodec is JSON, or JSON5 with gen5 set.
type jsonCodec struct{ gen5 bool }

// ClassJSONDecodeError is the class of the exception the json codec
// returns for a payload that is not JSON, as Python's json module raises
// it. A Pyro4 client cannot rebuild it and reports a SerializeError.
const ClassJSONDecodeError = "json.decoder.JSONDecodeError"

// jsonMaxDepth bounds nesting in both directions. Python gives up near its
// recursion limit of 1000 with a RecursionError; gyro does the same at a
// fixed depth.
const jsonMaxDepth = 1000

// pyMaxStrDigits is Python's default limit on int <-> decimal text
// conversion (sys.get_int_max_str_digits()), which json hits both ways.
const pyMaxStrDigits = 4300

func (c jsonCodec) ID() int {
	if c.gen5 {
		return ID5JSON
	}
	return IDJSON
}
func (jsonCodec) Name() string { return "json" }

// Marshal appends v as json.dumps writes it.
func (c jsonCodec) Marshal(dst []byte, v any, r Replacer) ([]byte, error) {
	if c.gen5 {
		v = ForPyro5(v)
	}
	e := jsonEncoder{buf: dst, r: r, start: len(dst), surr: -1}
	if err := e.value(v, 0); err != nil {
		return dst, err
	}
	if err := e.finish(); err != nil {
		return dst, err
	}
	return e.buf, nil
}

// MarshalCall appends Pyro4's json call object. Kwargs nil is null for
// __getattr__, __setattr__ and <batch>, as the Pyro4 proxy sends it, and {}
// for every other method.
func (jc jsonCodec) MarshalCall(dst []byte, c *Call, r Replacer) ([]byte, error) {
	if jc.gen5 {
		c = callForPyro5(c)
	}
	e := jsonEncoder{buf: dst, r: r, start: len(dst), surr: -1}
	e.buf = append(e.buf, `{"object": `...)
	e.str(c.Object)
	e.buf = append(e.buf, `, "method": `...)
	e.str(c.Method)
	e.buf = append(e.buf, `, "params": `...)
	if err := e.list(c.Args, 0); err != nil {
		return dst, err
	}
	e.buf = append(e.buf, `, "kwargs": `...)
	switch {
	case c.Kwargs != nil:
		if err := e.dict(c.Kwargs, 0); err != nil {
			return dst, err
		}
	case c.KwargsNone || kwargsMayBeNone(c.Method):
		e.buf = append(e.buf, "null"...)
	default:
		e.buf = append(e.buf, "{}"...)
	}
	e.buf = append(e.buf, '}')
	if err := e.finish(); err != nil {
		return dst, err
	}
	return e.buf, nil
}

// kwargsMayBeNone reports the methods for which the Pyro4 proxy sends None
// kwargs.
func kwargsMayBeNone(method string) bool {
	return method == "__getattr__" || method == "__setattr__" || method == "<batch>"
}

// Unmarshal decodes one value as Pyro4's JsonSerializer.loads does, class
// dicts rebuilt.
func (c jsonCodec) Unmarshal(data []byte) (any, error) {
	v, sawClass, err := jsonDecode(data)
	if err != nil {
		return nil, err
	}
	if sawClass {
		return modelRecreate(v, c.gen5)
	}
	return v, nil
}

// UnmarshalCall decodes a call object. Like Pyro4 it needs all four keys
// and looks them up in the order params, kwargs, object, method, so a
// missing one is the same KeyError a Pyro4 daemon reports.
func (jc jsonCodec) UnmarshalCall(data []byte, c *Call) error {
	d := newJSONDecoder(data)
	defer d.release()
	if err := d.begin(); err != nil {
		return err
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		v, err := d.value()
		if err == nil {
			err = d.end()
		}
		if err != nil {
			return err
		}
		return notSubscriptable(v)
	}
	// The call object is read straight into its parts: no dict, and the
	// object and method strings stay unboxed.
	p := callParts{dst: c.Args}
	if err := d.callObject(&p); err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	for i, key := range callKeys {
		if p.have&(1<<i) == 0 {
			return pyval.NewException(pyval.ClassKeyError, key)
		}
	}
	if d.sawClass {
		if err := p.recreate(jc.gen5); err != nil {
			return err
		}
	}
	return fillCall(c, &p)
}

// callKeys are the keys of a json call, in the order Pyro4 looks them up.
var callKeys = [4]string{"params", "kwargs", "object", "method"}

// callParts holds a decoded call before it is checked. The object id and
// method name are kept as strings when they are (the normal case), else
// as values.
type callParts struct {
	dst            []any // the Call's Args, whose array args reuse
	object, method part
	vargs, kwargs  any
	args           []any // the vargs when they are a list, if argsSet
	argsSet        bool
	have           uint8 // json: bit i set when callKeys[i] was present
}

// recreate rebuilds the class dicts in vargs and kwargs.
func (p *callParts) recreate(gen5 bool) error {
	var err error
	if p.argsSet {
		err = recreateElems(p.args, gen5)
	} else {
		p.vargs, err = modelRecreate(p.vargs, gen5)
	}
	if err != nil {
		return err
	}
	p.kwargs, err = modelRecreate(p.kwargs, gen5)
	return err
}

type part struct {
	s     string
	other any
	isStr bool
}

func partOf(v any) part {
	if s, ok := v.(string); ok {
		return part{s: s, isStr: true}
	}
	return part{other: v}
}

// notSubscriptable is the TypeError Python raises for data["params"] when
// data is not a dict.
func notSubscriptable(v any) error {
	switch v.(type) {
	case []any:
		return pyval.NewException(pyval.ClassTypeError, "list indices must be integers or slices, not str")
	case string:
		return pyval.NewException(pyval.ClassTypeError, "string indices must be integers, not 'str'")
	}
	return pyval.NewException(pyval.ClassTypeError, fmt.Sprintf("'%s' object is not subscriptable", pyval.TypeName(v)))
}

// ---- encoding ----

type jsonEncoder struct {
	buf   []byte
	r     Replacer
	start int // where this document starts in buf
	// The first run of surrogates met in a str, in characters of the
	// document (surr is -1 for none): see finish.
	surr, surrEnd int
}

// finish fails a document that holds a surrogate as Pyro4 fails it: the
// json text is built whole (a Python str can hold a lone surrogate, which
// the json decoder and marshal give the model as its WTF-8 bytes) and its
// encoding to UTF-8 raises UnicodeEncodeError, whose object is the whole
// text and whose positions count characters.
func (e *jsonEncoder) finish() error {
	if e.surr < 0 {
		return nil
	}
	return &pyval.Exception{Class: "builtins.UnicodeEncodeError", Args: pyval.Tuple{
		"utf-8", string(e.buf[e.start:]), int64(e.surr), int64(e.surrEnd), "surrogates not allowed"}}
}

// isSurrogateAt reports whether s holds the WTF-8 encoding of a surrogate
// (U+D800..U+DFFF) at i.
func isSurrogateAt(s string, i int) bool {
	return i+2 < len(s) && s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2]&0xc0 == 0x80
}

// appendWTF8 appends r as UTF-8, writing a surrogate as its 3-byte form
// (which utf8.AppendRune would replace with U+FFFD).
func appendWTF8(b []byte, r rune) []byte {
	if r >= 0xd800 && r <= 0xdfff {
		return append(b, 0xe0|byte(r>>12), 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f)
	}
	return utf8.AppendRune(b, r)
}

func (e *jsonEncoder) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case string:
		e.str(x)
	case bool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case float64:
		e.float(x)
	case *big.Int:
		return e.bigInt(x)
	case []any:
		return e.list(x, depth)
	case pyval.Tuple:
		return e.list(x, depth)
	case pyval.Set:
		// json.dumps has no set; Pyro4's default() hands it over as a tuple.
		return e.list(x, depth)
	case *pyval.Dict:
		return e.dict(x, depth)
	case []byte:
		return jsonCannot("bytes")
	case complex128:
		return jsonCannot("complex")
	default:
		if depth >= jsonMaxDepth {
			return errJSONEncodeDepth()
		}
		nv, err := normalizeValue(v, e.r)
		if err != nil {
			return err
		}
		return e.value(nv, depth+1)
	}
	return nil
}

func errJSONEncodeDepth() error {
	return pyval.NewException("RecursionError", "maximum recursion depth exceeded while encoding a JSON object")
}

// jsonCannot is the SerializeError Pyro4's JsonSerializer raises for a
// type json.dumps cannot write (bytes, complex).
func jsonCannot(typ string) error {
	return pyval.NewException(pyval.ClassSerializeError, "don't know how to serialize class <class '"+typ+
		"'> using serializer JsonSerializer. Give it vars() or an appropriate __getstate__")
}

func (e *jsonEncoder) float(f float64) {
	switch {
	case math.IsNaN(f):
		e.buf = append(e.buf, "NaN"...)
	case math.IsInf(f, 1):
		e.buf = append(e.buf, "Infinity"...)
	case math.IsInf(f, -1):
		e.buf = append(e.buf, "-Infinity"...)
	default:
		e.buf = appendPyFloat(e.buf, f)
	}
}

func (e *jsonEncoder) bigInt(x *big.Int) error {
	if x == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if err := checkStrDigits(x); err != nil {
		return err
	}
	e.buf = x.Append(e.buf, 10)
	return nil
}

// checkStrDigits refuses what Python's int-to-str conversion refuses.
func checkStrDigits(x *big.Int) error {
	// 4300 decimal digits need at least 14281 bits; below that no check.
	if x.BitLen() <= 14280 {
		return nil
	}
	n := len(x.String())
	if x.Sign() < 0 {
		n--
	}
	if n > pyMaxStrDigits {
		return pyval.NewException(pyval.ClassValueError, "Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit")
	}
	return nil
}

func (e *jsonEncoder) list(l []any, depth int) error {
	if len(l) == 0 {
		e.buf = append(e.buf, "[]"...)
		return nil
	}
	if depth >= jsonMaxDepth {
		return errJSONEncodeDepth()
	}
	e.buf = append(e.buf, '[')
	for i, x := range l {
		if i > 0 {
			e.buf = append(e.buf, ", "...)
		}
		if err := e.value(x, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *jsonEncoder) dict(d *pyval.Dict, depth int) error {
	items := d.Items()
	if len(items) == 0 {
		e.buf = append(e.buf, "{}"...)
		return nil
	}
	if depth >= jsonMaxDepth {
		return errJSONEncodeDepth()
	}
	e.buf = append(e.buf, '{')
	for i, it := range items {
		if i > 0 {
			e.buf = append(e.buf, ", "...)
		}
		if err := e.key(it.Key); err != nil {
			return err
		}
		e.buf = append(e.buf, ": "...)
		if err := e.value(it.Value, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// key writes a dict key the way json.dumps converts it: str as is, float,
// bool, None and int as their json text inside a string.
func (e *jsonEncoder) key(k any) error {
	for range 2 {
		switch x := k.(type) {
		case string:
			e.str(x)
			return nil
		case bool, nil, int64, int, float64:
			e.buf = append(e.buf, '"')
			_ = e.value(x, 0) // none of these can fail
			e.buf = append(e.buf, '"')
			return nil
		case *big.Int:
			e.buf = append(e.buf, '"')
			if err := e.bigInt(x); err != nil {
				return err
			}
			e.buf = append(e.buf, '"')
			return nil
		case []byte, complex128, pyval.Tuple, []any, pyval.Set, *pyval.Dict:
			return keyTypeError(x)
		}
		// Go integer kinds and the like: convert once, without the
		// Replacer (a registered object is never a dict key).
		nk, err := pyval.FromGo(k)
		if err != nil {
			return err
		}
		k = nk
	}
	return keyTypeError(k)
}

func keyTypeError(k any) error {
	name := pyval.TypeName(k)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return pyval.NewException(pyval.ClassTypeError, "keys must be str, int, float, bool or None, not "+name)
}

const hexDigits = "0123456789abcdef"

// str writes s as json.dumps(ensure_ascii=False) does: raw UTF-8 with ",
// \ and the control characters escaped. A surrogate (in WTF-8) is written
// as it is and fails the document in finish. Other bytes that are not UTF-8
// (a Go string can hold them, a Python str cannot) become U+FFFD.
func (e *jsonEncoder) str(s string) {
	b := append(e.buf, '"')
	start := 0
	// Words of plain ASCII are skipped whole: at the start and after each
	// byte that is not plain ASCII, where another plain run may begin.
	for i := skipPlain(s, 0, stopHigh, '"', '\\'); i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i = skipPlain(s, i+size, stopHigh, '"', '\\')
				continue
			}
			if isSurrogateAt(s, i) {
				if e.surr < 0 {
					e.surrogates(b, s, start, i)
				}
				i = skipPlain(s, i+3, stopHigh, '"', '\\')
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			start = i + 1
			i = skipPlain(s, i+1, stopHigh, '"', '\\')
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
		i = skipPlain(s, i+1, stopHigh, '"', '\\')
	}
	b = append(b, s[start:]...)
	e.buf = append(b, '"')
}

// surrogates records the run of surrogates at s[i:] when it is the
// document's first: positions in characters, as Python counts them, of
// what b (the document so far) and s[start:i] hold before it.
func (e *jsonEncoder) surrogates(b []byte, s string, start, i int) {
	e.surr = utf8.RuneCount(b[e.start:]) + utf8.RuneCountInString(s[start:i])
	e.surrEnd = e.surr
	for j := i; isSurrogateAt(s, j); j += 3 {
		e.surrEnd++
	}
}
