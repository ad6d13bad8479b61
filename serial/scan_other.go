//go:build !amd64 || purego

package serial

import "bytes"

func reprPlain(s string) bool { return reprPlainGo(s) }

func asciiScan(b []byte) (asciiNoNUL, noControl bool) { return asciiScanGo(b) }

// indexQuote returns the index of the first q or backslash in b, or
// len(b) if there is none. bytes.IndexByte is vectorized where it can be.
func indexQuote(b []byte, q byte) int {
	if j := bytes.IndexByte(b, q); j >= 0 {
		b = b[:j]
	}
	if j := bytes.IndexByte(b, '\\'); j >= 0 {
		b = b[:j]
	}
	return len(b)
}
