package serial

import "unicode/utf8"

// Word-at-a-time scans for the string codecs' hot loops: a 1 KiB argument
// is read and written once per call, and a branch per byte made that cost
// more than the rest of the call. Each test below is the classic exact
// "does any byte of x ..." bit trick: it may point at the wrong byte, but
// it never misses one, and callers only use it to skip words that are
// wholly plain, falling back to their byte loop otherwise.

const (
	swarLo = 0x0101010101010101
	swarHi = 0x8080808080808080
)

// word8 reads s[i:i+8] as a little-endian word. The compiler makes it one
// load, and slicing first leaves it one bounds check: a hint like
// _ = s[i+7] does not, since i+7 could overflow.
func word8[T string | []byte](s T, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// byteMask sets the top bit of some byte of x if, and only if, a byte of x
// is c. The masks below OR together: a loop tests several conditions of a
// word with one branch.
func byteMask(x uint64, c byte) uint64 {
	v := x ^ (swarLo * uint64(c))
	return (v - swarLo) &^ v
}

// plainStop says which bytes besides the controls (below 0x20) and the two
// given ones end a plain run.
type plainStop uint8

const (
	stopHigh plainStop = 1 << iota // bytes from 0x80 on
	stopDel                        // 0x7f
)

// stopMask sets the top bit of some byte of x if, and only if, a byte of x
// is below 0x20 or, as stop says, 0x7f or from 0x80 on.
func stopMask(x uint64, stop plainStop) uint64 {
	m := x - swarLo*0x20 // a byte below 0x20 borrows, into its top bit
	if stop&stopHigh != 0 {
		m |= x // and so does one from 0x80 on: (m &^ x) | x, in one step
	} else {
		m &^= x
	}
	if stop&stopDel != 0 {
		m |= x + swarLo // 0x7f becomes 0x80
	}
	return m
}

func isASCII[T string | []byte](s T) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if word8(s, i)&swarHi != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiScanGo reports whether b is ASCII without a NUL byte, and if so
// whether it has no control byte (below 0x20) either, a word at a time: a
// byte with its top bit set, or one that borrows when 1 is subtracted (a
// zero), shows in the top bits of x|(x-0x01..01); one below 0x20 in those
// of (x-0x20..20)&^x.
func asciiScanGo(b []byte) (asciiNoNUL, noControl bool) {
	// Most messages are printable ASCII throughout: words with neither a
	// top bit nor a byte below 0x20, x|(x-0x20..20), are skipped with
	// half the arithmetic of the test below, which goes on from the first
	// word that has either and tells the two apart.
	i := 0
	for ; i+32 <= len(b); i += 32 {
		x, y, z, w := word8(b, i), word8(b, i+8), word8(b, i+16), word8(b, i+24)
		if (x|(x-swarLo*0x20)|y|(y-swarLo*0x20)|z|(z-swarLo*0x20)|w|(w-swarLo*0x20))&swarHi != 0 {
			break
		}
	}
	return asciiScanFrom(b, i)
}

// asciiScanFrom is asciiScanGo of b[i:].
func asciiScanFrom(b []byte, i int) (asciiNoNUL, noControl bool) {
	var ctl uint64
	// four words a test: the test's branch, not the arithmetic, bounds
	// the loop
	for ; i+32 <= len(b); i += 32 {
		x, y, z, w := word8(b, i), word8(b, i+8), word8(b, i+16), word8(b, i+24)
		if (x|(x-swarLo)|y|(y-swarLo)|z|(z-swarLo)|w|(w-swarLo))&swarHi != 0 {
			return false, false
		}
		ctl |= (x-swarLo*0x20)&^x | (y-swarLo*0x20)&^y | (z-swarLo*0x20)&^z | (w-swarLo*0x20)&^w
	}
	for ; i+8 <= len(b); i += 8 {
		x := word8(b, i)
		if (x|(x-swarLo))&swarHi != 0 {
			return false, false
		}
		ctl |= (x - swarLo*0x20) &^ x
	}
	for ; i < len(b); i++ {
		if b[i] == 0 || b[i] >= utf8.RuneSelf {
			return false, false
		}
		if b[i] < 0x20 {
			ctl |= swarHi
		}
	}
	return true, ctl&swarHi == 0
}

// skipPlain returns i advanced over the whole words of s that hold no
// control byte, no byte that stop names, and neither a nor b: the bytes a
// quoting or unquoting loop copies as they are.
func skipPlain[T string | []byte](s T, i int, stop plainStop, a, b byte) int {
	for ; i+8 <= len(s); i += 8 {
		x := word8(s, i)
		if (stopMask(x, stop)|byteMask(x, a)|byteMask(x, b))&swarHi != 0 {
			break
		}
	}
	return i
}

// ctlIndex returns the index of the first byte of b below 0x20, or -1.
func ctlIndex(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if stopMask(word8(b, i), 0)&swarHi != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if b[i] < 0x20 {
			return i
		}
	}
	return -1
}
