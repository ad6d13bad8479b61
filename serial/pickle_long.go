package serial

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
)

// gopickle decodes a LONG1 or LONG4 of up to 8 bytes, and a protocol 0
// LONG that fits 64 bits, into a Go int: where int has 32 bits, a value
// beyond int32 comes out truncated, without an error (and an INT beyond
// it, which Python 2 writes for its 64-bit ints, fails). Python 3 pickles
// every int beyond int32 as a LONG1, so on such platforms unpickle first
// rewrites those opcodes as 9-byte LONG1s, which gopickle decodes into a
// *big.Int (pyval.Int makes it an int64 again), and drops the FRAME
// opcodes, whose lengths the rewrite would make wrong: frames are only a
// reading aid, and a pickle means the same without them.

// scanPickle checks data as pickleScan does and returns the pickle to
// decode: data, or where int has 32 bits and data holds an int gopickle
// would truncate, the rewritten pickle.
func scanPickle(data []byte) ([]byte, error) {
	if strconv.IntSize == 64 {
		return data, pickleScan(data)
	}
	return rewriteLongs(data)
}

// rewriteLongs is scanPickle's check and rewrite on any platform, for the
// tests: one walk notes the FRAMEs and the ints to widen, and the pickle
// is copied only when there is an int.
func rewriteLongs(data []byte) ([]byte, error) {
	type edit struct {
		at, end int
		frame   bool
		v       int64
	}
	var edits []edit
	longs := false
	err := pickleWalk(data, func(op byte, at, end int) {
		if op == 0x95 { // FRAME
			edits = append(edits, edit{at: at, end: end, frame: true})
		} else if v, ok := narrowLong(data, op, at, end); ok {
			edits, longs = append(edits, edit{at: at, end: end, v: v}), true
		}
	})
	if err != nil || !longs {
		return data, err
	}
	out := make([]byte, 0, len(data)+len(data)/2)
	last := 0 // data[last:] is not in out yet
	for _, e := range edits {
		out, last = append(out, data[last:e.at]...), e.end
		if !e.frame {
			out = append(out, 0x8a, 9) // LONG1, 9 bytes
			out = binary.LittleEndian.AppendUint64(out, uint64(e.v))
			out = append(out, byte(e.v>>63)) // the sign, extended
		}
	}
	return append(out, data[last:]...), nil
}

// narrowLong reports the value of an int opcode at data[at:end] that
// gopickle would decode into an int when it does not fit an int32.
func narrowLong(data []byte, op byte, at, end int) (int64, bool) {
	var v int64
	switch op {
	case 0x8a, 0x8b: // LONG1, LONG4: little-endian two's complement
		b := data[at+2 : end]
		if op == 0x8b {
			b = data[at+5 : end]
		}
		if len(b) == 0 || len(b) > 8 {
			return 0, false
		}
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		v = int64(u<<shift) >> shift
	case 'L', 'I': // LONG, INT: decimal text (an L after a LONG's), a newline
		text := bytes.TrimSuffix(data[at+1:end-1], []byte("L"))
		n, err := strconv.ParseInt(string(text), 10, 64)
		if err != nil {
			return 0, false // not a 64-bit int: gopickle makes it a *big.Int
		}
		v = n
	default:
		return 0, false
	}
	return v, v < math.MinInt32 || v > math.MaxInt32
}
