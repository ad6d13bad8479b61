//go:build amd64 && !purego

package serial

// reprPlain is reprPlainGo, with SSE2 (which every amd64 processor has)
// testing 16 bytes in a few instructions where the word loop tests 8 in a
// dozen.
func reprPlain(s string) bool {
	if len(s) < 16 {
		return reprPlainGo(s)
	}
	return reprPlainSSE2(s)
}

// reprPlainSSE2 is reprPlainGo for len(s) >= 16.
//
//go:noescape
func reprPlainSSE2(s string) bool
