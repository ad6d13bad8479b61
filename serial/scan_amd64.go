//go:build amd64 && !purego

package serial

// The scans every message's text goes through use SSE2 on amd64 (every
// amd64 processor has it): 16 bytes in a few instructions, where the word
// loops of ascii.go test 8 in a dozen. Inputs under 16 bytes take the
// word loops, which the other architectures (and -tags purego) use for
// everything. The vector versions read their last block overlapping the
// one before it, so nothing is read past the input.

// reprPlain is reprPlainGo.
func reprPlain(s string) bool {
	if len(s) < 16 {
		return reprPlainGo(s)
	}
	return reprPlainSSE2(s)
}

// asciiScan is asciiScanGo.
func asciiScan(b []byte) (asciiNoNUL, noControl bool) {
	if len(b) < 16 {
		return asciiScanGo(b)
	}
	return asciiScanSSE2(b)
}

// indexQuote returns the index of the first q or backslash in b, or
// len(b) if there is none.
func indexQuote(b []byte, q byte) int {
	if len(b) >= 16 {
		return indexQuoteSSE2(b, q)
	}
	for i, c := range b {
		if c == q || c == '\\' {
			return i
		}
	}
	return len(b)
}

//go:noescape
func reprPlainSSE2(s string) bool

//go:noescape
func asciiScanSSE2(b []byte) (asciiNoNUL, noControl bool)

//go:noescape
func indexQuoteSSE2(b []byte, q byte) int
