package serial

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gyro-rpc/gyro/pyval"
)

// The golden files under testdata/serpent are written by gen.py with the
// real Pyro4 4.82 and serpent 1.41; the Go values they hold are here.

func serpentBig(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 0)
	if !ok {
		panic("bad big int " + s)
	}
	return v
}

var (
	serpentExcValue = &pyval.Exception{Class: "builtins.ValueError", Args: pyval.Tuple{"bad", int64(3)},
		Attributes: pyval.DictOf("extra", "attr")}
	serpentURI = pyval.MustParseURI("PYRO:obj@localhost:9999")
)

// serpentGoldens maps each value file to its Go value. decoded, when set,
// is what decoding gives instead (bytes stay a base64 dict, as in Pyro4);
// decodeErr, when set, is the exception class decoding must give.
var serpentGoldens = []struct {
	name       string
	value      any
	decoded    any
	hasDecoded bool
	decodeErr  string
}{
	{name: "none", value: nil},
	{name: "true", value: true},
	{name: "false", value: false},
	{name: "int_0", value: int64(0)},
	{name: "int_neg", value: int64(-42)},
	{name: "int_max64", value: int64(math.MaxInt64)},
	{name: "int_min64", value: int64(math.MinInt64)},
	{name: "int_2p63", value: serpentBig("9223372036854775808")},
	{name: "int_2p70", value: serpentBig("1180591620717411303424")},
	{name: "int_neg_2p100", value: serpentBig("-1267650600228229401496703205376")},
	{name: "float_3_5", value: 3.5},
	{name: "float_neg0", value: math.Copysign(0, -1)},
	{name: "float_1", value: 1.0},
	{name: "float_1e22", value: 1e22},
	{name: "float_1e-07", value: 1e-07},
	{name: "float_0_1", value: 0.1},
	{name: "float_1e16", value: 1e16},
	{name: "float_1e15", value: 1e15},
	{name: "float_1e-4", value: 0.0001},
	{name: "float_1_5e-5", value: 1.5e-05},
	{name: "float_max", value: math.MaxFloat64},
	{name: "float_tiny", value: 5e-324},
	{name: "float_pi", value: math.Pi},
	{name: "float_neg_small", value: -2.5e-10},
	{name: "float_inf", value: math.Inf(1)},
	{name: "float_neginf", value: math.Inf(-1)},
	{name: "float_nan", value: math.NaN()},
	{name: "complex_1_2", value: complex(1, 2)},
	{name: "complex_1_5_m2", value: complex(1.5, -2)},
	{name: "complex_2j", value: complex(0, 2)},
	{name: "complex_neg_real", value: complex(-1, 0.5)},
	{name: "complex_inf", value: complex(math.Inf(1), 1)},
	{name: "str_empty", value: ""},
	{name: "str_ascii", value: "hello world"},
	{name: "str_single_quote", value: "it's"},
	{name: "str_double_quote", value: `say "hi"`},
	{name: "str_both_quotes", value: `it's "x"`},
	{name: "str_backslash", value: `a\b`},
	{name: "str_whitespace", value: "a\nb\rc\td"},
	{name: "str_controls", value: "\x00\x01\x1f\x7f"},
	{name: "str_latin1", value: "caf\u00e9 \u00a0 \u00ad"},
	{name: "str_zwsp", value: "a\u200bb"},
	{name: "str_line_sep", value: "\u2028\u2029"},
	{name: "str_bom", value: "\ufeff"},
	{name: "str_emoji", value: "\U0001F600"},
	{name: "str_cjk", value: "日本語"},
	{name: "str_combining", value: "e\u0301"},
	{name: "str_private", value: "\ue000"},
	{name: "str_tag", value: "\U000e0001"},
	{name: "str_noncharacter", value: "\U0010ffff"},
	{name: "str_mixed", value: "\u00e9\u200b'\"\\\n\a\U0001F600"},
	{name: "bytes_data", value: []byte{0, 1, 0xff}, hasDecoded: true,
		decoded: pyval.DictOf("data", "AAH/", "encoding", "base64")},
	{name: "bytes_empty", value: []byte{}, hasDecoded: true,
		decoded: pyval.DictOf("data", "", "encoding", "base64")},
	{name: "tuple_empty", value: pyval.Tuple{}},
	{name: "tuple_one", value: pyval.Tuple{int64(1)}},
	{name: "tuple_two", value: pyval.Tuple{int64(1), "a"}},
	{name: "tuple_nested", value: pyval.Tuple{pyval.Tuple{int64(1), int64(2)}, pyval.Tuple{int64(3), pyval.Tuple{int64(4)}}}},
	{name: "list_empty", value: []any{}},
	{name: "list_nested", value: []any{int64(1), []any{int64(2), []any{int64(3)}}}},
	{name: "list_mixed", value: []any{nil, true, 1.5, "x", pyval.Tuple{int64(1)}, pyval.NewDict(0)}},
	{name: "dict_empty", value: pyval.NewDict(0)},
	{name: "dict_str", value: pyval.DictOf("a", int64(1), "b", []any{int64(1), int64(2)})},
	{name: "dict_int_key", value: pyval.DictOf(int64(1), "a")},
	{name: "dict_tuple_key", value: pyval.DictOf(pyval.Tuple{int64(1), int64(2)}, "t")},
	{name: "dict_mixed_keys", value: pyval.DictOf(pyval.Tuple{int64(1), "a"}, int64(2), int64(3), int64(4),
		1.5, int64(1), true, int64(0), complex(1, 2), int64(0))},
	// serpent writes a bytes key as a base64 dict, which no reader can take
	// back as a key: Python's literal_eval raises TypeError too
	{name: "dict_bytes_key", value: pyval.DictOf([]byte("x"), int64(1)), decodeErr: pyval.ClassTypeError},
	{name: "dict_nested", value: pyval.DictOf("a", pyval.DictOf("b", pyval.DictOf("c", []any{int64(1), pyval.DictOf("d", nil)})))},
	{name: "set_one", value: pyval.Set{int64(1)}},
	{name: "set_ints", value: pyval.Set{int64(1), int64(2), int64(3)}},
	{name: "set_empty", value: pyval.Set{}, hasDecoded: true, decoded: pyval.Tuple{}},
	{name: "frozenset_str", value: pyval.Set{"a"}},
	{name: "set_tuple", value: pyval.Set{pyval.Tuple{int64(1), int64(2)}}},
	{name: "uri_pyro", value: serpentURI},
	{name: "uri_sock", value: pyval.MustParseURI("PYRO:obj@./u:app.sock")},
	{name: "uri_name", value: pyval.MustParseURI("PYRONAME:foo")},
	{name: "uri_ipv6", value: pyval.MustParseURI("PYRO:obj@[::1]:9999")},
	{name: "proxy", value: pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:thing@127.0.0.1:43079"),
		Oneway: []string{"ow"}, Methods: []string{"ow"}, Attrs: []string{"val"}, Handshake: "hello"}},
	{name: "exc_value", value: serpentExcValue},
	{name: "exc_naming", value: &pyval.Exception{Class: pyval.ClassNamingError, Args: pyval.Tuple{"x"}}},
	{name: "exc_stopiteration", value: &pyval.Exception{Class: pyval.ClassStopIteration, Args: pyval.Tuple{}}},
	{name: "exc_wrapper", value: pyval.ExceptionWrapper{Exception: serpentExcValue}},
	{name: "nested_deep", value: serpentNest(20, pyval.Tuple{"deep"})},
}

func serpentNest(n int, v any) any {
	for range n {
		v = []any{v}
	}
	return v
}

func serpentGolden(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "serpent", name+".serpent"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSerpentGoldenValues(t *testing.T) {
	for _, g := range serpentGoldens {
		t.Run(g.name, func(t *testing.T) {
			golden := serpentGolden(t, g.name)
			enc, err := Serpent.Marshal(nil, g.value, nil)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(enc, golden) {
				t.Errorf("Marshal:\n got %q\nwant %q", enc, golden)
			}
			want := g.value
			if g.hasDecoded {
				want = g.decoded
			}
			got, err := Serpent.Unmarshal(golden)
			if g.decodeErr != "" {
				var exc *pyval.Exception
				if !errors.As(err, &exc) || exc.Class != g.decodeErr {
					t.Fatalf("Unmarshal: got %#v, %v; want a %s", got, err, g.decodeErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !serpentSame(got, want) {
				t.Errorf("Unmarshal:\n got %#v\nwant %#v", got, want)
			}
			if strings.HasPrefix(g.name, "bytes_") {
				return // the decoded dict is written as a dict, without the spaces of the bytes repr
			}
			// and the decoded value encodes back to the same bytes
			again, err := Serpent.Marshal(nil, got, nil)
			if err != nil || !bytes.Equal(again, golden) {
				t.Errorf("re-Marshal: %q, %v; want %q", again, err, golden)
			}
		})
	}
}

var serpentGoldenCalls = []struct {
	name string
	call Call
}{
	{"call_echo", Call{Object: "test.echoserver", Method: "echo", Args: []any{"hi"}}},
	{"call_kwargs", Call{Object: "obj", Method: "method", Args: []any{int64(1), "a", []any{2.5}},
		Kwargs: pyval.DictOf("k", []any{int64(1), int64(2)}, "z", nil)}},
	{"call_uri_arg", Call{Object: "obj", Method: "register", Args: []any{"name", serpentURI}}},
	{"proxy_echo", Call{Object: "test.thing", Method: "echo", Args: []any{"hi"}}},
	{"proxy_kwargs", Call{Object: "test.thing", Method: "echo", Args: []any{int64(1)}, Kwargs: pyval.DictOf("k", "v")}},
	{"proxy_getattr", Call{Object: "test.thing", Method: "__getattr__", Args: []any{"prop"}, KwargsNone: true}},
	{"proxy_setattr", Call{Object: "test.thing", Method: "__setattr__", Args: []any{"prop", int64(5)}, KwargsNone: true}},
	{"proxy_batch", Call{Object: "test.thing", Method: "<batch>", Args: []any{
		pyval.Tuple{"echo", pyval.Tuple{int64(1)}, pyval.NewDict(0)},
		pyval.Tuple{"echo", pyval.Tuple{int64(2)}, pyval.DictOf("k", int64(3))},
	}, KwargsNone: true}},
	{"proxy_get_metadata", Call{Object: "Pyro.Daemon", Method: "get_metadata", Args: []any{"test.thing"}}},
	{"proxy_get_next_stream_item", Call{Object: "Pyro.Daemon", Method: "get_next_stream_item",
		Args: []any{"12345678-1234-5678-1234-567812345678"}}},
	{"proxy_close_stream", Call{Object: "Pyro.Daemon", Method: "close_stream",
		Args: []any{"12345678-1234-5678-1234-567812345678"}}},
}

func TestSerpentGoldenCalls(t *testing.T) {
	for _, g := range serpentGoldenCalls {
		t.Run(g.name, func(t *testing.T) {
			golden := serpentGolden(t, g.name)
			enc, err := Serpent.MarshalCall(nil, &g.call, nil)
			if err != nil {
				t.Fatalf("MarshalCall: %v", err)
			}
			if !bytes.Equal(enc, golden) {
				t.Errorf("MarshalCall:\n got %q\nwant %q", enc, golden)
			}
			var c Call
			if err := Serpent.UnmarshalCall(golden, &c); err != nil {
				t.Fatalf("UnmarshalCall: %v", err)
			}
			if !serpentSameCall(&c, &g.call) {
				t.Errorf("UnmarshalCall:\n got %#v\nwant %#v", c, g.call)
			}
		})
	}
}

func TestSerpentMarshalCallLayout(t *testing.T) {
	tests := []struct {
		call Call
		want string
	}{
		{Call{Object: "o", Method: "m"}, "('o','m',(),{})"},
		{Call{Object: "o", Method: "m", Args: []any{int64(1)}}, "('o','m',(1,),{})"},
		{Call{Object: "o", Method: "__getattr__", Args: []any{"x"}}, "('o','__getattr__',('x',),None)"},
		{Call{Object: "o", Method: "__getattr__", Args: []any{"x"}, Kwargs: pyval.NewDict(0)}, "('o','__getattr__',('x',),{})"},
		{Call{Object: "o", Method: "<batch>"}, "('o','<batch>',[],None)"},
		{Call{Object: "Pyro.Daemon", Method: "get_metadata", Args: []any{"o"}}, "('Pyro.Daemon','get_metadata',['o'],{})"},
		{Call{Object: "Pyro.Daemon", Method: "ping"}, "('Pyro.Daemon','ping',(),{})"},
		// a user object's method of the same name is an ordinary call
		{Call{Object: "o", Method: "get_metadata", Args: []any{"o"}}, "('o','get_metadata',('o',),{})"},
	}
	for _, tt := range tests {
		got, err := Serpent.MarshalCall([]byte("xx"), &tt.call, nil)
		if err != nil {
			t.Errorf("%+v: %v", tt.call, err)
			continue
		}
		if want := "xx" + serpentHeader + tt.want; string(got) != want {
			t.Errorf("%+v:\n got %q\nwant %q", tt.call, got, want)
		}
	}
	// an error leaves dst as it was
	got, err := Serpent.MarshalCall([]byte("xx"), &Call{Object: "o", Method: "m", Args: []any{make(chan int)}}, nil)
	if err == nil || string(got) != "xx" {
		t.Errorf("bad arg: got %q, %v; want \"xx\" and an error", got, err)
	}
}

// TestSerpentDecodeSyntax covers literal syntax Python accepts but serpent
// never writes.
func TestSerpentDecodeSyntax(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"# serpent utf-8 python3.2\n# another comment\n\n  (1 , 2 ,)\n", pyval.Tuple{int64(1), int64(2)}},
		{"1,2", pyval.Tuple{int64(1), int64(2)}},
		{"1 ,", pyval.Tuple{int64(1)}},
		{"(1)", int64(1)},
		{"((1,))", pyval.Tuple{int64(1)}},
		{"[1,\n# c\n2,\n]", []any{int64(1), int64(2)}},
		{"(1\\\n,2)", pyval.Tuple{int64(1), int64(2)}},
		{"\t None", nil},
		{`u'a' 'b' r'\n'`, `ab\n`},
		{`"a" """b"c""" '''d'''`, `ab"cd`},
		{"'''multi\nline'''", "multi\nline"},
		{"'''a\r\nb\rc'''", "a\nb\nc"},
		{`''''a'''`, "'a"},
		{`b'a' B'\x00' rb'\n' Rb"\'"`, []byte("a\x00\\n\\'")},
		{`b'\777\101'`, []byte{0xff, 'A'}},
		{`b'\u00e9'`, []byte(`\u00e9`)},
		{`'\a\b\f\v\0\101\x41\u00e9\U0001F600\777'`, "\a\b\f\v\x00AA\u00e9\U0001F600\u01ff"},
		{"'a\\\nb'", "ab"},
		{"r'a\\\nb'", "a\\\nb"},
		{`'\q\é'`, `\q\é`},
		{`r'\''`, `\'`},
		{`'\ud800'`, "\xed\xa0\x80"},
		{"'é\u200b😀'", "é\u200b😀"},
		{"0x_FF", int64(255)},
		{"0XfF", int64(255)},
		{"0o17", int64(15)},
		{"0B101", int64(5)},
		{"1_000_000", int64(1000000)},
		{"00", int64(0)},
		{"0_0", int64(0)},
		{"0x" + strings.Repeat("f", 32), serpentBig("0x" + strings.Repeat("f", 32))},
		{"0o" + strings.Repeat("7", 21), int64(math.MaxInt64)},
		{"0o" + strings.Repeat("7", 22), serpentBig("0o" + strings.Repeat("7", 22))},
		{"0b" + strings.Repeat("1", 63), int64(math.MaxInt64)},
		{"0x0000000000000000000001", int64(1)},
		{"0b" + strings.Repeat("1_0", 40), serpentBig("0b" + strings.Repeat("1_0", 40))},
		{"0X_" + strings.Repeat("Ab_", 30) + "c", serpentBig("0x_" + strings.Repeat("Ab_", 30) + "c")},
		{"-0o" + strings.Repeat("7", 30), new(big.Int).Neg(serpentBig("0o" + strings.Repeat("7", 30)))},
		{"-9223372036854775808", int64(math.MinInt64)},
		{"-(9223372036854775808)", int64(math.MinInt64)},
		{"9223372036854775808", serpentBig("9223372036854775808")},
		{"1_0.5e1_0", 105000000000.0},
		{".5", 0.5},
		{"5.", 5.0},
		{"1.e2", 100.0},
		{"01.5", 1.5},
		{"1e400", math.Inf(1)},
		{"-1e30000", math.Inf(-1)},
		{"1e-400", 0.0},
		{"+2", int64(2)},
		{"-1.5", -1.5},
		{"- 3", int64(-3)},
		{"1E5J", complex(0, 100000)},
		{"01j", complex(0, 1)},
		{"-1j", complex(math.Copysign(0, -1), -1)},
		{"(1)+2j", complex(1, 2)},
		{"-1-2j", complex(-1, -2)},
		{"[1+2j, -1.5 - 0.5j]", []any{complex(1, 2), complex(-1.5, -0.5)}},
		{"(1.0-0.0j)", complex(1, 0)},
		{"set()", pyval.Set{}},
		{"set ( )", pyval.Set{}},
		{"{1,2,1}", pyval.Set{int64(1), int64(2)}},
		{"{1,1.0,True,(1,),(True,)}", pyval.Set{int64(1), pyval.Tuple{int64(1)}}},
		{"{}", pyval.NewDict(0)},
		{"{1:1,1.0:2,True:3}", pyval.DictOf(int64(1), int64(3))},
		{"{'a':1,'b':2,'a':3}", pyval.DictOf("a", int64(3), "b", int64(2))},
		{"{0.0:'z',-0.0:'n',0:'i',False:'f',0j:'c'}", pyval.DictOf(0.0, "c")},
		{"{b'x':1,'x':2}", pyval.DictOf([]byte("x"), int64(1), "x", int64(2))},
		{"{(1,'a'):None,}", pyval.DictOf(pyval.Tuple{int64(1), "a"}, nil)},
		{"{'a': b'x'}", pyval.DictOf("a", []byte("x"))},
		{"{'__class__':'float','value':'inf'}", math.Inf(1)},
		{"{'__class__':'float','value':'-inf'}", math.Inf(-1)},
		{"{'__class__':'Pyro4.core.URI','state':['PYRO','obj',None,'localhost',9999]}", serpentURI},
		{"{'__class__':'ValueError','__exception__':True,'args':['bad',3],'attributes':{'extra':'attr'}}", serpentExcValue},
		{"[" + strings.Repeat("[", 999) + strings.Repeat("]", 999) + "]", serpentNest(999, []any{})},
	}
	for _, tt := range tests {
		got, err := Serpent.Unmarshal([]byte(tt.in))
		if err != nil {
			t.Errorf("%.60q: %v", tt.in, err)
			continue
		}
		if !serpentSame(got, tt.want) {
			t.Errorf("%.60q:\n got %.300#v\nwant %.300#v", tt.in, got, tt.want)
		}
	}
}

func TestSerpentDecodeErrors(t *testing.T) {
	const (
		syntax = "builtins.SyntaxError"
		value  = pyval.ClassValueError
		typ    = pyval.ClassTypeError
	)
	tests := []struct {
		in, class, text string
	}{
		{"", syntax, "unexpected end"},
		{"# serpent utf-8 python3.2\n", syntax, "unexpected end"},
		{"(1,2", syntax, "line 1, offset 4"},
		{"[1 2]", syntax, "offset 3"},
		{"\n\n[1,,2]", syntax, "line 3, offset 5"},
		{"{1:}", syntax, ""},
		{"{1:2, 3}", syntax, ""},
		{"{1, 2:3}", syntax, ""},
		{"(,)", syntax, ""},
		{"1 2", syntax, ""},
		{"1,\n,", syntax, ""},
		{"'abc", syntax, "unterminated"},
		{"'a\nb'", syntax, "unterminated"},
		{"'a\rb'", syntax, "unterminated"},
		{"'''abc''", syntax, "unterminated"},
		{`'abc\`, syntax, "unterminated"},
		{"1\x00", syntax, "0-bytes"},
		{"'\x00'", syntax, "0-bytes"},
		{"'\xff'", "builtins.UnicodeDecodeError", "utf-8"},
		{"b'é'", syntax, "ASCII"},
		{`b'\` + "\n" + `é'`, syntax, "ASCII"},
		{`rb'\é'`, syntax, "ASCII"},
		{`'\x4'`, syntax, `\xXX`},
		{`'\u12'`, syntax, `\u`},
		{`'\U00110000'`, syntax, "illegal"},
		{`'\N{BULLET}'`, syntax, `\N`},
		{`'a' b'b'`, syntax, "mix"},
		{`ur'x'`, syntax, "prefix"},
		{`bb'x'`, syntax, ""},
		{"01", syntax, "leading zeros"},
		{"0_1", syntax, "leading zeros"},
		{"1_", syntax, ""},
		{"1__0", syntax, ""},
		{"1._5", syntax, ""},
		{"1e", syntax, ""},
		{"1e+", syntax, ""},
		{"1L", syntax, ""},
		{"1.2.3", syntax, ""},
		{"0x", syntax, "base 16"},
		{"0x_", syntax, ""},
		{"0o8", syntax, "base 8"},
		{"0b2", syntax, "base 2"},
		{"0b1_", syntax, ""},
		{"...", syntax, ""},
		{"[*a]", syntax, ""},
		{"{**a}", syntax, ""},
		{"1 if 1 else 2", syntax, ""},
		{"\ufeff1", syntax, ""},
		{"--1", syntax, ""},
		{"1+-2j", syntax, ""},
		{"[" + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + "]", syntax, "too deep"},
		{strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000), syntax, "too deep"},
		{strings.Repeat("{1:", 100000), syntax, "too deep"},
		{"foo", value, "name"},
		{"set([1])", value, "name"},
		{"Set()", value, "name"},
		{"f'x'", value, "f-string"},
		{"-True", value, ""},
		{"-'a'", value, ""},
		{"-(1+2j)", value, ""},
		{"-(-1)", value, ""},
		{"1+2", value, ""},
		{"'a'+'b'", value, ""},
		{"1j+1", value, ""},
		{"1j+2j", value, ""},
		{"True+1j", value, ""},
		{"1+2j+3j", value, ""},
		{"(1+2j)+3j", value, ""},
		{strings.Repeat("1", 4301), value, "4300"},
		{"{[1]:2}", typ, "'list'"},
		{"{{}:2}", typ, "'dict'"},
		{"{set():2}", typ, "'set'"},
		{"{(1,[2]):3}", typ, "'list'"},
		{"{1:2,[3]:4}", typ, "'list'"},
		{"{1,{2}}", typ, "'set'"},
		{"{{'__class__':'float','value':'nan'}:1}", typ, "'dict'"},
		{"{'__class__':'__main__.X'}", pyval.ClassSecurityError, "double underscores"},
		{"{'__class__':'foo.Bar'}", pyval.ClassSerializeError, "foo.Bar"},
		{"{'__class__':'Pyro4.errors.NoSuchError'}", pyval.ClassAttributeError, ""},
		{"[{'__class__':'foo.Bar'}]", pyval.ClassSerializeError, ""},
		{"(10**400)", syntax, ""},
		{"1" + strings.Repeat("0", 400) + "+1j", "builtins.OverflowError", ""},
	}
	for _, tt := range tests {
		v, err := Serpent.Unmarshal([]byte(tt.in))
		var exc *pyval.Exception
		if !errors.As(err, &exc) {
			t.Errorf("%.50q: got %#v, %v; want a %s", tt.in, v, err, tt.class)
			continue
		}
		if exc.Class != tt.class || !strings.Contains(exc.Error(), tt.text) {
			t.Errorf("%.50q: got %s %q; want %s containing %q", tt.in, exc.Class, exc.Error(), tt.class, tt.text)
		}
	}
}

func TestSerpentUnmarshalCall(t *testing.T) {
	tests := []struct {
		in   string
		want Call
	}{
		{"('a','b',(1,),None)", Call{Object: "a", Method: "b", Args: []any{int64(1)}, KwargsNone: true}},
		{"['a','b',[1],{}]", Call{Object: "a", Method: "b", Args: []any{int64(1)}}},
		{"(('a'),'b',(),{'k':1})", Call{Object: "a", Method: "b", Args: []any{}, Kwargs: pyval.DictOf("k", int64(1))}},
		{serpentHeader + "( 'a' 'b' , \"m\" ,\n(),{},)\n", Call{Object: "ab", Method: "m", Args: []any{}}},
		{"'a','b',(),{}", Call{Object: "a", Method: "b", Args: []any{}}},
		{"('a','b',({'__class__':'Pyro4.core.URI','state':('PYRO','obj',None,'localhost',9999)},),{})",
			Call{Object: "a", Method: "b", Args: []any{serpentURI}}},
	}
	for _, tt := range tests {
		c := Call{Object: "stale", Args: []any{1}}
		if err := Serpent.UnmarshalCall([]byte(tt.in), &c); err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !serpentSameCall(&c, &tt.want) {
			t.Errorf("%q:\n got %#v\nwant %#v", tt.in, c, tt.want)
		}
	}

	bad := []struct{ in, class, text string }{
		{"('a','b',(),{},5)", pyval.ClassValueError, "got 5 items"},
		{"('a','b')", pyval.ClassValueError, "got 2 items"},
		{"42", pyval.ClassTypeError, "got int"},
		{"[1,'b',(),{}]", pyval.ClassTypeError, "object id"},
		{"('a',b'm',(),{})", pyval.ClassTypeError, "method"},
		{"('a','b',{},{})", pyval.ClassTypeError, "vargs"},
		{"('a','b','xy',{})", pyval.ClassTypeError, "vargs"},
		{"('a','b',(),[])", pyval.ClassTypeError, "kwargs"},
		{"('a','b',(),{1:2})", pyval.ClassTypeError, "keywords must be strings"},
		{"('a','b',(1,,),{})", "builtins.SyntaxError", ""},
		{"('a','b',(),{})x", "builtins.SyntaxError", ""},
		{"('a','b',({'__class__':'x.Y'},),{})", pyval.ClassSerializeError, ""},
	}
	for _, tt := range bad {
		var c Call
		err := Serpent.UnmarshalCall([]byte(tt.in), &c)
		var exc *pyval.Exception
		if !errors.As(err, &exc) || exc.Class != tt.class || !strings.Contains(exc.Error(), tt.text) {
			t.Errorf("%q: got %v; want %s containing %q", tt.in, err, tt.class, tt.text)
		}
	}
}

type serpentObj struct{ name string }

type serpentPerson struct {
	Name    string
	Age     int `pyro:"age"`
	private int
	Skip    int `pyro:"-"`
}

func TestSerpentMarshalGo(t *testing.T) {
	huge := new(big.Int).Exp(big.NewInt(10), big.NewInt(5000), nil)
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(4300), nil) // 4301 digits
	below := new(big.Int).Sub(limit, big.NewInt(1))                  // 4300 digits
	var nilPerson *serpentPerson
	var nilURI *pyval.URI
	uri := serpentURI
	tests := []struct {
		v    any
		want string
	}{
		{int(5), "5"},
		{int32(-3), "-3"},
		{uint8(7), "7"},
		{uint64(1 << 63), "9223372036854775808"},
		{int16(-2), "-2"},
		{float32(1.5), "1.5"},
		{float32(0.1), "0.10000000149011612"},
		{complex64(1 + 2i), "(1.0+2.0j)"},
		{complex(1, math.Copysign(0, -1)), "(1.0-0.0j)"},
		{complex(math.Inf(-1), math.Inf(-1)), "(-1e30000-1e30000j)"},
		{[]string{"a", "b'"}, `['a',"b'"]`},
		{map[string]any{"b": 1, "a": []int{1, 2}}, "{'a':[1,2],'b':1}"},
		{map[int]string{2: "b", 1: "a"}, "{1:'a',2:'b'}"},
		{serpentPerson{Name: "x", Age: 3, private: 1, Skip: 4}, "{'name':'x','age':3}"},
		{&serpentPerson{Name: "y"}, "{'name':'y','age':0}"},
		{nilPerson, "None"},
		{(*pyval.Exception)(nil), "None"},
		{(*big.Int)(nil), "None"},
		{nilURI, "None"},
		{&uri, "{'__class__':'Pyro4.core.URI','state':('PYRO','obj',None,'localhost',9999)}"},
		{(*pyval.Dict)(nil), "{}"},
		{pyval.Tuple(nil), "()"},
		{[]any(nil), "[]"},
		{1500 * time.Millisecond, "1.5"},
		{errors.New("boom"), "{'__class__':'builtins.Exception','__exception__':True,'args':('boom',),'attributes':{}}"},
		{pyval.NewException("NamingError", "x"), "{'__class__':'Pyro4.errors.NamingError','__exception__':True,'args':('x',),'attributes':{}}"},
		{"a\xffb", "'a\ufffdb'"},
		// surrogates (WTF-8, from a decoder), as serpent.dumps writes them
		{"a\xed\xa0\x80b", `'a\ud800b'`},
		{"x\xed\xb2\x80\U0001F600y", "'x\\udc80\U0001F600y'"},
		{"\xed\xa0", "'\ufffd\ufffd'"}, // a cut one is just invalid
		{"\u0cf3", "'\u0cf3'"},         // Unicode 15: printable to Go, unassigned to Python 3.11
		{pyval.Set{}, "()"},
		{pyval.DictOf(nil, 1), "{None:1}"},
		{[]any{int64(1), []byte("hi"), pyval.Set{"x"}}, "[1,{'data': 'aGk=', 'encoding': 'base64'},{'x'}]"},
		{huge, "0x" + huge.Text(16)},
		{limit, "0x" + limit.Text(16)},
		{below, below.String()},
		{new(big.Int).Neg(below), "-" + below.String()},
		{new(big.Int).Neg(huge), "-0x" + huge.Text(16)},
	}
	for _, tt := range tests {
		got, err := Serpent.Marshal(nil, tt.v, nil)
		if err != nil {
			t.Errorf("%T %v: %v", tt.v, tt.v, err)
			continue
		}
		if want := serpentHeader + tt.want; string(got) != want {
			t.Errorf("%T %v:\n got %q\nwant %q", tt.v, tt.v, got, want)
		}
	}
	// huge ints read back
	for _, v := range []*big.Int{huge, new(big.Int).Neg(huge), limit, below} {
		enc, _ := Serpent.Marshal(nil, v, nil)
		got, err := Serpent.Unmarshal(enc)
		if err != nil || !serpentSame(got, v) {
			t.Errorf("huge int: got %v, %v", got, err)
		}
	}
}

func TestSerpentMarshalErrors(t *testing.T) {
	cyclic := make([]any, 1)
	cyclic[0] = cyclic
	deep := serpentNest(serpentMaxDepth+1, int64(1))
	tests := []struct {
		v     any
		class string
	}{
		{complex(math.NaN(), 0), pyval.ClassValueError},
		{complex(0, math.NaN()), pyval.ClassValueError},
		{make(chan int), pyval.ClassSerializeError},
		{func() {}, pyval.ClassSerializeError},
		{[]any{1, make(chan int)}, pyval.ClassSerializeError},
		{pyval.DictOf([]any{1}, 1), pyval.ClassTypeError},
		{pyval.Set{pyval.NewDict(0)}, pyval.ClassTypeError},
		{cyclic, pyval.ClassValueError},
		{deep, pyval.ClassValueError},
	}
	for _, tt := range tests {
		dst := []byte("prefix")
		got, err := Serpent.Marshal(dst, tt.v, nil)
		var exc *pyval.Exception
		if !errors.As(err, &exc) || exc.Class != tt.class {
			t.Errorf("%T: got %v; want %s", tt.v, err, tt.class)
		}
		if string(got) != "prefix" {
			t.Errorf("%T: dst after error is %q", tt.v, got)
		}
	}
	if _, err := Serpent.Marshal(nil, serpentNest(serpentMaxDepth, int64(1)), nil); err != nil {
		t.Errorf("nesting of exactly the limit: %v", err)
	}
}

func TestSerpentReplacer(t *testing.T) {
	var offered []any
	r := func(v any) (any, bool) {
		offered = append(offered, v)
		if o, ok := v.(*serpentObj); ok {
			return pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:" + o.name + "@localhost:1")}, true
		}
		return nil, false
	}
	v := []any{"s", int64(1), 1.5, nil, true, pyval.Tuple{}, pyval.NewDict(0), &serpentObj{"o"}, serpentPerson{Name: "p"}}
	got, err := Serpent.Marshal(nil, v, r)
	if err != nil {
		t.Fatal(err)
	}
	want := serpentHeader + "['s',1,1.5,None,True,(),{}," +
		"{'__class__':'Pyro4.core.Proxy','state':('PYRO:o@localhost:1',(),(),(),0.0,None,'hello',0,None)}," +
		"{'name':'p','age':0}]"
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// only the values outside the model were offered: the object, the
	// struct, and none of the struct's int or str fields
	if len(offered) != 2 {
		t.Errorf("offered %d values to the replacer: %#v", len(offered), offered)
	}
}

func TestSerpentLargeContainers(t *testing.T) {
	// big enough for the hash index, with duplicates that are equal only
	// in Python's sense
	var b strings.Builder
	b.WriteString("{")
	const n = 5000
	for i := range n {
		fmt.Fprintf(&b, "%d:%d,'%d':%d,", i, i, i, i)
	}
	b.WriteString("1.0:'float',True:'bool',(1,):'t',(1.0,):'t2','7':'seven'}")
	v, err := Serpent.Unmarshal([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*pyval.Dict)
	if d.Len() != 2*n+1 {
		t.Fatalf("len %d, want %d", d.Len(), 2*n+1)
	}
	items := d.Items()
	if k, v := items[2].Key, items[2].Value; k != int64(1) || v != "bool" {
		t.Errorf("key 1: got %#v:%#v, want 1:'bool'", k, v)
	}
	if k, v := items[15].Key, items[15].Value; k != "7" || v != "seven" {
		t.Errorf("key '7': got %#v:%#v", k, v)
	}
	if it := items[2*n]; !serpentSame(it.Key, pyval.Tuple{int64(1)}) || it.Value != "t2" {
		t.Errorf("tuple key: got %#v", it)
	}

	b.Reset()
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, "%d,%d.0,", i%100, i%100)
	}
	b.WriteString("}")
	v, err = Serpent.Unmarshal([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if s := v.(pyval.Set); len(s) != 100 || s[99] != int64(99) {
		t.Errorf("set: len %d", len(s))
	}
}

// TestPyFloatRepr checks appendPyFloat against repr() of 3000 floats.
func TestPyFloatRepr(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "serpent", "floats.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		hex, repr, _ := strings.Cut(sc.Text(), " ")
		bits, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		v := math.Float64frombits(bits)
		if got := string(appendPyFloat(nil, v)); got != repr {
			t.Errorf("%v (%s): got %s, want %s", v, hex, got, repr)
		}
		n++
	}
	if n < 3000 {
		t.Fatalf("only %d floats", n)
	}
	for v, want := range map[float64]string{math.Inf(1): "inf", math.Inf(-1): "-inf", math.NaN(): "nan"} {
		if got := string(appendPyFloat(nil, v)); got != want {
			t.Errorf("%v: got %s", v, got)
		}
	}
}

// TestSerpentPrintable checks, for every code point, that appendPyRepr
// escapes exactly what Python's repr escapes. Code points the generating
// Python's Unicode database leaves unassigned may differ: Go's tables are
// newer (Unicode 15), and a newer Python prints them raw as well.
func TestSerpentPrintable(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "serpent", "printable.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var nonprint, unassigned [][2]rune
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		var kind string
		var a, b rune
		if _, err := fmt.Sscanf(line, "%s %x %x", &kind, &a, &b); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if kind == "n" {
			nonprint = append(nonprint, [2]rune{a, b})
		} else {
			unassigned = append(unassigned, [2]rune{a, b})
		}
	}
	in := func(rs [][2]rune, r rune) bool { // rs is sorted
		i := sort.Search(len(rs), func(i int) bool { return rs[i][1] >= r })
		return i < len(rs) && rs[i][0] <= r
	}
	diffs := 0
	var buf []byte
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if 0xd800 <= r && r < 0xe000 {
			continue
		}
		buf = appendPyRepr(buf[:0], string(r))
		escaped := buf[1] == '\\' && r != '\\' && r != '\''
		if escaped == in(nonprint, r) {
			continue
		}
		if !escaped && in(unassigned, r) {
			diffs++ // newer Unicode than the generating Python's
			continue
		}
		t.Errorf("%U: escaped=%v, Python disagrees (repr %s)", r, escaped, buf)
	}
	t.Logf("%d code points assigned since the generating Python's Unicode version", diffs)
}

func TestSerpentCodecInfo(t *testing.T) {
	if Serpent.ID() != IDSerpent || Serpent.Name() != "serpent" {
		t.Errorf("ID %d Name %q", Serpent.ID(), Serpent.Name())
	}
	if c, err := ByName("serpent"); err != nil || c != Serpent {
		t.Errorf("ByName: %v %v", c, err)
	}
}

// serpentSame is a strict equality for tests: the types must match (1 is
// not 1.0), floats compare by bits (nan equals nan, -0.0 is not 0.0), sets
// and dicts compare in order.
func serpentSame(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (math.Float64bits(x) == math.Float64bits(y) || math.IsNaN(x) && math.IsNaN(y))
	case complex128:
		y, ok := b.(complex128)
		return ok && (x == y || serpentSame(real(x), real(y)) && serpentSame(imag(x), imag(y)))
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	case pyval.Tuple:
		y, ok := b.(pyval.Tuple)
		return ok && serpentSameSlice(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && serpentSameSlice(x, y)
	case pyval.Set:
		y, ok := b.(pyval.Set)
		return ok && serpentSameSlice(x, y)
	case *pyval.Dict:
		y, ok := b.(*pyval.Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, it := range x.Items() {
			jt := y.Items()[i]
			if !serpentSame(it.Key, jt.Key) || !serpentSame(it.Value, jt.Value) {
				return false
			}
		}
		return true
	case *pyval.Exception:
		y, ok := b.(*pyval.Exception)
		if !ok || (x == nil) != (y == nil) {
			return false
		}
		return x == nil || x.Class == y.Class && serpentSameSlice(x.Args, y.Args) &&
			(x.Attributes.Len() == 0 && y.Attributes.Len() == 0 || serpentSame(x.Attributes, y.Attributes))
	case pyval.ExceptionWrapper:
		y, ok := b.(pyval.ExceptionWrapper)
		return ok && serpentSame(x.Exception, y.Exception)
	case pyval.ProxyRef:
		y, ok := b.(pyval.ProxyRef)
		return ok && x.URI == y.URI && serpentSameStrs(x.Oneway, y.Oneway) && serpentSameStrs(x.Methods, y.Methods) &&
			serpentSameStrs(x.Attrs, y.Attrs) && serpentSame(x.Timeout, y.Timeout) && bytes.Equal(x.HMACKey, y.HMACKey) &&
			serpentSame(x.Handshake, y.Handshake) && x.MaxRetries == y.MaxRetries && x.Serializer == y.Serializer
	case pyval.Object:
		y, ok := b.(pyval.Object)
		return ok && x.Class == y.Class && serpentSame(x.State, y.State)
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	return a == b
}

func serpentSameStrs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func serpentSameSlice(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !serpentSame(a[i], b[i]) {
			return false
		}
	}
	return true
}

func serpentSameCall(a, b *Call) bool {
	return a.Object == b.Object && a.Method == b.Method && serpentSame(a.Args, b.Args) && a.KwargsNone == b.KwargsNone &&
		(a.Kwargs == nil) == (b.Kwargs == nil) && (a.Kwargs == nil || serpentSame(a.Kwargs, b.Kwargs))
}

var serpentBenchCall = Call{Object: "test.echoserver", Method: "echo", Args: []any{"hi"}}

func BenchmarkSerpentMarshalCall(b *testing.B) {
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		var err error
		buf, err = Serpent.MarshalCall(buf[:0], &serpentBenchCall, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSerpentUnmarshalCall(b *testing.B) {
	data := []byte(serpentHeader + "('test.echoserver','echo',('hi',),{})")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var c Call
	for b.Loop() {
		if err := Serpent.UnmarshalCall(data, &c); err != nil {
			b.Fatal(err)
		}
	}
}

var serpentBenchValue = pyval.DictOf(
	"name", "gyro", "version", int64(4), "ratio", 0.25, "ok", true, "none", nil,
	"items", []any{int64(1), int64(2), "three", 4.5, pyval.Tuple{"x", int64(5)}},
	"uri", serpentURI, "text", "caf\u00e9 \"quoted\" 'single'\n",
)

func BenchmarkSerpentMarshalValue(b *testing.B) {
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		var err error
		buf, err = Serpent.Marshal(buf[:0], serpentBenchValue, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSerpentUnmarshalValue(b *testing.B) {
	data, err := Serpent.Marshal(nil, serpentBenchValue, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Serpent.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleSerpent() {
	data, err := Serpent.Marshal(nil, pyval.DictOf("answer", int64(42), "pair", pyval.Tuple{1.0, "x"}), nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", data)
	v, err := Serpent.Unmarshal([]byte("{'b': b'\\x01', 'n': 0x10, 's': set()}"))
	if err != nil {
		panic(err)
	}
	for _, it := range v.(*pyval.Dict).Items() {
		fmt.Printf("%v: %#v\n", it.Key, it.Value)
	}
	// Output:
	// # serpent utf-8 python3.2
	// {'answer':42,'pair':(1.0,'x')}
	// b: []byte{0x1}
	// n: 16
	// s: pyval.Set{}
}

// TestSerpentConcurrent decodes from several goroutines at once: the parser
// pool and the intern table are shared (run with -race).
func TestSerpentConcurrent(t *testing.T) {
	const workers, rounds = 8, 200
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range rounds {
				obj := fmt.Sprintf("obj%d", (w*rounds+i)%50)
				want := Call{Object: obj, Method: "m", Args: []any{int64(i)}, Kwargs: pyval.DictOf("k", obj)}
				data, err := Serpent.MarshalCall(nil, &want, nil)
				if err != nil {
					errs <- err
					return
				}
				var c Call
				if err := Serpent.UnmarshalCall(data, &c); err != nil {
					errs <- err
					return
				}
				if !serpentSameCall(&c, &want) {
					errs <- fmt.Errorf("got %#v, want %#v", c, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestSerpentElemShortcut: the shortcut for plain str elements gives what
// the general parse gives, the error, the position after it and the value
// count included, for what it takes and for what it must leave alone.
func TestSerpentElemShortcut(t *testing.T) {
	for _, in := range []string{
		"'a',", "'a')", "'a']", "\"b\" ,", "'', ", "'é',", "'a' # note\n,",
		"'a' 'b',", "'''a''',", "'a'+1,", "'a'[0],", "'a\\'b',", "'a\nb',", "'a", "'a' ",
		"b'a',", "1,", "-1,",
	} {
		run := func(elem bool) (any, serpentKind, string, int, int) {
			p := newSerpentParser([]byte(in))
			defer p.release()
			var v any
			var k serpentKind
			var err error
			if elem {
				v, k, err = p.parseElem(1)
			} else {
				v, k, err = p.parseExpr(1)
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			return v, k, msg, p.pos, p.values
		}
		v1, k1, e1, pos1, n1 := run(true)
		v2, k2, e2, pos2, n2 := run(false)
		if !reflect.DeepEqual(v1, v2) || k1 != k2 || e1 != e2 || pos1 != pos2 || n1 != n2 {
			t.Errorf("%q: shortcut gives (%#v, %d, %q, pos %d, %d values), general parse (%#v, %d, %q, pos %d, %d values)",
				in, v1, k1, e1, pos1, n1, v2, k2, e2, pos2, n2)
		}
	}
}

// TestSerpentArgsOfOne: parseArgsAt takes a tuple of one closed right after
// its comma without the stack; it gives the general parse's elements,
// position and value count (less the tuple's own, which its caller counts),
// and leaves other shapes to the general path.
func TestSerpentArgsOfOne(t *testing.T) {
	for _, in := range []string{
		"('a',)", "('a', )", "('a' ,)", "(1,)", "((1,),)", "('a',),", "('a',", "('a',b)", "([],)", "('a',1)",
	} {
		p := newSerpentParser([]byte(in))
		args, seq, _, err := p.parseArgsAt(1, make([]any, 0, 1))
		pos, n := p.pos, p.values
		p.release()
		p = newSerpentParser([]byte(in))
		v, _, gerr := p.parseExpr(1)
		gpos, gn := p.pos, p.values-1
		p.release()
		if (err != nil) != (gerr != nil) {
			t.Errorf("%q: error %v, general parse %v", in, err, gerr)
			continue
		}
		if err != nil {
			continue
		}
		tup, ok := v.(pyval.Tuple)
		if !seq || !ok || !reflect.DeepEqual([]any(tup), args) || pos != gpos || n != gn {
			t.Errorf("%q: (%#v, seq %v, pos %d, %d values), general parse (%#v, pos %d, %d values)", in, args, seq, pos, n, v, gpos, gn)
		}
	}
}

// TestPyReprASCII: appendPyRepr against Python's repr rules written out for
// ASCII, with each byte at each place of strs long enough for the word
// loops (reprPlain's and skipPlain's) and their tails.
func TestPyReprASCII(t *testing.T) {
	oracle := func(s string) string {
		q := byte('\'')
		if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
			q = '"'
		}
		out := []byte{q}
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\' || c == q:
				out = append(out, '\\', c)
			case c == '\n':
				out = append(out, `\n`...)
			case c == '\r':
				out = append(out, `\r`...)
			case c == '\t':
				out = append(out, `\t`...)
			case c < 0x20 || c == 0x7f:
				out = fmt.Appendf(out, `\x%02x`, c)
			default:
				out = append(out, c)
			}
		}
		return string(append(out, q))
	}
	for n := 1; n <= 24; n++ {
		for i := range n {
			for c := range 0x80 {
				b := bytes.Repeat([]byte{'x'}, n)
				b[i] = byte(c)
				s := string(b)
				if got, want := string(appendPyRepr(nil, s)), oracle(s); got != want {
					t.Fatalf("repr of %q: %s, want %s", s, got, want)
				}
			}
		}
	}
}

// TestSerpentEncodeDepth: serpent writes values nested serpentMaxDepth
// deep and refuses one level more, whatever the containers: tuples and
// strs take a shorter path through encodeSeq than other values.
func TestSerpentEncodeDepth(t *testing.T) {
	nest := func(n int, leaf any, wrap func(i int, v any) any) any {
		v := leaf
		for i := range n {
			v = wrap(i, v)
		}
		return v
	}
	shapes := map[string]func(i int, v any) any{
		"tuples": func(_ int, v any) any { return pyval.Tuple{v} },
		"lists":  func(_ int, v any) any { return []any{v} },
		"mixed": func(i int, v any) any {
			if i%2 == 0 {
				return pyval.Tuple{"s", v}
			}
			return []any{v, int64(1)}
		},
	}
	for name, wrap := range shapes {
		for _, leaf := range []any{"leaf", int64(1)} {
			if _, err := Serpent.Marshal(nil, nest(serpentMaxDepth, leaf, wrap), nil); err != nil {
				t.Errorf("%s of %T, %d deep: %v", name, leaf, serpentMaxDepth, err)
			}
			_, err := Serpent.Marshal(nil, nest(serpentMaxDepth+1, leaf, wrap), nil)
			if ex, ok := err.(*pyval.Exception); !ok || ex.Message() != "Object graph nesting too deep" {
				t.Errorf("%s of %T, %d deep: %v, want nesting too deep", name, leaf, serpentMaxDepth+1, err)
			}
		}
	}
}

// TestSerpentLineless: text whose check found no control byte reads its
// str literals with two scans fewer (plainEnd); it decodes as it does with
// every scan, escapes, both quotes and errors included.
func TestSerpentLineless(t *testing.T) {
	for _, in := range []string{
		`('a', "b", 'c\'d', "e\"f", 'g\\h', 'i"j', "k'l", '''m''', """n""", u'o', r'p\q', b'r')`,
		`['` + strings.Repeat("x", 300) + `', '` + strings.Repeat("y", 300) + `\n']`,
		`{'k': 'v', 'x': ('a', 'b')}`, `('unterminated`, `('a\`, `'a' 'b' "c"`,
	} {
		for _, header := range []string{"", serpentHeader} {
			run := func(lineless bool) (any, string, bool) {
				p := newSerpentParser([]byte(header + in))
				defer p.release()
				if err := p.begin(); err != nil {
					t.Fatalf("%q: %v", in, err)
				}
				got := p.lineless
				p.lineless = lineless
				v, err := p.parseTop()
				msg := ""
				if err != nil {
					msg = err.Error()
				}
				return v, msg, got
			}
			v1, e1, found := run(true)
			v2, e2, _ := run(false)
			if !found {
				t.Errorf("%q: check found a control byte", header+in)
			}
			if !serpentSame(v1, v2) || e1 != e2 {
				t.Errorf("%q: lineless gives (%#v, %q), every scan (%#v, %q)", in, v1, e1, v2, e2)
			}
		}
	}
	p := newSerpentParser([]byte("('a',\t'b')"))
	defer p.release()
	if err := p.begin(); err != nil || p.lineless {
		t.Errorf("a tab: lineless %v, %v", p.lineless, err)
	}
}
