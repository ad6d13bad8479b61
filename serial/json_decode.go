package serial

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gyro-rpc/gyro/pyval"
)

// The json decoder: json.loads, errors included.

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
	strs    strBlock // boxes the message's strs
}

var jsonDecoders = sync.Pool{New: func() any { return new(jsonDecoder) }}

func newJSONDecoder(data []byte) *jsonDecoder {
	d := jsonDecoders.Get().(*jsonDecoder)
	d.data = data
	return d
}

// release returns d to the pool holding no references to decoded values.
func (d *jsonDecoder) release() {
	d.strs.drop()
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
		b, err := d.strBytes()
		if err != nil {
			return nil, err
		}
		return d.strs.box(b, len(d.data)-d.pos), nil
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
