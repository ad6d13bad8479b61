package serial

import (
	"context"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
)

// reprCases pairs Go model values with the Python expression for the same
// value and CPython 3's repr() of it.
var reprCases = []struct {
	py   string
	v    any
	want string
}{
	{"None", nil, "None"},
	{"True", true, "True"},
	{"False", false, "False"},
	{"-7", int64(-7), "-7"},
	{"2**70", new(big.Int).Lsh(big.NewInt(1), 70), "1180591620717411303424"},
	{"1.0", 1.0, "1.0"},
	{"-0.0", math.Copysign(0, -1), "-0.0"},
	{"1e16", 1e16, "1e+16"},
	{"1e-05", 1e-05, "1e-05"},
	{"float('inf')", math.Inf(1), "inf"},
	{"float('nan')", math.NaN(), "nan"},
	{"complex(1, 2)", complex(1, 2), "(1+2j)"},
	{"complex(0, 1)", complex(0, 1), "1j"},
	{"complex(1.5, -2)", complex(1.5, -2), "(1.5-2j)"},
	{"complex(0, 0)", complex(0, 0), "0j"},
	{"complex(-0.0, 1)", complex(math.Copysign(0, -1), 1), "(-0+1j)"},
	{"complex(1, -0.0)", complex(1, math.Copysign(0, -1)), "(1-0j)"},
	{"complex(1, float('nan'))", complex(1, math.NaN()), "(1+nanj)"},
	{"complex(2, 1e16)", complex(2, 1e16), "(2+1e+16j)"},
	{"''", "", "''"},
	{`"it's"`, "it's", `"it's"`},
	{`'a"b\'c'`, `a"b'c`, `'a"b\'c'`},
	{`'\n\x00é'`, "\n\x00é", `'\n\x00é'`},
	{"'abc'", "abc", "'abc'"},
	{`'x"y'`, `x"y`, `'x"y'`},
	{`'it\'s "x"'`, `it's "x"`, `'it\'s "x"'`},
	{`'a\\b'`, `a\b`, `'a\\b'`},
	{`'t\tn\nr\r'`, "t\tn\nr\r", `'t\tn\nr\r'`},
	{`'\x00\x7f'`, "\x00\x7f", `'\x00\x7f'`},
	{"'ünï €'", "ünï €", "'ünï €'"},
	{`'\xa0'`, "\u00a0", `'\xa0'`},
	{`'\u200b'`, "\u200b", `'\u200b'`},
	{`'\U0001f600'`, "\U0001F600", "'\U0001F600'"},
	{`'\U000e0001'`, "\U000E0001", `'\U000e0001'`},
	{"b''", []byte{}, "b''"},
	{`b"it's"`, []byte("it's"), `b"it's"`},
	{`b'a\x00\xff\t"\\'`, []byte("a\x00\xff\t\"\\"), `b'a\x00\xff\t"\\'`},
	{`b'\r\n\x7f'`, []byte("\r\n\x7f"), `b'\r\n\x7f'`},
	{"[]", []any{}, "[]"},
	{"[1, 'a', [None]]", []any{int64(1), "a", []any{nil}}, "[1, 'a', [None]]"},
	{"()", pyval.Tuple{}, "()"},
	{"(1,)", pyval.Tuple{int64(1)}, "(1,)"},
	{"(1, (2,))", pyval.Tuple{int64(1), pyval.Tuple{int64(2)}}, "(1, (2,))"},
	{"set()", pyval.Set{}, "set()"},
	{"{'a'}", pyval.Set{"a"}, "{'a'}"},
	{"{}", pyval.DictOf(), "{}"},
	{"{'a': 1, 2: (None,)}", pyval.DictOf("a", int64(1), int64(2), pyval.Tuple{nil}), "{'a': 1, 2: (None,)}"},
}

func TestRepr(t *testing.T) {
	for _, c := range reprCases {
		if got := Repr(c.v); got != c.want {
			t.Errorf("Repr(%s) = %s, want %s", c.py, got, c.want)
		}
	}
}

// TestReprMatchesPython holds reprCases' expected strings to CPython's
// repr() of the same expressions.
func TestReprMatchesPython(t *testing.T) {
	pyrotest.Python(t)
	exprs := make([]string, len(reprCases))
	for i, c := range reprCases {
		exprs[i] = c.py
	}
	out, err := pyrotest.Run(t, context.Background(),
		"import sys\nfor v in ["+strings.Join(exprs, ", ")+"]:\n    sys.stdout.buffer.write(repr(v).encode('utf-8') + b'\\n')\n")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(reprCases) {
		t.Fatalf("python printed %d lines for %d cases:\n%s", len(lines), len(reprCases), out)
	}
	for i, c := range reprCases {
		if lines[i] != c.want {
			t.Errorf("repr(%s) is %s in CPython; the table says %s", c.py, lines[i], c.want)
		}
	}
}
