package serial

import (
	"bytes"
	"errors"
	"math/big"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/gyro-rpc/gyro/pyval"
)

// The serpent decoder's lexical part: string and number literals.

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
	body, isBytes, err := p.stringsBody()
	switch {
	case err != nil:
		return "", nil, false, err
	case isBytes:
		return "", append([]byte{}, body...), true, nil
	}
	return string(body), nil, false, nil
}

// parseStringValue is parseStrings for a value: a str comes boxed, in one
// allocation (boxString).
func (p *serpentParser) parseStringValue() (any, error) {
	body, isBytes, err := p.stringsBody()
	switch {
	case err != nil:
		return nil, err
	case isBytes:
		return append([]byte{}, body...), nil
	}
	return p.strs.box(body, len(p.data)-p.pos), nil
}

// stringsBody parses adjacent string literals and returns their decoded
// body, which aliases the input or p.sbuf until the next parse.
func (p *serpentParser) stringsBody() (body []byte, isBytes bool, err error) {
	p.sbuf = p.sbuf[:0]
	raw, decoded, isBytes, err := p.literal()
	if err != nil {
		return nil, false, err
	}
	p.skipSpace()
	if !p.atStringStart() {
		if decoded {
			return p.sbuf, isBytes, nil
		}
		return raw, isBytes, nil
	}
	if !decoded {
		p.sbuf = append(p.sbuf, raw...)
	}
	for p.atStringStart() {
		raw, decoded, nextBytes, err := p.literal()
		if err != nil {
			return nil, false, err
		}
		if nextBytes != isBytes {
			return nil, false, p.syntaxError("cannot mix bytes and nonbytes literals")
		}
		if !decoded {
			p.sbuf = append(p.sbuf, raw...)
		}
		p.skipSpace()
	}
	return p.sbuf, isBytes, nil
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
		i = p.plainEnd(i, q, triple)
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
// carriage return, or a newline unless triple-quoted; len(p.data) if none.
// Where check found no control byte in p's text (lineless) no line break
// can be there, and only the first scan is made. The scans are vectorized
// (indexQuote, bytes.IndexByte), so long strings cost a few passes rather
// than a branch per byte.
func (p *serpentParser) plainEnd(i int, q byte, triple bool) int {
	rest := p.data[i:]
	rest = rest[:indexQuote(rest, q)]
	if p.lineless {
		return i + len(rest)
	}
	if j := bytes.IndexByte(rest, '\r'); j >= 0 {
		rest = rest[:j]
	}
	if triple {
		return i + len(rest)
	}
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return i + len(rest)
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
		// a surrogate stays one, in WTF-8, as in a Python str
		p.sbuf = appendWTF8(p.sbuf, rune(v))
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
