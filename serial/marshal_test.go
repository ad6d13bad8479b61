package serial

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

func marshalCases() []jmCase {
	empty := pyval.NewDict(0)
	ints := func(v ...int64) []any {
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	}
	large := make(pyval.Tuple, 300)
	for i := range large {
		large[i] = int64(i)
	}
	valueError := &pyval.Exception{Class: "builtins.ValueError", Args: pyval.Tuple{"bad", int64(3)}, Attributes: pyval.NewDict(0)}
	uri := pyval.URI{Protocol: "PYRO", Object: "obj", Host: "localhost", Port: 9999}
	proxy := pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:thing@127.0.0.1:43079"), Handshake: "hello"}
	manyKeys := pyval.NewDict(10)
	for i := range 10 {
		last := int64(i + 20) // the last of i, i+10, i+20 below 25
		if i >= 5 {
			last -= 10
		}
		manyKeys.Set(fmt.Sprintf("k%d", i), last)
	}
	return []jmCase{
		{name: "str_ascii", dec: "hello"},
		{name: "str_dotted", dec: "test.echoserver"},
		{name: "str_empty", dec: ""},
		{name: "str_unicode", dec: "h\u00e9llo w\u00f6rld \u2603 \U0001F600"},
		{name: "str_controls", dec: "a\x00\x01\x1f\x7f\n\r\t end"},
		{name: "str_long_name", dec: strings.Repeat("x", 300)},
		{name: "str_long", dec: strings.Repeat("y.", 150)},
		{name: "str_latin1_char", dec: "\u00e9"},
		{name: "str_repeats", dec: []any{"abc", "abc", "a.b", "a.b", "-", "-", "\u00e9", "\u00e9", "", "", "x", "x"}},
		{name: "int_zero", dec: int64(0)},
		{name: "int_small", dec: int64(42)},
		{name: "int_neg", dec: int64(-7)},
		{name: "int_repeats", dec: ints(5, 5, 300, 300, -5, -5, -6, -6, 256, 256, 257, 257)},
		{name: "int_int32max", dec: int64(math.MaxInt32)},
		{name: "int_int32min", dec: int64(math.MinInt32)},
		{name: "int_2_31", dec: int64(1 << 31)},
		{name: "int_neg_2_31_minus1", dec: int64(-1<<31 - 1)},
		{name: "int_int64max", dec: int64(math.MaxInt64)},
		{name: "int_int64min", dec: int64(math.MinInt64)},
		{name: "int_2_64", dec: jmPow2(64)},
		{name: "int_big", dec: new(big.Int).Add(jmPow2(100), big.NewInt(12345))},
		{name: "int_bigneg", dec: new(big.Int).Sub(new(big.Int).Neg(jmPow2(200)), big.NewInt(1))},
		{name: "float_one", dec: 1.0},
		{name: "float_negzero", dec: math.Copysign(0, -1)},
		{name: "float_1e22", dec: 1e22},
		{name: "float_1e-7", dec: 1e-7},
		// Python's float('nan'), not Go's math.NaN(): the bits go as they are.
		{name: "float_nan", dec: math.Float64frombits(0x7ff8000000000000)},
		{name: "float_inf", dec: math.Inf(1)},
		{name: "float_ninf", dec: math.Inf(-1)},
		{name: "complex", dec: complex(1.5, -2.0)},
		{name: "complex_zero", dec: complex(0, 0)},
		{name: "true", dec: true},
		{name: "false", dec: false},
		{name: "none", dec: nil},
		{name: "bytes", dec: []byte("\x00\x01\xffabc")},
		{name: "bytes_empty", dec: []byte{}},
		{name: "bytes_repeats", dec: []any{[]byte{}, []byte{}, []byte("ab"), []byte("ab")}},
		{name: "tuple", dec: pyval.Tuple{int64(1), "a", nil}},
		{name: "tuple_empty", dec: pyval.Tuple{}},
		{name: "tuple_repeats", dec: []any{pyval.Tuple{}, pyval.Tuple{}}},
		{name: "tuple_large", dec: large},
		{name: "list_nested", dec: []any{int64(1), []any{int64(2), []any{int64(3), []any{}}}, empty}},
		{name: "list_empty", dec: []any{}},
		{name: "set", dec: pyval.Set{int64(1), int64(2), int64(3)}},
		{name: "set_empty", dec: pyval.Set{}},
		{name: "dict_str", dec: pyval.DictOf("a", int64(1), "b", []any{true, nil})},
		{name: "dict_nonstr_keys", dec: pyval.DictOf(int64(2), "int", 1.5, "float", nil, "none",
			pyval.Tuple{int64(1), int64(2)}, "tuple", []byte("k"), "bytes", jmPow2(70), "big")},
		{name: "dict_empty", dec: empty},
		{name: "dict_nested", dec: pyval.DictOf("outer", pyval.DictOf("inner", pyval.DictOf("x",
			[]any{int64(1), int64(2), pyval.DictOf("y", pyval.Tuple{})})))},
		{name: "exception", dec: valueError},
		{name: "exception_traceback", dec: &pyval.Exception{Class: "builtins.ValueError", Args: pyval.Tuple{"bad", int64(3)},
			Attributes: pyval.DictOf("_pyroTraceback", []any{"Traceback (most recent call last):\n", "ValueError: bad\n"})}},
		{name: "exception_pyro", dec: &pyval.Exception{Class: pyval.ClassNamingError, Args: pyval.Tuple{"unknown name: x"}}},
		{name: "uri", dec: uri},
		{name: "uri_unix", dec: pyval.URI{Protocol: "PYRO", Object: "obj", Sockname: "/tmp/pyro.sock"}},
		{name: "proxy", dec: proxy},
		{name: "batch_result", dec: []any{int64(1), "two", pyval.ExceptionWrapper{Exception: &pyval.Exception{
			Class: "builtins.ValueError", Args: pyval.Tuple{"x"}}}}},

		{name: "call_echo", call: &Call{Object: "test.echoserver", Method: "echo", Args: []any{"hi"}}},
		{name: "call_kwargs", call: &Call{Object: "obj", Method: "method", Args: []any{int64(1), 2.5, "x"},
			Kwargs: pyval.DictOf("a", int64(1), "b", []any{int64(1), int64(2)})}},
		{name: "call_uri_arg", call: &Call{Object: "Pyro.NameServer", Method: "register", Args: []any{"name", uri},
			Kwargs: pyval.DictOf("safe", true)}},
		{name: "call_noargs", call: &Call{Object: "Pyro.Daemon", Method: "get_metadata", Args: []any{"obj"}}},

		{name: "raw_pyro_uri", decodeOnly: true, dec: uri},
		{name: "raw_pyro_exception", decodeOnly: true, dec: valueError},
		{name: "raw_pyro_proxy", decodeOnly: true, dec: proxy},
		{name: "raw_int64", decodeOnly: true, dec: int64(-2)},
		{name: "raw_text_float", decodeOnly: true, dec: 1.5},
		{name: "raw_text_complex", decodeOnly: true, dec: complex(1.5, -2)},
		{name: "raw_interned_unicode", decodeOnly: true, dec: "\u00e9"},
		{name: "raw_long_ascii_interned", decodeOnly: true, dec: "abc"},
		{name: "raw_tuple_code", decodeOnly: true, dec: pyval.Tuple{nil, true}},
		{name: "raw_frozenset", decodeOnly: true, dec: pyval.Set{int64(1), int64(2)}},
		{name: "raw_latin1_short", decodeOnly: true, dec: "\u00e9\u00ff"},
		{name: "raw_latin1_long", decodeOnly: true, dec: "\u00e9\u00ff"},
		{name: "raw_surrogate", decodeOnly: true, dec: "\xed\xa0\x80"},
		{name: "raw_flagged_none", decodeOnly: true, dec: nil},
		{name: "raw_trailing", decodeOnly: true, dec: nil},
		{name: "raw_shared_list", decodeOnly: true, dec: []any{[]any{int64(1)}, []any{int64(1)}}},
		{name: "raw_dict_dup_keys", decodeOnly: true, dec: pyval.DictOf("a", int64(3), "b", int64(2))},
		{name: "raw_dict_num_keys", decodeOnly: true, dec: pyval.DictOf(int64(1), "c")},
		{name: "raw_dict_null_value", decodeOnly: true, dec: pyval.DictOf("a", int64(1))},
		{name: "raw_set_dups", decodeOnly: true, dec: pyval.Set{int64(1), int64(2)}},
		{name: "raw_many_keys", decodeOnly: true, dec: manyKeys},
		{name: "raw_long_zero", decodeOnly: true, dec: int64(0)},
		{name: "raw_long_small", decodeOnly: true, dec: int64(-5)},
		{name: "raw_call_list", decodeOnly: true, call: &Call{Object: "obj", Method: "m", Args: []any{int64(7)}, KwargsNone: true}},
		{name: "raw_call_none_kwargs", decodeOnly: true, call: &Call{Object: "obj", Method: "m", Args: []any{"a"}, KwargsNone: true}},
	}
}

func TestMarshalGolden(t *testing.T) {
	jmRunGolden(t, Marshal, "marshal", ".marshal", marshalCases())
}

func TestMarshalErrorsGolden(t *testing.T) {
	jmRunErrors(t, Marshal, "marshal")
}

func TestMarshalIdentity(t *testing.T) {
	if Marshal.ID() != IDMarshal || Marshal.Name() != "marshal" {
		t.Fatalf("Marshal is %d %q", Marshal.ID(), Marshal.Name())
	}
	if c, err := ByName("marshal"); err != nil || c != Marshal {
		t.Fatalf("ByName(marshal) = %v, %v", c, err)
	}
}

func TestMarshalLongs(t *testing.T) {
	// Every size around the 15-bit digit and word boundaries survives.
	for _, bitsN := range []uint{30, 31, 32, 45, 59, 60, 61, 62, 63, 64, 65, 75, 90, 127, 128, 129, 1000} {
		for _, delta := range []int64{-1, 0, 1} {
			for _, sign := range []int{1, -1} {
				x := new(big.Int).Add(jmPow2(bitsN), big.NewInt(delta))
				if sign < 0 {
					x.Neg(x)
				}
				v := pyval.Int(x)
				out, err := Marshal.Marshal(nil, v, nil)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Marshal.Unmarshal(out)
				if err != nil || !jmEqual(got, v) {
					t.Errorf("%v: got %v, %v", x, got, err)
				}
			}
		}
	}
}

func TestMarshalGoValues(t *testing.T) {
	obj := &jmObject{"thing"}
	proxy := pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:thing@127.0.0.1:5000"), Handshake: "hello"}
	replacer := func(v any) (any, bool) {
		if v == obj {
			return proxy, true
		}
		return nil, false
	}
	tests := []struct {
		name string
		v    any
		want any
	}{
		{"struct", jmPoint{X: 1, Y: -2, Label: "p"}, pyval.DictOf("x", int64(1), "y", int64(-2), "label", "p")},
		{"map", map[int]string{2: "b", 1: "a"}, pyval.DictOf(int64(1), "a", int64(2), "b")},
		{"nested raw", []any{[]int{1, 2}, map[string]float32{"f": 0.5}}, []any{[]any{int64(1), int64(2)}, pyval.DictOf("f", 0.5)}},
		{"uint64", uint64(math.MaxUint64), new(big.Int).SetUint64(math.MaxUint64)},
		{"complex64", complex64(1 + 2i), complex(1, 2)},
		{"nil pointer", (*jmPoint)(nil), nil},
		{"replaced", []any{obj}, []any{proxy}},
		{"uri nested", []any{pyval.URI{Protocol: "PYRONAME", Object: "x"}}, []any{pyval.URI{Protocol: "PYRONAME", Object: "x"}}},
		{"invalid utf8", "a\xffb\xed\xa0\x80", "a\uFFFDb\xed\xa0\x80"},
		// A set where Python needs a hashable value goes as a frozenset.
		{"set in set", pyval.Set{pyval.Set{int64(1)}}, pyval.Set{pyval.Set{int64(1)}}},
		{"set key", pyval.DictOf(pyval.Tuple{pyval.Set{}}, []any{pyval.Set{}}), pyval.DictOf(pyval.Tuple{pyval.Set{}}, []any{pyval.Set{}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Marshal.Marshal([]byte("prefix:"), tc.v, replacer)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, []byte("prefix:")) {
				t.Fatalf("dst not kept: %q", out)
			}
			got, err := Marshal.Unmarshal(out[len("prefix:"):])
			if err != nil {
				t.Fatal(err)
			}
			if !jmEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestMarshalMarshalErrors(t *testing.T) {
	deep := []any{}
	for range marshalMaxDepth {
		deep = []any{deep}
	}
	out, err := Marshal.Marshal([]byte("keep"), deep, nil)
	var ex *pyval.Exception
	if !errors.As(err, &ex) || ex.Class != pyval.ClassValueError || ex.Message() != "object too deeply nested to marshal" {
		t.Errorf("deep: got %v", err)
	}
	if string(out) != "keep" {
		t.Errorf("dst changed to %q", out)
	}
	if _, err := Marshal.Marshal(nil, make(chan int), nil); !errors.Is(err, pyval.ErrSerialize) {
		t.Errorf("chan: got %v, want a SerializeError", err)
	}
}

func TestMarshalMarshalCall(t *testing.T) {
	// kwargs nil becomes {} whatever the method: Pyro4's marshal client
	// never sends None.
	out, err := Marshal.MarshalCall(nil, &Call{Object: "o", Method: "__getattr__", Args: []any{"x"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("\x29\x04\xda\x01o\xda\x0b__getattr__\xdb\x01\x00\x00\x00\xda\x01x\xfb0")
	// "o" and "x" are both one-character interned strings, written once
	// each; nothing repeats here.
	if !bytes.Equal(out, want) {
		t.Errorf("got  %q\nwant %q", out, want)
	}
}

func TestMarshalDecodeLimits(t *testing.T) {
	u32 := func(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }
	// Each list holds the next one and a back-reference to it: 40 levels
	// of a few bytes expand to 2**40 values, which is refused.
	levels := 40
	var b []byte
	for i := 0; i < levels; i++ {
		b = append(b, '['|0x80)
		b = append(b, u32(2)...)
	}
	b = append(b, 'N', 'N')
	for i := levels - 2; i >= 0; i-- {
		// list i (reference i) ends with a reference to list i+1
		b = append(b, 'r')
		b = append(b, u32(uint32(i+1))...)
	}
	_, err := Marshal.Unmarshal(b)
	var ex *pyval.Exception
	if !errors.As(err, &ex) || ex.Class != pyval.ClassValueError {
		t.Errorf("expanding refs: got %v, want a ValueError", err)
	}

	// A cycle (a list holding itself), which CPython builds, is refused.
	cyc := append([]byte{'[' | 0x80}, u32(1)...)
	cyc = append(cyc, 'r')
	cyc = append(cyc, u32(0)...)
	if _, err := Marshal.Unmarshal(cyc); err == nil {
		t.Error("cyclic list accepted")
	}

	// Huge counts with little input fail on the input, not on memory.
	for _, code := range []byte{'(', '[', '<', '>', 's', 'u', 'a', 'l'} {
		in := append([]byte{code}, u32(0x7fffffff)...)
		if _, err := Marshal.Unmarshal(in); err == nil {
			t.Errorf("%c with count 2**31-1 accepted", code)
		}
	}
}

func TestMarshalUnmarshalDoesNotKeepInput(t *testing.T) {
	data, err := Marshal.Marshal(nil, []any{"abc", "\u00e9t\u00e9", []byte("xyz"), pyval.DictOf("k", "v")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Marshal.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	want := []any{"abc", "\u00e9t\u00e9", []byte("xyz"), pyval.DictOf("k", "v")}
	if !jmEqual(v, want) {
		t.Errorf("value changed with its input: %#v", v)
	}
}

func TestMarshalUnmarshalCallShapes(t *testing.T) {
	u32 := func(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	obj, m := []byte("z\x01o"), []byte("z\x01m")
	tests := []struct {
		name string
		in   []byte
		want Call
	}{
		{"set vargs", cat([]byte(")\x04"), obj, m, []byte("<"), u32(1), []byte("i"), u32(7), []byte("N")),
			Call{Object: "o", Method: "m", Args: []any{int64(7)}, KwargsNone: true}},
		{"dict vargs", cat([]byte(")\x04"), obj, m, []byte("{z\x01k"), []byte("N0"), []byte("{0")),
			Call{Object: "o", Method: "m", Args: []any{"k"}}},
		{"flagged tuple", cat([]byte("\xa9\x04"), []byte("\xfa\x01o"), m, []byte("\xa9\x01"), []byte("r"), u32(1), []byte("N")),
			Call{Object: "o", Method: "m", Args: []any{"o"}, KwargsNone: true}},
		{"set of four", cat([]byte("<"), u32(4), obj, m, []byte("N"), []byte("T")),
			Call{}}, // unpacks, but None is not iterable: checked below
	}
	for _, tc := range tests[:3] {
		var c Call
		if err := Marshal.UnmarshalCall(tc.in, &c); err != nil || !jmEqual(&c, &tc.want) {
			t.Errorf("%s: got %#v, %v", tc.name, c, err)
		}
	}
	var c Call
	err := Marshal.UnmarshalCall(tests[3].in, &c)
	var ex *pyval.Exception
	if !errors.As(err, &ex) || ex.Class != pyval.ClassTypeError {
		t.Errorf("set of four: got %v, want a TypeError", err)
	}
	// A reference to the call tuple itself, which is still being read.
	self := cat([]byte("\xa9\x04"), []byte("r"), u32(0), m, []byte("N"), []byte("N"))
	if err := Marshal.UnmarshalCall(self, &c); err == nil {
		t.Error("reference to the call tuple accepted")
	}
}

func ExampleMarshal() {
	out, _ := Marshal.MarshalCall(nil, &Call{Object: "test.echoserver", Method: "echo", Args: []any{"hi"}}, nil)
	fmt.Printf("% x\n", out)
	var c Call
	_ = Marshal.UnmarshalCall(out, &c)
	fmt.Println(c.Object, c.Method, c.Args)
	// Output:
	// 29 04 fa 0f 74 65 73 74 2e 65 63 68 6f 73 65 72 76 65 72 da 04 65 63 68 6f db 01 00 00 00 da 02 68 69 fb 30
	// test.echoserver echo [hi]
}

func FuzzMarshalDecode(f *testing.F) {
	jmSeeds(f, "marshal", ".marshal")
	f.Fuzz(func(t *testing.T, data []byte) {
		jmCheckStable(t, Marshal, data)
	})
}

func BenchmarkMarshalMarshalCall(b *testing.B) {
	c := benchCall()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = Marshal.MarshalCall(buf[:0], c, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalUnmarshalCall(b *testing.B) {
	data, _ := Marshal.MarshalCall(nil, benchCall(), nil)
	b.ReportAllocs()
	for b.Loop() {
		var c Call
		if err := Marshal.UnmarshalCall(data, &c); err != nil {
			b.Fatal(err)
		}
	}
}
