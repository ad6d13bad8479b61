package serial

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gyro-rpc/gyro/pyval"
)

// The serpent decoder: ast.literal_eval's grammar over serpent's output.

// Unmarshal decodes one serpent value. Class dicts are rebuilt through
// pyval.FromClassDict, whose refusals are returned as the error.
func (c serpentCodec) Unmarshal(data []byte) (any, error) {
	p := newSerpentParser(data)
	p.gen5 = c.gen5
	defer p.release()
	if err := p.begin(); err != nil {
		return nil, err
	}
	return p.parseTop()
}

// UnmarshalCall decodes (objectId, method, vargs, kwargs) into c. vargs may
// be a tuple or a list, kwargs a dict with str keys or None.
func (sc serpentCodec) UnmarshalCall(data []byte, c *Call) error {
	p := newSerpentParser(data)
	p.gen5 = sc.gen5
	defer p.release()
	if err := p.begin(); err != nil {
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
	gen5   bool         // class dicts carry Pyro5's names (Serpent5)
	// lineless: no byte below 0x20 after the header, so no line break
	// can end a string literal's plain run (plainEnd)
	lineless bool
	strs     strBlock // boxes the message's strs
}

func newSerpentParser(data []byte) *serpentParser {
	p := serpentParserPool.Get().(*serpentParser)
	p.data, p.pos, p.values, p.gen5, p.lineless = data, 0, 0, false, false
	return p
}

func (p *serpentParser) release() {
	p.data = nil
	p.strs.drop()
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

// begin refuses what serpent.loads refuses before parsing (check), and
// steps over the header line serpent writes, which skipSpace would
// otherwise read as a comment.
func (p *serpentParser) begin() error {
	if len(p.data) >= len(serpentHeader) && string(p.data[:len(serpentHeader)]) == serpentHeader {
		p.pos = len(serpentHeader)
	}
	return p.check()
}

// check refuses what serpent.loads refuses before parsing: text that is
// not UTF-8, and NUL characters. Plain ASCII, what Pyro sends for most
// calls, is checked for both in one pass, which also tells whether the
// text after the header has a control byte (lineless).
func (p *serpentParser) check() error {
	ok, noControl := asciiScan(p.data[p.pos:]) // the header is ASCII
	if ok {
		p.lineless = noControl
		return nil
	}
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
	// the usual case, inlined: nothing to skip
	if p.pos < len(p.data) && !serpentSkips[p.data[p.pos]] {
		return
	}
	p.skipSpaceSlow()
}

// serpentSkips marks the bytes skipSpace may skip or start skipping at.
var serpentSkips = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '\f': true, '#': true, '\\': true}

func (p *serpentParser) skipSpaceSlow() {
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

// parseElem parses an element of a tuple or list at depth: parseExpr, with
// a shortcut for the element most calls carry, a str literal with no
// prefix, escape or line break that the ',' or the closing bracket
// follows. The shortcut gives what parseExpr gives, value count included;
// anything else (a concatenation, a triple quote, an operator after the
// literal, the value limit) takes the general path from the start.
func (p *serpentParser) parseElem(depth int) (any, serpentKind, error) {
	if q := p.peek(); (q == '\'' || q == '"') && depth <= serpentMaxDepth && p.values < maxValues {
		open := p.pos + 1
		end := p.plainEnd(open, q, false)
		if end < len(p.data) && p.data[end] == q {
			p.pos = end + 1
			p.skipSpace()
			if c := p.peek(); c == ',' || c == ')' || c == ']' {
				p.values++
				return p.strs.box(p.data[open:end], len(p.data)-end), skOther, nil
			}
			p.pos = open - 1
		}
	}
	return p.parseExpr(depth)
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
		v, err := p.parseStringValue()
		return v, skOther, err
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
		v, k, err := p.parseElem(depth + 1)
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
		v, _, err := p.parseElem(depth + 1)
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
	return p.parseArgsAt(1, dst)
}

// parseArgsAt is parseArgs for vargs nested at depth (a batch entry's).
func (p *serpentParser) parseArgsAt(depth int, dst []any) (args []any, seq bool, other any, err error) {
	p.skipSpace()
	switch p.peek() {
	case '[':
		p.pos++
		args, err = p.parseListElems(depth, dst, true)
		return args, true, nil, err
	case '(':
		start := p.pos
		p.pos++
		p.skipSpace()
		if p.peek() == ')' {
			p.pos++
			return dst[:0], true, nil, nil
		}
		first, k, err := p.parseElem(depth + 1)
		if err != nil {
			return nil, false, nil, err
		}
		p.skipSpace()
		if p.peek() == ',' {
			if q := p.pos + 1; q < len(p.data) && p.data[q] == ')' {
				// a tuple of one, as most calls send: not via the stack
				p.pos = q + 1
				return append(dst[:0], first), true, nil, nil
			}
			t, _, err := p.parseTupleTail(depth, first, k, dst, true)
			return t, true, nil, err
		}
		p.pos = start // a parenthesized expression: parse it again, generally
	}
	other, _, err = p.parseExpr(depth)
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
		if p.gen5 {
			var err error
			if d, err = FromPyro5ClassDict(d); err != nil {
				return nil, skUnhashable, err
			}
		}
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
