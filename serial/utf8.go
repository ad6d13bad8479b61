package serial

import (
	"bytes"

	"github.com/gyro-rpc/gyro/pyval"
)

// UTF-8 as CPython checks it, for the json and marshal decoders.

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
