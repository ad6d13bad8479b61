package serial

import "bytes"

// UnmarshalBatch decodes ('obj', '<batch>', [entries], None) into b, each
// entry ('method', vargs, kwargs) into one of b's calls (see
// BatchUnmarshaler).
func (sc serpentCodec) UnmarshalBatch(data []byte, b *Batch) bool {
	b.Reset()
	p := newSerpentParser(data)
	p.gen5 = sc.gen5
	defer p.release()
	if p.begin() != nil {
		return false
	}
	p.skipSpace()
	if p.peek() != '(' {
		return false
	}
	p.pos++
	var strs [2]string
	for i := range strs {
		p.skipSpace()
		if !p.atStringStart() {
			return false
		}
		s, isBytes, err := p.parseStringsInterned()
		if err != nil || isBytes || !p.comma() {
			return false
		}
		strs[i] = s
	}
	if strs[1] != MethodBatch {
		return false
	}
	p.values += 5 // the call tuple, its strs, the entries and the kwargs
	ok := p.batchEntries(b) && p.comma()
	if ok && !p.emptyDict() {
		ok = p.none()
	}
	if !ok {
		return b.fail()
	}
	p.skipSpace()
	if p.peek() == ',' {
		p.pos++
		p.skipSpace()
	}
	if p.peek() != ')' {
		return b.fail()
	}
	p.pos++
	p.skipSpace()
	if p.pos != len(p.data) || p.values > maxValues {
		return b.fail()
	}
	b.Object = strs[0]
	return true
}

// comma consumes a ',' after optional space.
func (p *serpentParser) comma() bool {
	p.skipSpace()
	if p.peek() != ',' {
		return false
	}
	p.pos++
	return true
}

// none consumes the name None.
func (p *serpentParser) none() bool {
	p.skipSpace()
	rest := p.data[p.pos:]
	if !bytes.HasPrefix(rest, []byte("None")) || len(rest) > 4 && serpentIsIdent(rest[4]) {
		return false
	}
	p.pos += 4
	return true
}

// batchEntries parses the batch's list or tuple of entries.
func (p *serpentParser) batchEntries(b *Batch) bool {
	p.skipSpace()
	var end byte
	switch p.peek() {
	case '[':
		end = ']'
	case '(':
		end = ')'
	default:
		return false
	}
	p.pos++
	p.skipSpace()
	n, comma := 0, false
	var last batchName
	for p.peek() != end {
		if !p.batchEntry(b, &last) {
			return false
		}
		n++
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
			p.skipSpace()
			comma = true
		case end:
			comma = false
		default:
			return false
		}
	}
	if end == ')' && n == 1 && !comma {
		return false // a parenthesized entry, not a tuple of one
	}
	p.pos++
	return true
}

// batchName is the method name of a batch's last entry and the literal it
// was read from, space after it included: a batch usually calls one
// method, and the same bytes give the same name without a lookup.
type batchName struct {
	lit  []byte
	name string
}

// entryName parses the method name of an entry.
func (p *serpentParser) entryName(last *batchName) (string, bool) {
	if n := len(last.lit); n > 0 && bytes.HasPrefix(p.data[p.pos:], last.lit) {
		save := p.pos
		p.pos += n
		p.skipSpace()
		if !p.atStringStart() {
			return last.name, true
		}
		p.pos = save // concatenation: the general path
	}
	start := p.pos
	if e, ok := p.internedLiteral(); ok {
		last.lit, last.name = p.data[start:p.pos], e.s
		return e.s, true
	}
	if !p.atStringStart() {
		return "", false
	}
	name, _, isBytes, err := p.parseStrings()
	return name, err == nil && !isBytes
}

// batchEntry parses one entry, at depth 2 of the call, into a new call
// of b.
func (p *serpentParser) batchEntry(b *Batch, last *batchName) bool {
	if p.compactEntry(b, last) {
		return true
	}
	var end byte
	switch p.peek() {
	case '(':
		end = ')'
	case '[':
		end = ']'
	default:
		return false
	}
	p.pos++
	p.skipSpace()
	name, ok := p.entryName(last)
	if !ok || !p.comma() {
		return false
	}
	c := b.next()
	args, seq, _, err := p.parseArgsAt(3, b.argsDst())
	if err != nil || !seq || !p.comma() {
		return false
	}
	c.setMethod(name)
	b.setArgs(c, args)
	p.values += 3 // the entry, its name and its vargs
	var kwargs any = emptyKwargs{}
	if p.emptyDict() {
		p.values++
	} else if kwargs, _, err = p.parseExpr(3); err != nil {
		return false
	}
	if !batchKwargs(c, kwargs) {
		return false
	}
	p.skipSpace()
	if p.peek() == ',' {
		p.pos++
		p.skipSpace()
	}
	if p.peek() != end {
		return false
	}
	p.pos++
	return true
}

// compactEntry parses an entry that calls the last entry's method, written
// as serpent.dumps writes one, with no space between its tokens, a tuple
// of vargs and empty kwargs: ('name',('a',1),{}). It costs a few byte
// compares where batchEntry's general parse skips space before and looks
// at every token through a call. The vargs' elements are parsed as
// batchEntry parses them, and the values counted alike. It reports false
// and leaves p and b as they were for any other entry.
func (p *serpentParser) compactEntry(b *Batch, last *batchName) bool {
	d, i, n := p.data, p.pos, len(last.lit)
	if n == 0 || i+n+3 > len(d) || d[i] != '(' || !bytes.Equal(d[i+1:i+1+n], last.lit) || d[i+1+n] != ',' || d[i+2+n] != '(' {
		return false
	}
	save, values := p.pos, p.values
	p.pos = i + n + 3
	c := b.next()
	args := b.argsDst()
	ok := true
	if p.pos < len(d) && d[p.pos] == ')' {
		p.pos++ // ()
	} else {
		for {
			v, _, err := p.parseElem(4)
			if err != nil {
				ok = false
				break
			}
			args = append(args, v)
			if p.pos < len(d) && d[p.pos] == ',' {
				if p.pos++; p.pos < len(d) && d[p.pos] == ')' {
					p.pos++
					break
				}
				continue
			}
			// (x) is x, not a tuple of one: batchEntry's parse says so
			ok = len(args) > 1 && p.pos < len(d) && d[p.pos] == ')'
			p.pos++
			break
		}
	}
	if ok && p.pos+4 <= len(d) && string(d[p.pos:p.pos+4]) == ",{})" {
		p.pos += 4
		p.values += 4 // the entry, its name, its vargs and its kwargs
		c.setMethod(last.name)
		b.setArgs(c, args)
		return true
	}
	clear(args)
	b.dirty = true // args that spilled filled b.args's free end first
	b.Calls = b.Calls[:len(b.Calls)-1]
	p.pos, p.values = save, values
	return false
}
