package serial

import (
	"math"
	"strconv"
)

// appendPyFloat appends f as Python's repr(float) writes it, for any codec
// that must produce text a Python reader takes back as the same float:
// the shortest digits that round-trip, always with a '.' or an exponent so
// the text never reads as an int ("1.0", "-0.0", "3.5"), and exponent form
// with a signed, at least two-digit exponent when the decimal exponent is
// below -4 or at least 16 ("1e-05", "1.5e+16", "1e+22"). Fixed form is used
// in between ("0.0001", "1000000000000000.0").
//
// The non-finite values come out as repr writes them ("inf", "-inf",
// "nan"); those are not literals, so serpent and json handle them before
// calling this.
func appendPyFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	// Go's shortest 'e' form has the same digits and exponent style as
	// Python's repr ("1e-05", "1.2345e+16"); only the choice of form
	// differs, so format once and rewrite to fixed form when Python would.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	mant, exp := e, 0
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			mant = e[:i]
			exp = pyFloatExp(e[i+1:])
			break
		}
	}
	if exp < -4 || exp >= 16 {
		return append(dst, e...)
	}
	if mant[0] == '-' {
		dst = append(dst, '-')
		mant = mant[1:]
	}
	// digits without the point: mant is "d" or "d.ddd".
	var dbuf [24]byte
	digits := append(dbuf[:0], mant[0])
	if len(mant) > 2 {
		digits = append(digits, mant[2:]...)
	}
	if exp < 0 {
		dst = append(dst, '0', '.')
		for i := -1; i > exp; i-- {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	intLen := exp + 1
	if len(digits) <= intLen {
		dst = append(dst, digits...)
		for i := len(digits); i < intLen; i++ {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	}
	dst = append(dst, digits[:intLen]...)
	dst = append(dst, '.')
	return append(dst, digits[intLen:]...)
}

// pyFloatExp parses the signed exponent strconv writes ("+16", "-05").
func pyFloatExp(b []byte) int {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}
