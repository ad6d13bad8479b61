package naming

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

// regexDeviations are the golden patterns where gyro knowingly differs
// from Python's re (see regex.go): constructs RE2 does not have, which
// gyro refuses, and ASCII-only corners. The value is gyro's result ("E"
// for a NamingError), in the golden file's format.
var regexDeviations = map[string]string{
	"(?=a)":                     "E",
	"(?!a)":                     "E",
	"(?<=a)b":                   "E",
	"(?<!a)b":                   "E",
	"(a)\\1":                    "E",
	"(?P<x>a)(?P=x)":            "E",
	"(?x) a":                    "E",
	"\\N{LATIN SMALL LETTER A}": "E",
	"a++":                       "E",
	"(?>a)":                     "E",
}

// TestRegexMatchesPython checks the translated patterns against Python's
// re.match on every name of testdata/regex.golden (made by
// testdata/regex_golden.py with Python 3.11).
func TestRegexMatchesPython(t *testing.T) {
	f, err := os.Open("testdata/regex.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type row struct{ pattern, result string }
	var rows []row
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line []json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || len(line) != 2 {
			t.Fatalf("bad golden line %q: %v", sc.Text(), err)
		}
		var p string
		json.Unmarshal(line[0], &p)
		if p == "#names" {
			json.Unmarshal(line[1], &names)
			continue
		}
		var r string
		json.Unmarshal(line[1], &r)
		rows = append(rows, row{p, r})
	}
	if len(names) == 0 || len(rows) == 0 {
		t.Fatal("empty golden file")
	}
	for _, r := range rows {
		want := r.result
		if dev, ok := regexDeviations[r.pattern]; ok {
			want = dev
		}
		re, err := compileMatch(r.pattern)
		var got string
		if err != nil {
			got = "E"
			if !errors.Is(err, pyval.ErrNaming) || !strings.HasPrefix(err.Error(), "NamingError: invalid regex: ") {
				t.Errorf("%q: error %v is not NamingError(invalid regex: ...)", r.pattern, err)
			}
		} else {
			var b strings.Builder
			for _, n := range names {
				if re.MatchString(n) {
					b.WriteByte('1')
				} else {
					b.WriteByte('0')
				}
			}
			got = b.String()
		}
		if got != want {
			t.Errorf("re.match(%q): gyro %s, Python %s (names %q)", r.pattern, got, want, names)
		}
	}
}

func TestTranslateRegex(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{`a\Z`, `a\z`},
		{`x{,3}`, `x{0,3}`},
		{`\u00e9`, `\x{00e9}`},
		{`(?#note)a`, `a`},
		{`(?a)a`, `a`},
		{`(?ai:A)`, `(?i:A)`},
		{`[[]`, `[\[]`},
		{`a$`, `a(?:$|\n\z)`},
		{`[$]`, `[$]`},
		{`\d`, `[\p{Nd}]`},
		{`[\w.]`, `[\p{L}\p{N}_.]`},
		{`(?a)\d\w`, `\d\w`},
	} {
		got, err := translateRegex(tc.in)
		if err != nil || got != tc.out {
			t.Errorf("translateRegex(%q) = %q, %v; want %q", tc.in, got, err, tc.out)
		}
	}
}
