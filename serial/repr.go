package serial

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/gyro-rpc/gyro/pyval"
)

// Repr returns Python 3's repr() of a model value (the types pyval
// documents), as a Python program printing the same value would show it:
// what the echo server logs, what gyro nsc prints, how error messages name
// a dict key. A set is written in the order it holds, where Python writes
// its hash order; a value outside the model is written by fmt.
func Repr(v any) string { return string(appendRepr(nil, v)) }

// ReprString returns Python's repr() of the str s, exactly as serpent
// writes strings (the quoting and escaping rules of appendPyRepr).
func ReprString(s string) string { return string(appendPyRepr(nil, s)) }

func appendRepr(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "None"...)
	case bool:
		if x {
			return append(dst, "True"...)
		}
		return append(dst, "False"...)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case *big.Int:
		return x.Append(dst, 10)
	case float64:
		return appendPyFloat(dst, x)
	case complex128:
		return appendComplexRepr(dst, x)
	case string:
		return appendPyRepr(dst, x)
	case []byte:
		return appendBytesRepr(dst, x)
	case []any:
		return appendReprSeq(append(dst, '['), x, ']')
	case pyval.Tuple:
		if len(x) == 1 {
			return append(appendRepr(append(dst, '('), x[0]), ",)"...)
		}
		return appendReprSeq(append(dst, '('), x, ')')
	case pyval.Set:
		if len(x) == 0 {
			return append(dst, "set()"...)
		}
		return appendReprSeq(append(dst, '{'), x, '}')
	case *pyval.Dict:
		dst = append(dst, '{')
		for i, it := range x.Items() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = append(appendRepr(dst, it.Key), ": "...)
			dst = appendRepr(dst, it.Value)
		}
		return append(dst, '}')
	}
	return fmt.Append(dst, v)
}

func appendReprSeq(dst []byte, vs []any, end byte) []byte {
	for i, e := range vs {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = appendRepr(dst, e)
	}
	return append(dst, end)
}

// appendComplexRepr writes c as Python does: "1j" when the real part is
// +0, "(1+2j)" otherwise, each part as a float's repr without the ".0"
// that marks a whole float.
func appendComplexRepr(dst []byte, c complex128) []byte {
	re, im := real(c), imag(c)
	if re == 0 && !math.Signbit(re) {
		return append(appendComplexPart(dst, im), 'j')
	}
	dst = appendComplexPart(append(dst, '('), re)
	if !math.Signbit(im) || math.IsNaN(im) {
		dst = append(dst, '+')
	}
	return append(appendComplexPart(dst, im), "j)"...)
}

func appendComplexPart(dst []byte, f float64) []byte {
	n := len(dst)
	dst = appendPyFloat(dst, f)
	if bytes.HasSuffix(dst[n:], []byte(".0")) {
		dst = dst[:len(dst)-2]
	}
	return dst
}

// appendBytesRepr writes b as Python's repr(bytes): b'...', in double
// quotes when b holds a single quote and no double quote; printable ASCII
// as it is, \t \n \r and the quote escaped, every other byte as \xhh.
func appendBytesRepr(dst []byte, b []byte) []byte {
	q := byte('\'')
	if bytes.IndexByte(b, '\'') >= 0 && bytes.IndexByte(b, '"') < 0 {
		q = '"'
	}
	dst = append(dst, 'b', q)
	const hex = "0123456789abcdef"
	for _, c := range b {
		switch {
		case c == q || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\t':
			dst = append(dst, `\t`...)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '\r':
			dst = append(dst, `\r`...)
		case c < ' ' || c >= 0x7f:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, q)
}
