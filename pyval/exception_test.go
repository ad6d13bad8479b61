package pyval

import "testing"

// TestUnicodeErrorMessage checks str() of the Unicode errors against
// Python 3's own texts.
func TestUnicodeErrorMessage(t *testing.T) {
	tests := []struct {
		e    *Exception
		want string
	}{
		{NewException("UnicodeEncodeError", "utf-8", "\"\xed\xa0\x80\"", int64(1), int64(2), "surrogates not allowed"),
			`'utf-8' codec can't encode character '\ud800' in position 1: surrogates not allowed`},
		{NewException("UnicodeEncodeError", "utf-8", "x\xed\xaf\xbf\xed\xb0\x80", int64(1), int64(3), "surrogates not allowed"),
			`'utf-8' codec can't encode characters in position 1-2: surrogates not allowed`},
		{NewException("UnicodeEncodeError", "ascii", "aé", int64(1), int64(2), "ordinal not in range(128)"),
			`'ascii' codec can't encode character '\xe9' in position 1: ordinal not in range(128)`},
		{NewException("UnicodeDecodeError", "utf-8", []byte("a\xffb"), int64(1), int64(2), "invalid start byte"),
			`'utf-8' codec can't decode byte 0xff in position 1: invalid start byte`},
		{NewException("UnicodeDecodeError", "utf-8", []byte("a\xe2\x82"), int64(1), int64(3), "unexpected end of data"),
			`'utf-8' codec can't decode bytes in position 1-2: unexpected end of data`},
		{NewException("UnicodeDecodeError", "serpent: data is not valid utf-8"), "serpent: data is not valid utf-8"},
	}
	for _, tc := range tests {
		if got := tc.e.Message(); got != tc.want {
			t.Errorf("%v: Message() = %s\nwant %s", tc.e.Args, got, tc.want)
		}
	}
}
