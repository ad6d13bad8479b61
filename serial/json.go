package serial

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
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

type jsonCodec struct{}

// JSON writes what Pyro4's JsonSerializer writes (Python's json.dumps with
// ensure_ascii=False, as UTF-8: separators ", " and ": ", floats as
// Python's repr, NaN and ±Infinity, tuples and sets as lists, non-str keys
// converted) and reads what json.loads reads. bytes and complex values are
// a SerializeError, as in Pyro4. Decoding errors are the *pyval.Exception
// Pyro4 raises for the same input, so a daemon can send them back as is.
var JSON Codec = jsonCodec{}

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

func (jsonCodec) ID() int      { return IDJSON }
func (jsonCodec) Name() string { return "json" }

// Marshal appends v as json.dumps writes it.
func (jsonCodec) Marshal(dst []byte, v any, r Replacer) ([]byte, error) {
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
func (jsonCodec) MarshalCall(dst []byte, c *Call, r Replacer) ([]byte, error) {
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
func (jsonCodec) Unmarshal(data []byte) (any, error) {
	v, sawClass, err := jsonDecode(data)
	if err != nil {
		return nil, err
	}
	if sawClass {
		return modelRecreate(v)
	}
	return v, nil
}

// UnmarshalCall decodes a call object. Like Pyro4 it needs all four keys
// and looks them up in the order params, kwargs, object, method, so a
// missing one is the same KeyError a Pyro4 daemon reports.
func (jsonCodec) UnmarshalCall(data []byte, c *Call) error {
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
		if err := p.recreate(); err != nil {
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
func (p *callParts) recreate() error {
	var err error
	if p.argsSet {
		err = recreateElems(p.args)
	} else {
		p.vargs, err = modelRecreate(p.vargs)
	}
	if err != nil {
		return err
	}
	p.kwargs, err = modelRecreate(p.kwargs)
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

// ---- decoding ----

// jsonDecode parses data as json.loads does, without rebuilding class
// dicts; sawClass reports whether any object had a "__class__" key.
func jsonDecode(data []byte) (v any, sawClass bool, err error) {
	d := newJSONDecoder(data)
	defer d.release()
	if err = d.begin(); err != nil {
		return nil, false, err
	}
	if v, err = d.value(); err != nil {
		return nil, false, err
	}
	if err = d.end(); err != nil {
		return nil, false, err
	}
	return v, d.sawClass, nil
}

type jsonDecoder struct {
	data     []byte
	pos      int
	depth    int
	values   int // decoded so far, against MaxValues
	sawClass bool
	// Scratch stacks shared by nested containers, so each list or dict
	// allocates once, at its final size. Pooled with the decoder.
	elems   []any
	items   []pyval.Item
	scratch []byte
}

var jsonDecoders = sync.Pool{New: func() any { return new(jsonDecoder) }}

func newJSONDecoder(data []byte) *jsonDecoder {
	d := jsonDecoders.Get().(*jsonDecoder)
	d.data = data
	return d
}

// release returns d to the pool holding no references to decoded values.
func (d *jsonDecoder) release() {
	clear(d.elems)
	clear(d.items)
	if cap(d.elems) > 1024 || cap(d.items) > 1024 || cap(d.scratch) > 1<<16 {
		return // keep no outsized buffers
	}
	*d = jsonDecoder{elems: d.elems[:0], items: d.items[:0], scratch: d.scratch[:0]}
	jsonDecoders.Put(d)
}

// begin checks what Python checks before parsing (UTF-8, no BOM) and
// skips leading whitespace.
func (d *jsonDecoder) begin() error {
	if !utf8.Valid(d.data) {
		return unicodeDecodeError(d.data, false)
	}
	if len(d.data) >= 3 && d.data[0] == 0xef && d.data[1] == 0xbb && d.data[2] == 0xbf {
		return d.syntaxError("Unexpected UTF-8 BOM (decode using utf-8-sig)", 0)
	}
	d.skipSpace()
	return nil
}

// end allows trailing whitespace only.
func (d *jsonDecoder) end() error {
	d.skipSpace()
	if d.pos != len(d.data) {
		return d.syntaxError("Extra data", d.pos)
	}
	return nil
}

// syntaxError is json.decoder.JSONDecodeError at byte offset pos, with the
// character position, line and column Python reports, and the attributes
// (msg, doc, pos, lineno, colno) a Pyro4 daemon sends back with it.
func (d *jsonDecoder) syntaxError(msg string, pos int) error {
	before := d.data[:pos]
	cpos := utf8.RuneCount(before)
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := cpos + 1
	if nl := bytes.LastIndexByte(before, '\n'); nl >= 0 {
		col = cpos - utf8.RuneCount(before[:nl])
	}
	ex := pyval.NewException(ClassJSONDecodeError, fmt.Sprintf("%s: line %d column %d (char %d)", msg, line, col, cpos))
	ex.Attributes = pyval.DictOf("msg", msg, "doc", string(d.data), "pos", int64(cpos),
		"lineno", int64(line), "colno", int64(col))
	return ex
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) hasPrefix(s string) bool {
	return len(d.data)-d.pos >= len(s) && string(d.data[d.pos:d.pos+len(s)]) == s
}

// value parses the value at d.pos; Python's scanner tries the same
// alternatives in the same order.
func (d *jsonDecoder) value() (any, error) {
	if d.values++; d.values > maxValues {
		return nil, tooMany()
	}
	if d.pos >= len(d.data) {
		return nil, d.syntaxError("Expecting value", d.pos)
	}
	switch d.data[d.pos] {
	case '"':
		return d.str()
	case '{':
		return d.object()
	case '[':
		return d.array()
	case 'n':
		if d.hasPrefix("null") {
			d.pos += 4
			return nil, nil
		}
	case 't':
		if d.hasPrefix("true") {
			d.pos += 4
			return true, nil
		}
	case 'f':
		if d.hasPrefix("false") {
			d.pos += 5
			return false, nil
		}
	case 'N':
		if d.hasPrefix("NaN") {
			d.pos += 3
			return math.NaN(), nil
		}
	case 'I':
		if d.hasPrefix("Infinity") {
			d.pos += 8
			return math.Inf(1), nil
		}
	case '-':
		if d.hasPrefix("-Infinity") {
			d.pos += 9
			return math.Inf(-1), nil
		}
	}
	return d.number()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number follows Python's _match_number: a fraction needs a digit after
// the '.', and an exponent without digits is left for the caller to trip
// over, so "1." and "1e" are 1 followed by extra data.
func (d *jsonDecoder) number() (any, error) {
	data, start := d.data, d.pos
	i, n := start, len(data)
	if data[i] == '-' {
		i++
		if i >= n {
			return nil, d.syntaxError("Expecting value", start)
		}
	}
	switch {
	case data[i] >= '1' && data[i] <= '9':
		i++
		for i < n && isDigit(data[i]) {
			i++
		}
	case data[i] == '0':
		i++
	default:
		return nil, d.syntaxError("Expecting value", start)
	}
	isFloat := false
	if i < n-1 && data[i] == '.' && isDigit(data[i+1]) {
		isFloat = true
		i += 2
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	if i < n-1 && (data[i] == 'e' || data[i] == 'E') {
		e := i
		i++
		if i < n-1 && (data[i] == '-' || data[i] == '+') {
			i++
		}
		for i < n && isDigit(data[i]) {
			i++
		}
		if isDigit(data[i-1]) {
			isFloat = true
		} else {
			i = e
		}
	}
	d.pos = i
	text := data[start:i]
	if isFloat {
		// Out of range is ±inf or 0, as Python's float() gives it.
		f, _ := strconv.ParseFloat(string(text), 64)
		return f, nil
	}
	return parseDecimalInt(text)
}

// parseDecimalInt converts validated decimal digits (with an optional
// '-') to int64, or *big.Int when they do not fit, with Python's limit on
// the number of digits.
func parseDecimalInt(text []byte) (any, error) {
	digits := len(text)
	neg := text[0] == '-'
	if neg {
		digits--
	}
	if digits <= 18 {
		var v int64
		for _, c := range text[len(text)-digits:] {
			v = v*10 + int64(c-'0')
		}
		if neg {
			v = -v
		}
		return v, nil
	}
	if digits > pyMaxStrDigits {
		return nil, pyval.NewException(pyval.ClassValueError, fmt.Sprintf("Exceeds the limit (4300 digits) for integer string conversion: value has %d digits; use sys.set_int_max_str_digits() to increase the limit", digits))
	}
	x, _ := new(big.Int).SetString(string(text), 10)
	return pyval.Int(x), nil
}

func isHex(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func hexVal(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case isDigit(c):
			r = r<<4 | rune(c-'0')
		default:
			r = r<<4 | rune(c|0x20-'a'+10)
		}
	}
	return r
}

// str parses the string whose opening quote is at d.pos.
func (d *jsonDecoder) str() (string, error) {
	b, err := d.strBytes()
	return string(b), err
}

// strBytes parses the string whose opening quote is at d.pos and returns
// its text, which is valid until the next call.
func (d *jsonDecoder) strBytes() ([]byte, error) {
	data, start := d.data, d.pos
	// The first quote, backslash or control character decides. Short
	// strings (names, keys) are scanned byte by byte; past 16 bytes the
	// quote and the backslash are found with the vectorized IndexByte.
	for i := start + 1; i < min(len(data), start+17); i++ {
		switch c := data[i]; {
		case c == '"':
			d.pos = i + 1
			return data[start+1 : i], nil
		case c == '\\':
			return d.strEscaped(i)
		case c < 0x20:
			return nil, d.syntaxError("Invalid control character at", i)
		}
	}
	body := data[start+1:]
	end := bytes.IndexByte(body, '"')
	if end < 0 {
		end = len(body)
	}
	bs := bytes.IndexByte(body[:end], '\\')
	if bs >= 0 {
		end = bs
	}
	if k := ctlIndex(body[:end]); k >= 0 {
		return nil, d.syntaxError("Invalid control character at", start+1+k)
	}
	switch {
	case bs >= 0:
		return d.strEscaped(start + 1 + bs)
	case end == len(body):
		return nil, d.syntaxError("Unterminated string starting at", start)
	}
	d.pos = start + 1 + end + 1
	return body[:end], nil
}

// strEscaped finishes, in d.scratch, a string that has an escape at i.
func (d *jsonDecoder) strEscaped(i int) ([]byte, error) {
	data, start := d.data, d.pos
	b := append(d.scratch[:0], data[start+1:i]...)
	defer func() { d.scratch = b[:0] }()
	for {
		if i >= len(data) {
			return nil, d.syntaxError("Unterminated string starting at", start)
		}
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return b, nil
		case c < 0x20:
			return nil, d.syntaxError("Invalid control character at", i)
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		i++ // past the backslash
		if i >= len(data) {
			return nil, d.syntaxError("Unterminated string starting at", start)
		}
		switch data[i] {
		case '"', '\\', '/':
			b = append(b, data[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, next, err := d.unicodeEscape(i)
			if err != nil {
				return nil, err
			}
			b = appendWTF8(b, r)
			i = next
			continue
		default:
			return nil, d.syntaxError("Invalid \\escape", i-1)
		}
		i++
	}
}

// unicodeEscape decodes the \uXXXX whose 'u' is at u, joining a surrogate
// pair as Python does. A surrogate left alone is returned as it is: a
// Python str holds it, and Pyro4 calls the method with it (the reply then
// fails to encode, see jsonEncoder.finish).
func (d *jsonDecoder) unicodeEscape(u int) (r rune, next int, err error) {
	data := d.data
	// Python wants a character after the four digits (at least the
	// closing quote) and reports every \u problem at the 'u'.
	h := u + 1
	if h+4 >= len(data) || !isHex(data[h]) || !isHex(data[h+1]) || !isHex(data[h+2]) || !isHex(data[h+3]) {
		return 0, 0, d.syntaxError("Invalid \\uXXXX escape", u)
	}
	r = hexVal(data[h : h+4])
	next = h + 4
	if r >= 0xd800 && r <= 0xdbff && next+6 < len(data) && data[next] == '\\' && data[next+1] == 'u' {
		h2 := next + 2
		if !isHex(data[h2]) || !isHex(data[h2+1]) || !isHex(data[h2+2]) || !isHex(data[h2+3]) {
			return 0, 0, d.syntaxError("Invalid \\uXXXX escape", next+1)
		}
		if r2 := hexVal(data[h2 : h2+4]); r2 >= 0xdc00 && r2 <= 0xdfff {
			return 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00), h2 + 4, nil
		}
	}
	return r, next, nil
}

func (d *jsonDecoder) enter(what string) error {
	d.depth++
	if d.depth > jsonMaxDepth {
		return tooDeep(pyval.NewException("RecursionError", "maximum recursion depth exceeded while decoding a JSON "+what+" from a unicode string"))
	}
	return nil
}

func (d *jsonDecoder) array() (any, error) {
	l, err := d.arrayElems(nil, false)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// arrayElems parses the array at d.pos into a new slice, or appended to
// dst when into is set (see popElems).
func (d *jsonDecoder) arrayElems(dst []any, into bool) ([]any, error) {
	if err := d.enter("array"); err != nil {
		return nil, err
	}
	d.pos++
	d.skipSpace()
	base := len(d.elems)
	if d.pos >= len(d.data) || d.data[d.pos] != ']' {
		for {
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			d.elems = append(d.elems, v)
			d.skipSpace()
			if d.pos < len(d.data) && d.data[d.pos] == ']' {
				break
			}
			if d.pos >= len(d.data) || d.data[d.pos] != ',' {
				return nil, d.syntaxError("Expecting ',' delimiter", d.pos)
			}
			d.pos++
			d.skipSpace()
		}
	}
	d.pos++
	d.depth--
	return popElems(&d.elems, base, dst, into), nil
}

func (d *jsonDecoder) object() (any, error) {
	if err := d.enter("object"); err != nil {
		return nil, err
	}
	d.pos++
	d.skipSpace()
	base := len(d.items)
	var index *pyval.KeyIndex
	if d.pos >= len(d.data) || d.data[d.pos] != '}' {
		for {
			if d.pos >= len(d.data) || d.data[d.pos] != '"' {
				return nil, d.syntaxError("Expecting property name enclosed in double quotes", d.pos)
			}
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.skipSpace()
			if d.pos >= len(d.data) || d.data[d.pos] != ':' {
				return nil, d.syntaxError("Expecting ':' delimiter", d.pos)
			}
			d.pos++
			d.skipSpace()
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			if k == "__class__" {
				d.sawClass = true
			}
			d.items = pyval.AddItem(d.items, base, &index, k, v)
			d.skipSpace()
			if d.pos < len(d.data) && d.data[d.pos] == '}' {
				break
			}
			if d.pos >= len(d.data) || d.data[d.pos] != ',' {
				return nil, d.syntaxError("Expecting ',' delimiter", d.pos)
			}
			d.pos++
			d.skipSpace()
		}
	}
	d.pos++
	d.depth--
	return popDict(&d.items, base), nil
}

// emptyObject consumes an empty object {} at d.pos, if there is one.
func (d *jsonDecoder) emptyObject() bool {
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return false
	}
	save := d.pos
	d.pos++
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return true
	}
	d.pos = save
	return false
}

// callObject reads the top-level call object into p, following object()
// step for step so that errors are the same.
func (d *jsonDecoder) callObject(p *callParts) error {
	if err := d.enter("object"); err != nil {
		return err
	}
	d.pos++
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return d.syntaxError("Expecting property name enclosed in double quotes", d.pos)
		}
		kb, err := d.strBytes()
		if err != nil {
			return err
		}
		key := -1
		for i, k := range callKeys {
			if string(kb) == k {
				key = i
			}
		}
		if string(kb) == "__class__" {
			d.sawClass = true
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return d.syntaxError("Expecting ':' delimiter", d.pos)
		}
		d.pos++
		d.skipSpace()
		switch key {
		case 2, 3: // object, method
			var pt part
			if d.pos < len(d.data) && d.data[d.pos] == '"' {
				b, err := d.strBytes()
				if err != nil {
					return err
				}
				pt = part{s: internString(b), isStr: true}
			} else {
				v, err := d.value()
				if err != nil {
					return err
				}
				pt = partOf(v)
			}
			if key == 2 {
				p.object = pt
			} else {
				p.method = pt
			}
		case 0: // params: a list, normally, kept unboxed
			if d.pos < len(d.data) && d.data[d.pos] == '[' {
				l, err := d.arrayElems(p.dst, true)
				if err != nil {
					return err
				}
				p.args, p.argsSet, p.vargs = l, true, nil
			} else {
				v, err := d.value()
				if err != nil {
					return err
				}
				p.args, p.argsSet, p.vargs = nil, false, v
			}
		case 1: // kwargs: {} is kept as nil, sparing a dict per call
			if d.emptyObject() {
				p.kwargs = emptyKwargs{}
				break
			}
			v, err := d.value()
			if err != nil {
				return err
			}
			p.kwargs = v
		default:
			if _, err := d.value(); err != nil {
				return err
			}
		}
		if key >= 0 {
			p.have |= 1 << key
		}
		d.skipSpace()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			break
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ',' {
			return d.syntaxError("Expecting ',' delimiter", d.pos)
		}
		d.pos++
		d.skipSpace()
	}
	d.pos++
	d.depth--
	return nil
}

// ---- shared by the json and marshal codecs ----

// popElems moves (*stack)[base:] off the scratch stack: appended to dst[:0]
// when into is set, which is how a Call's Args array is reused from call to
// call, or else into a new slice of exactly that size.
func popElems(stack *[]any, base int, dst []any, into bool) []any {
	its := (*stack)[base:]
	var out []any
	if into {
		out = append(dst[:0], its...)
	} else {
		out = make([]any, len(its))
		copy(out, its)
	}
	clear(its)
	*stack = (*stack)[:base]
	return out
}

// popDict turns (*items)[base:] into a dict of exactly that size and
// truncates the scratch stack back to base.
func popDict(items *[]pyval.Item, base int) *pyval.Dict {
	its := (*items)[base:]
	out := pyval.NewDict(len(its))
	for _, it := range its {
		out.Append(it.Key, it.Value)
	}
	clear(its)
	*items = (*items)[:base]
	return out
}

// normalizeValue turns a value outside the model's basic types into one
// inside it: the Replacer first (so a registered object becomes a proxy),
// then ClassDict() for class-dict values, then pyval.FromGo. Containers
// that FromGo returns still hold raw Go values; the encoders pass each of
// those through here as they meet it.
func normalizeValue(v any, r Replacer) (any, error) {
	if r != nil {
		if nv, ok := r(v); ok {
			v = nv
		}
	}
	// FromGo may need more than one step (a Valuer returning a struct).
	for range 8 {
		switch x := v.(type) {
		case nil, bool, int64, float64, string, []byte, complex128, *big.Int,
			pyval.Tuple, []any, pyval.Set, *pyval.Dict:
			return v, nil
		case pyval.ClassDicter:
			if isNilPointer(x) {
				return nil, nil
			}
			return x.ClassDict(), nil
		}
		nv, err := pyval.FromGo(v)
		if err != nil {
			return nil, err
		}
		v = nv
	}
	return nil, pyval.Errorf(pyval.ClassSerializeError, "don't know how to serialize %T", v)
}

// fillCall checks the four parts of a decoded call and stores them in c,
// raising for bad parts what the Pyro4 daemon raises when it uses them: an
// object id that is not a str is an unknown object, a method name that is
// not a str fails the daemon's private-name check, and vargs and kwargs
// must be usable as *vargs and **kwargs. A None kwargs is kept as nil;
// kwargs are not checked for __getattr__, __setattr__ and <batch>, which
// ignore them.
func fillCall(c *Call, p *callParts) error {
	if !p.object.isStr {
		if !pyval.Hashable(p.object.other) {
			return pyval.NewException(pyval.ClassTypeError, "unhashable type: '"+pyval.TypeName(p.object.other)+"'")
		}
		return pyval.NewException(pyval.ClassDaemonError, "unknown object")
	}
	if !p.method.isStr {
		return pyval.NewException(pyval.ClassAttributeError, "'"+pyval.TypeName(p.method.other)+"' object has no attribute 'startswith'")
	}
	obj, m, vargs, kwargs := p.object.s, p.method.s, p.vargs, p.kwargs
	args := p.args
	if !p.argsSet {
		var ok bool
		if args, ok = pyval.Iterate(vargs); !ok {
			return pyval.NewException(pyval.ClassTypeError, "argument after * must be an iterable, not "+pyval.TypeName(vargs))
		}
	}
	var kw *pyval.Dict
	switch x := kwargs.(type) {
	case emptyKwargs:
	case nil:
	case *pyval.Dict:
		if x.Len() > 0 {
			kw = x
		}
		if !kwargsMayBeNone(m) {
			for _, it := range x.Items() {
				if _, ok := it.Key.(string); !ok {
					return pyval.NewException(pyval.ClassTypeError, "keywords must be strings")
				}
			}
		}
	default:
		if !kwargsMayBeNone(m) {
			return pyval.NewException(pyval.ClassTypeError, "argument after ** must be a mapping, not "+pyval.TypeName(kwargs))
		}
	}
	*c = Call{Object: obj, Method: m, Args: args, Kwargs: kw, KwargsNone: kwargs == nil}
	return nil
}

// modelRecreate rebuilds the class dicts in a freshly decoded value the
// way Pyro4's recreate_classes does: top down, through lists, tuples and
// plain dicts, handing a dict with "__class__" to pyval.FromClassDict
// without touching its contents first (only an _ExceptionWrapper's
// exception is rebuilt, as Pyro4 does). Lists and tuples are updated in
// place; dicts are copied.
func modelRecreate(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		return x, recreateElems(x)
	case pyval.Tuple:
		return x, recreateElems(x)
	case *pyval.Dict:
		if cv, ok := x.Get("__class__"); ok {
			return rebuildClassDict(x, cv)
		}
		items := x.Items()
		i := 0
		for i < len(items) && !isContainer(items[i].Value) {
			i++
		}
		if i == len(items) {
			return x, nil
		}
		out := pyval.NewDict(len(items))
		for _, it := range items {
			val := it.Value
			if isContainer(val) {
				var err error
				if val, err = modelRecreate(val); err != nil {
					return nil, err
				}
			}
			out.Append(it.Key, val)
		}
		return out, nil
	}
	return v, nil
}

func recreateElems(l []any) error {
	for i, e := range l {
		if isContainer(e) {
			r, err := modelRecreate(e)
			if err != nil {
				return err
			}
			l[i] = r
		}
	}
	return nil
}

// isContainer reports the values modelRecreate looks into (sets hold only
// hashable values, so never a dict).
func isContainer(v any) bool {
	switch v.(type) {
	case []any, pyval.Tuple, *pyval.Dict:
		return true
	}
	return false
}

func rebuildClassDict(d *pyval.Dict, class any) (any, error) {
	if b, ok := class.([]byte); ok {
		// Pyro4 decodes a bytes class name (marshal can carry one).
		d = replaceItem(d, "__class__", string(b))
		class = string(b)
	}
	if class == "Pyro4.futures._ExceptionWrapper" {
		if ev, ok := d.Get("exception"); ok {
			if ed, ok := ev.(*pyval.Dict); ok {
				if cv, ok := ed.Get("__class__"); ok {
					ex, err := rebuildClassDict(ed, cv)
					if err != nil {
						return nil, err
					}
					d = replaceItem(d, "exception", ex)
				}
			}
		}
	}
	return pyval.FromClassDict(d, false)
}

// replaceItem returns a copy of d with key's value replaced.
func replaceItem(d *pyval.Dict, key string, v any) *pyval.Dict {
	out := pyval.NewDict(d.Len())
	for _, it := range d.Items() {
		if k, ok := it.Key.(string); ok && k == key {
			out.Append(it.Key, v)
		} else {
			out.Append(it.Key, it.Value)
		}
	}
	return out
}

// ---- UTF-8 as CPython checks it ----

// unicodeDecodeError is the UnicodeDecodeError CPython's strict UTF-8
// decoder raises for b, with its (encoding, object, start, end, reason)
// args. surrogatePass accepts encoded surrogates, as marshal does.
func unicodeDecodeError(b []byte, surrogatePass bool) error {
	start, end, reason, bad := utf8Problem(b, surrogatePass)
	if !bad {
		return nil
	}
	return &pyval.Exception{Class: "builtins.UnicodeDecodeError", Args: pyval.Tuple{
		"utf-8", bytes.Clone(b), int64(start), int64(end), reason}}
}

// utf8Problem finds the first error as CPython reports it.
func utf8Problem[T string | []byte](b T, surrogatePass bool) (start, end int, reason string, bad bool) {
	const (
		invalidStart = "invalid start byte"
		invalidCont  = "invalid continuation byte"
		unexpected   = "unexpected end of data"
	)
	cont := func(c byte) bool { return c&0xc0 == 0x80 }
	n := len(b)
	for i := 0; i < n; {
		c := b[i]
		switch {
		case c < 0x80:
			i++
			continue
		case c < 0xc2:
			return i, i + 1, invalidStart, true
		case c < 0xe0:
			if i+1 >= n {
				return i, n, unexpected, true
			}
			if !cont(b[i+1]) {
				return i, i + 1, invalidCont, true
			}
			i += 2
		case c < 0xf0:
			if i+1 >= n {
				return i, n, unexpected, true
			}
			c1 := b[i+1]
			if c == 0xed && c1 >= 0xa0 && c1 <= 0xbf {
				if surrogatePass && i+2 < n && cont(b[i+2]) {
					i += 3
					continue
				}
				return i, i + 1, invalidCont, true
			}
			if !cont(c1) || (c == 0xe0 && c1 < 0xa0) {
				return i, i + 1, invalidCont, true
			}
			if i+2 >= n {
				return i, n, unexpected, true
			}
			if !cont(b[i+2]) {
				return i, i + 2, invalidCont, true
			}
			i += 3
		case c < 0xf5:
			if i+1 >= n {
				return i, n, unexpected, true
			}
			c1 := b[i+1]
			if !cont(c1) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f) {
				return i, i + 1, invalidCont, true
			}
			if i+2 >= n {
				return i, n, unexpected, true
			}
			if !cont(b[i+2]) {
				return i, i + 2, invalidCont, true
			}
			if i+3 >= n {
				return i, n, unexpected, true
			}
			if !cont(b[i+3]) {
				return i, i + 3, invalidCont, true
			}
			i += 4
		default:
			return i, i + 1, invalidStart, true
		}
	}
	return 0, 0, "", false
}
