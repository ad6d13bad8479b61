package serial

import (
	"bytes"
	"strings"
	"testing"
)

// TestWordScans puts every byte value at every position of a plain
// string and compares each word-at-a-time scan with a byte loop.
func TestWordScans(t *testing.T) {
	stops := []struct {
		stop plainStop
		a, b byte
	}{
		{stopHigh | stopDel, '\\', '\''}, // serpent repr
		{stopHigh, '"', '\\'},            // json encoding
		{0, '"', '\\'},                   // json decoding (with ctlIndex)
	}
	plain := func(c byte, stop plainStop, a, b byte) bool {
		return c >= 0x20 && c != a && c != b &&
			!(stop&stopHigh != 0 && c >= 0x80) && !(stop&stopDel != 0 && c == 0x7f)
	}
	base := strings.Repeat("abcdefgh", 3)
	for v := 0; v < 256; v++ {
		for pos := 0; pos < len(base); pos++ {
			s := []byte(base)
			s[pos] = byte(v)
			str := string(s)
			for _, st := range stops {
				got := skipPlain(str, 0, st.stop, st.a, st.b)
				want := 0 // whole plain words, by a byte loop
			words:
				for ; want+8 <= len(s); want += 8 {
					for _, c := range s[want : want+8] {
						if !plain(c, st.stop, st.a, st.b) {
							break words
						}
					}
				}
				if got != want {
					t.Fatalf("skipPlain(%q, stop %d, %q, %q) = %d, want %d", str, st.stop, st.a, st.b, got, want)
				}
				if got2 := skipPlain(s, 0, st.stop, st.a, st.b); got2 != got {
					t.Fatalf("skipPlain differs between string and []byte: %d, %d", got, got2)
				}
			}
			if got, want := reprPlain(str), v >= 0x20 && v < 0x7f && v != '\\' && v != '\'' && v != '"'; got != want {
				t.Fatalf("reprPlain(%q) = %v", str, got)
			}
			if got, want := isASCII(str), v < 0x80; got != want {
				t.Fatalf("isASCII(%q) = %v", str, got)
			}
			wantCtl := -1
			if v < 0x20 {
				wantCtl = pos
			}
			if got := ctlIndex(s); got != wantCtl {
				t.Fatalf("ctlIndex(%q) = %d, want %d", str, got, wantCtl)
			}
		}
	}
}

// TestASCIINoNUL checks the one-pass check against the two it stands for,
// at every position of a NUL or a non-ASCII byte in and around a word.
func TestASCIINoNUL(t *testing.T) {
	for n := range 80 { // the four-word loop, the word loop and the byte loop
		for i := range n + 1 {
			for _, c := range []byte{0, 1, '\n', 0x1f, ' ', 0x7f, 0x80, 0xff, 'a'} {
				b := bytes.Repeat([]byte{'x'}, n)
				if i < n {
					b[i] = c
				}
				want := bytes.IndexByte(b, 0) < 0 && isASCII(b)
				wantNoCtl := want && ctlIndex(b) < 0
				if got, noCtl := asciiScan(b); got != want || noCtl != wantNoCtl {
					t.Fatalf("asciiScan(%q) = %v, %v, want %v, %v", b, got, noCtl, want, wantNoCtl)
				}
				if got, noCtl := asciiScanGo(b); got != want || noCtl != wantNoCtl {
					t.Fatalf("asciiScanGo(%q) = %v, %v, want %v, %v", b, got, noCtl, want, wantNoCtl)
				}
			}
		}
	}
}

// asciiBenchEntries is a <batch> of echo calls as serpent writes it, what
// asciiScan checks before a batch is decoded.
var asciiBenchEntries = bytes.Repeat([]byte("('echo',('"+strings.Repeat("x", 64)+"',),{}),"), 65)

var asciiSink bool

func BenchmarkASCIIScan(b *testing.B) {
	b.SetBytes(int64(len(asciiBenchEntries)))
	for b.Loop() {
		ok, noCtl := asciiScan(asciiBenchEntries)
		asciiSink = ok && noCtl
	}
}

func BenchmarkReprPlain(b *testing.B) {
	s := strings.Repeat("x", 64)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		asciiSink = reprPlain(s)
	}
}

// TestReprPlainLengths checks reprPlain (and the word loop it may stand
// for) against a byte loop at every
// length up to a few vector blocks, with each byte value at each
// position: the vector version's blocks and its overlapping last block,
// and the word loop's tail below 16 bytes.
func TestReprPlainLengths(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c < 0x7f && c != '\\' && c != '\'' && c != '"' }
	for n := 0; n <= 70; n++ {
		if !reprPlain(strings.Repeat("a", n)) {
			t.Fatalf("reprPlain of %d plain bytes = false", n)
		}
		for pos := 0; pos < n; pos++ {
			s := []byte(strings.Repeat("a", n))
			for v := 0; v < 256; v++ {
				s[pos] = byte(v)
				if got := reprPlain(string(s)); got != plain(byte(v)) {
					t.Fatalf("reprPlain(%q) = %v", s, got)
				}
				if got := reprPlainGo(string(s)); got != plain(byte(v)) {
					t.Fatalf("reprPlainGo(%q) = %v", s, got)
				}
			}
		}
	}
}

// TestIndexQuote checks indexQuote at every length up to a few vector
// blocks with a quote and a backslash at every pair of positions, for
// both quotes, against bytes.IndexAny.
func TestIndexQuote(t *testing.T) {
	for _, q := range []byte{'\'', '"'} {
		other := byte('"' + '\'' - q)
		for n := 0; n <= 50; n++ {
			for i := 0; i <= n; i++ {
				for j := i; j <= n; j++ {
					b := bytes.Repeat([]byte{'a'}, n)
					if i < n {
						b[i] = q
					}
					if j < n && j > i {
						b[j] = '\\'
					}
					if n > 0 {
						b[n-1-i%n] = other // the other quote is plain here
					}
					want := bytes.IndexAny(b, string([]byte{q, '\\'}))
					if want < 0 {
						want = n
					}
					if got := indexQuote(b, q); got != want {
						t.Fatalf("indexQuote(%q, %q) = %d, want %d", b, q, got, want)
					}
				}
			}
		}
	}
}

// FuzzScans holds the scans that have vector versions (scan_amd64.s) to
// plain byte loops on any input: every length, every mix of bytes.
func FuzzScans(f *testing.F) {
	f.Add([]byte("plain ascii text, long enough for a vector block"), byte('\''))
	f.Add([]byte("a\x00b\x7f\"quoted\" and 'single', back\\slash, \xc3\xa9t\xc3\xa9\n"), byte('"'))
	f.Fuzz(func(t *testing.T, b []byte, q byte) {
		ascii, noCtl := true, true
		plain := true
		for _, c := range b {
			if c == 0 || c >= 0x80 {
				ascii = false
			}
			if c < 0x20 {
				noCtl = false
			}
			if c < 0x20 || c >= 0x7f || c == '\\' || c == '\'' || c == '"' {
				plain = false
			}
		}
		noCtl = noCtl && ascii
		if got, gotNoCtl := asciiScan(b); got != ascii || gotNoCtl != noCtl {
			t.Fatalf("asciiScan(%q) = %v, %v; want %v, %v", b, got, gotNoCtl, ascii, noCtl)
		}
		if got := reprPlain(string(b)); got != plain {
			t.Fatalf("reprPlain(%q) = %v, want %v", b, got, plain)
		}
		want := len(b)
		for i, c := range b {
			if c == q || c == '\\' {
				want = i
				break
			}
		}
		if got := indexQuote(b, q); got != want {
			t.Fatalf("indexQuote(%q, %q) = %d, want %d", b, q, got, want)
		}
	})
}
