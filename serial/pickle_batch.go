package serial

import (
	"bytes"
	"encoding/binary"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/gyro-rpc/gyro/pyval"
)

// UnmarshalBatch decodes a pickled batch into b (see BatchUnmarshaler).
// Pyro4's pickles of a batch use a handful of opcodes (strs, ints, floats,
// bytes, None and bools in tuples, lists and dicts, with the memo): a small
// machine runs just those into the model, without gopickle's objects and
// their conversion, and refuses everything else, which the generic path
// then unpickles. Lists and dicts, the mutable values, are never taken
// from the memo: a pickle that refers back to one takes the generic path
// too, so no value can differ from what gopickle's would be.
func (pc pickleCodec) UnmarshalBatch(data []byte, b *Batch) bool {
	b.Reset()
	m := pickleMachines.Get().(*pickleMachine)
	m.data = data
	defer m.release()
	top, ok := m.run()
	if !ok {
		return false
	}
	// as the converter, which refuses a value past its budget or depth:
	// well inside both, or the generic path decides
	if top.w > (16*len(data)+1024)/2 || top.h > msgpackMaxDepth/2 {
		return false
	}
	call, ok := top.v.(pyval.Tuple)
	if !ok || len(call) != 4 {
		return false
	}
	object, ok := call[0].(string)
	if !ok || call[1] != MethodBatch {
		return false
	}
	if kw, isDict := call[3].(*pyval.Dict); call[3] != nil && (!isDict || kw.Len() > 0) {
		return false
	}
	entries, ok := call[2].([]any) // Pyro4 sends a list
	if !ok {
		if entries, ok = call[2].(pyval.Tuple); !ok {
			return false
		}
	}
	for _, raw := range entries {
		parts, ok := raw.(pyval.Tuple)
		if !ok {
			parts, ok = raw.([]any)
		}
		if !ok || len(parts) != 3 {
			return b.fail()
		}
		name, ok := parts[0].(string)
		if !ok {
			return b.fail()
		}
		c := b.next()
		c.setMethod(name)
		switch v := parts[1].(type) {
		case pyval.Tuple:
			b.setArgs(c, append(b.argsDst(), v...))
		case []any:
			b.setArgs(c, append(b.argsDst(), v...))
		default:
			return b.fail()
		}
		if !batchKwargs(c, parts[2]) {
			return b.fail()
		}
	}
	b.Object = object
	return true
}

// pkVal is a value on the machine's stack or in its memo: w counts the
// values the converter would visit in it, h its nesting.
type pkVal struct {
	v    any // *pkList or *pkDict while it is being filled
	w, h int
	set  bool // a memo slot in use
}

type pkList struct {
	elems []any
	w, h  int
}

type pkDict struct {
	items []pyval.Item
	index *pyval.KeyIndex
	w, h  int
}

type pickleMachine struct {
	data  []byte
	pos   int
	stack []pkVal
	marks []int
	memo  []pkVal
	nmemo int // memo slots set: where MEMOIZE stores, as the unpickler's len(memo)
}

var pickleMachines = sync.Pool{New: func() any { return new(pickleMachine) }}

// release returns m to the pool holding no values; outsized scratch goes.
func (m *pickleMachine) release() {
	clear(m.stack)
	clear(m.memo)
	if cap(m.stack) > 1024 || cap(m.memo) > 4096 || cap(m.marks) > 1024 {
		return
	}
	*m = pickleMachine{stack: m.stack[:0], memo: m.memo[:0], marks: m.marks[:0]}
	pickleMachines.Put(m)
}

// pickleMemoMax bounds the memo index the machine takes.
const pickleMemoMax = 1 << 16

// run executes the pickle up to STOP and returns its value, or false for
// anything it does not take.
func (m *pickleMachine) run() (pkVal, bool) {
	for m.pos < len(m.data) {
		op := m.data[m.pos]
		m.pos++
		switch op {
		case 0x80: // PROTO
			// a protocol past the unpickler's highest is its error
			if b, ok := m.take(1); !ok || b[0] > 5 {
				return pkVal{}, false
			}
		case 0x95: // FRAME: one announcing more than is left is the generic path's error
			if b, ok := m.take(8); !ok || binary.LittleEndian.Uint64(b) > uint64(len(m.data)-m.pos) {
				return pkVal{}, false
			}
		case '.': // STOP
			if len(m.stack) != 1 || len(m.marks) != 0 {
				return pkVal{}, false
			}
			return m.pop()
		case '(': // MARK
			m.marks = append(m.marks, len(m.stack))
		case 'N':
			m.push(nil)
		case 0x88:
			m.push(true)
		case 0x89:
			m.push(false)
		case 'K', 'M', 'J': // BININT1, BININT2, BININT
			n := 4
			switch op {
			case 'K':
				n = 1
			case 'M':
				n = 2
			}
			b, ok := m.take(n)
			if !ok {
				return pkVal{}, false
			}
			switch n {
			case 1:
				m.push(int64(b[0]))
			case 2:
				m.push(int64(binary.LittleEndian.Uint16(b)))
			default:
				m.push(int64(int32(binary.LittleEndian.Uint32(b))))
			}
		case 'G': // BINFLOAT
			b, ok := m.take(8)
			if !ok {
				return pkVal{}, false
			}
			m.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
		case 0x8c, 'X', 'C', 'B': // SHORT_BINUNICODE, BINUNICODE, SHORT_BINBYTES, BINBYTES
			size := 4
			if op == 0x8c || op == 'C' {
				size = 1
			}
			b, ok := m.counted(size)
			if !ok {
				return pkVal{}, false
			}
			switch {
			case op == 'C' || op == 'B':
				m.push(bytes.Clone(b))
			case !utf8.Valid(b):
				return pkVal{}, false
			case len(b) <= internMax:
				m.push(internLookup(b).v)
			default:
				m.push(string(b))
			}
		case ')': // EMPTY_TUPLE
			m.push(pyval.Tuple{})
		case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
			if !m.tuple(len(m.stack) - int(op-0x84)) {
				return pkVal{}, false
			}
		case 't': // TUPLE
			base, ok := m.popMark()
			if !ok || !m.tuple(base) {
				return pkVal{}, false
			}
		case ']': // EMPTY_LIST
			m.stack = append(m.stack, pkVal{v: &pkList{}, w: 1})
		case 'a', 'e': // APPEND, APPENDS
			base := len(m.stack) - 1
			if op == 'e' {
				var ok bool
				if base, ok = m.popMark(); !ok {
					return pkVal{}, false
				}
			}
			if !m.above(base - 1) {
				return pkVal{}, false
			}
			l, ok := m.stack[base-1].v.(*pkList)
			if !ok {
				return pkVal{}, false
			}
			for _, e := range m.stack[base:] {
				e = finishPk(e)
				l.elems = append(l.elems, e.v)
				l.w += e.w
				l.h = max(l.h, e.h)
			}
			m.drop(base)
		case '}': // EMPTY_DICT
			m.stack = append(m.stack, pkVal{v: &pkDict{}, w: 1})
		case 's', 'u': // SETITEM, SETITEMS
			base := len(m.stack) - 2
			if op == 'u' {
				var ok bool
				if base, ok = m.popMark(); !ok {
					return pkVal{}, false
				}
			}
			if !m.above(base-1) || (len(m.stack)-base)%2 != 0 {
				return pkVal{}, false
			}
			d, ok := m.stack[base-1].v.(*pkDict)
			if !ok {
				return pkVal{}, false
			}
			for i := base; i < len(m.stack); i += 2 {
				k, v := m.stack[i], finishPk(m.stack[i+1])
				if _, ok := k.v.(string); !ok {
					return pkVal{}, false // other keys: Python's equality is the generic path's
				}
				d.items = pyval.AddItem(d.items, 0, &d.index, k.v, v.v)
				d.w += k.w + v.w
				d.h = max(d.h, k.h, v.h)
			}
			m.drop(base)
		case 0x94: // MEMOIZE
			if !m.put(m.nmemo) {
				return pkVal{}, false
			}
		case 'q', 'r': // BINPUT, LONG_BINPUT
			idx, ok := m.index(op == 'r')
			if !ok || !m.put(idx) {
				return pkVal{}, false
			}
		case 'h', 'j': // BINGET, LONG_BINGET
			idx, ok := m.index(op == 'j')
			if !ok || idx >= len(m.memo) || !m.memo[idx].set {
				return pkVal{}, false
			}
			switch v := m.memo[idx]; v.v.(type) {
			case *pkList, *pkDict:
				return pkVal{}, false
			default:
				m.stack = append(m.stack, v)
			}
		default:
			return pkVal{}, false
		}
	}
	return pkVal{}, false
}

func (m *pickleMachine) take(n int) ([]byte, bool) {
	if n > len(m.data)-m.pos {
		return nil, false
	}
	b := m.data[m.pos : m.pos+n]
	m.pos += n
	return b, true
}

// counted reads a length of size bytes and that many bytes.
func (m *pickleMachine) counted(size int) ([]byte, bool) {
	b, ok := m.take(size)
	if !ok {
		return nil, false
	}
	n := int(b[0])
	if size == 4 {
		n = int(binary.LittleEndian.Uint32(b))
	}
	return m.take(n)
}

// index reads a memo index of 1 or 4 bytes.
func (m *pickleMachine) index(long bool) (int, bool) {
	if !long {
		b, ok := m.take(1)
		if !ok {
			return 0, false
		}
		return int(b[0]), true
	}
	b, ok := m.take(4)
	if !ok {
		return 0, false
	}
	n := binary.LittleEndian.Uint32(b)
	return int(n), n < pickleMemoMax
}

func (m *pickleMachine) push(v any) { m.stack = append(m.stack, pkVal{v: v, w: 1}) }

// pop takes the top value, finished: a list or dict gets its model value.
func (m *pickleMachine) pop() (pkVal, bool) {
	if len(m.stack) == 0 || len(m.marks) > 0 && m.marks[len(m.marks)-1] >= len(m.stack) {
		return pkVal{}, false
	}
	v := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	return finishPk(v), true
}

// finishPk turns a list or dict being filled into its model value.
func finishPk(v pkVal) pkVal {
	switch x := v.v.(type) {
	case *pkList:
		l := x.elems
		if l == nil {
			l = []any{}
		}
		return pkVal{v: l, w: 1 + x.w, h: 1 + x.h}
	case *pkDict:
		return pkVal{v: popDict(&x.items, 0), w: 1 + x.w, h: 1 + x.h}
	}
	return v
}

// put stores the top value in memo slot idx. An index past the pickle's
// own length, which no pickler writes, is left to the generic path rather
// than grow the memo to it.
func (m *pickleMachine) put(idx int) bool {
	if len(m.stack) == 0 || idx >= pickleMemoMax || idx >= len(m.data) {
		return false
	}
	for len(m.memo) <= idx {
		m.memo = append(m.memo, pkVal{})
	}
	v := m.stack[len(m.stack)-1]
	if !m.memo[idx].set {
		m.nmemo++
	}
	v.set = true
	m.memo[idx] = v
	return true
}

// above reports whether stack slot i exists above the innermost mark.
func (m *pickleMachine) above(i int) bool {
	return i >= 0 && i < len(m.stack) && (len(m.marks) == 0 || m.marks[len(m.marks)-1] <= i)
}

func (m *pickleMachine) popMark() (int, bool) {
	if len(m.marks) == 0 {
		return 0, false
	}
	base := m.marks[len(m.marks)-1]
	m.marks = m.marks[:len(m.marks)-1]
	return base, true
}

// drop removes the stack's values from base on.
func (m *pickleMachine) drop(base int) {
	clear(m.stack[base:])
	m.stack = m.stack[:base]
}

// tuple replaces the values from base on with their tuple.
func (m *pickleMachine) tuple(base int) bool {
	if base < 0 || base > len(m.stack) || len(m.marks) > 0 && m.marks[len(m.marks)-1] > base {
		return false
	}
	t := make(pyval.Tuple, len(m.stack)-base)
	w, h := 1, 0
	for i, e := range m.stack[base:] {
		e = finishPk(e)
		t[i] = e.v
		w += e.w
		h = max(h, e.h)
	}
	m.drop(base)
	m.stack = append(m.stack, pkVal{v: t, w: w, h: h + 1})
	return true
}
