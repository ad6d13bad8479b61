package serial

import (
	"bufio"
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
)

// readMsgpackGolden reads testdata/msgpack/<gen>.golden, written by
// capture.py from the real Pyro4 4.82 / Pyro5 5.15.
func readMsgpackGolden(t testing.TB, gen string) map[string][]byte {
	t.Helper()
	return readHexLines(t, filepath.Join("testdata", "msgpack", gen+".golden"))
}

// readHexLines reads a golden file of "name hex" lines ('#' starts a
// comment line).
func readHexLines(t testing.TB, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		name, h, _ := strings.Cut(line, " ")
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("%s: %s: %v", path, name, err)
		}
		out[name] = b
	}
	return out
}

func bigInt(s string) *big.Int {
	x, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return x
}

// msgpackGoldens says what each captured payload decodes to. roundTrip
// marks those that encode back to the same bytes (a tuple or set decodes as
// the list msgpack-python makes of it, so it re-encodes identically too).
var msgpackGoldens = []struct {
	name      string
	want      any
	roundTrip bool
	err       string // a decode error instead (class: message)
}{
	{name: "none", want: nil, roundTrip: true},
	{name: "true", want: true, roundTrip: true},
	{name: "false", want: false, roundTrip: true},
	{name: "int_small", want: int64(5), roundTrip: true},
	{name: "int_negative", want: int64(-33), roundTrip: true},
	{name: "int_int64_max", want: int64(math.MaxInt64), roundTrip: true},
	{name: "int_int64_min", want: int64(math.MinInt64), roundTrip: true},
	{name: "int_uint64_max", want: bigInt("18446744073709551615"), roundTrip: true},
	{name: "int_big", want: bigInt("18446744073709551616"), roundTrip: true},
	{name: "int_big_negative", want: bigInt("-9223372036854775809"), roundTrip: true},
	{name: "float", want: 1.5, roundTrip: true},
	{name: "float_inf", want: math.Inf(1), roundTrip: true},
	{name: "str", want: "h\u00e9llo \U0001f600", roundTrip: true},
	{name: "str_empty", want: "", roundTrip: true},
	{name: "bytes", want: []byte("\x00\xff abc"), roundTrip: true},
	{name: "bytearray", want: []byte("ba"), roundTrip: true},
	{name: "tuple", want: []any{int64(1), "a", nil}, roundTrip: true},
	{name: "list", want: []any{int64(1), []any{2.5, "x"}}, roundTrip: true},
	{name: "set", want: []any{int64(7)}, roundTrip: true},
	{name: "dict", want: pyval.DictOf("a", int64(1), "b", []any{true}), roundTrip: true},
	{name: "dict_int_keys", err: "builtins.ValueError: int is not allowed for map key when strict_map_key=True"},
	{name: "dict_tuple_key", err: "builtins.ValueError: list is not allowed for map key when strict_map_key=True"},
	{name: "complex", want: complex(1.5, -2), roundTrip: true},
	{name: "datetime", want: time.Date(2024, 1, 2, 3, 4, 5, 250000000, time.UTC), roundTrip: true},
	{name: "date", want: Date{2024, time.January, 2}, roundTrip: true},
	{name: "decimal", want: "1.10", roundTrip: true},
	{name: "uuid", want: "12345678-1234-5678-1234-567812345678", roundTrip: true},
	{name: "exception", want: &pyval.Exception{Class: "builtins.ValueError", Args: pyval.Tuple{"bad value", int64(3)}, Attributes: pyval.NewDict(0)}, roundTrip: true},
	{name: "pyro_error", want: &pyval.Exception{Class: "Pyro4.errors.NamingError", Args: pyval.Tuple{"unknown name: x"}, Attributes: pyval.NewDict(0)}, roundTrip: true},
	{name: "uri", want: pyval.MustParseURI("PYRO:obj_1@127.0.0.1:9999"), roundTrip: true},
	{name: "proxy", want: pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:obj_1@127.0.0.1:9999"), Methods: []string{"echo"}, Handshake: "hello"}, roundTrip: true},
}

func sameMsgpackValue(a, b any) bool {
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	case *pyval.Exception:
		y, ok := b.(*pyval.Exception)
		return ok && x.Class == y.Class && pyval.Equal(x.Args, y.Args) && x.Attributes.Len() == y.Attributes.Len()
	case float64, int64, bool, string, []byte, nil, []any, *pyval.Dict, complex128:
		return reflect.TypeOf(a) == reflect.TypeOf(b) && pyval.Equal(a, b)
	}
	return reflect.DeepEqual(a, b)
}

func TestMsgpackGolden(t *testing.T) {
	for _, gen := range []struct {
		name  string
		codec Codec
	}{{"pyro4", Msgpack}, {"pyro5", Msgpack5}} {
		golden := readMsgpackGolden(t, gen.name)
		for _, tt := range msgpackGoldens {
			t.Run(gen.name+"/"+tt.name, func(t *testing.T) {
				b, ok := golden[tt.name]
				if !ok {
					t.Fatalf("no golden payload %q", tt.name)
				}
				got, err := gen.codec.Unmarshal(b)
				if tt.err != "" {
					var pe *pyval.Exception
					if !errors.As(err, &pe) || pe.Class+": "+pe.Message() != tt.err {
						t.Fatalf("Unmarshal: %v, want %s", err, tt.err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Unmarshal(%x): %v", b, err)
				}
				if !sameMsgpackValue(got, tt.want) {
					t.Fatalf("Unmarshal(%x) = %#v, want %#v", b, got, tt.want)
				}
				if !tt.roundTrip {
					return
				}
				out, err := gen.codec.Marshal(nil, tt.want, nil)
				if err != nil {
					t.Fatal(err)
				}
				if string(out) != string(b) {
					t.Errorf("Marshal(%#v) =\n %x\nwant (from %s)\n %x", tt.want, out, gen.name, b)
				}
			})
		}
	}
}

func TestMsgpackGoldenCall(t *testing.T) {
	for _, gen := range []struct {
		name  string
		codec Codec
	}{{"pyro4", Msgpack}, {"pyro5", Msgpack5}} {
		golden := readMsgpackGolden(t, gen.name)
		var c Call
		if err := gen.codec.UnmarshalCall(golden["call"], &c); err != nil {
			t.Fatalf("%s: %v", gen.name, err)
		}
		if c.Object != "obj_1" || c.Method != "echo" || len(c.Args) != 3 || c.Args[0] != "hi" || c.Args[1] != int64(2) ||
			c.Args[2] != complex(1, 1) || c.Kwargs == nil || c.Kwargs.Len() != 1 {
			t.Fatalf("%s: call = %+v", gen.name, c)
		}
		if v, _ := c.Kwargs.Get("k"); string(v.([]byte)) != "v" {
			t.Errorf("%s: kwargs k = %v", gen.name, v)
		}
		out, err := gen.codec.MarshalCall(nil, &c, nil)
		if err != nil || string(out) != string(golden["call"]) {
			t.Errorf("%s: MarshalCall = %x, %v\nwant %x", gen.name, out, err, golden["call"])
		}
		if err := gen.codec.UnmarshalCall(golden["call_empty"], &c); err != nil || c.Method != "ping" || len(c.Args) != 0 || c.Kwargs != nil || c.KwargsNone {
			t.Fatalf("%s: empty call = %+v, %v", gen.name, c, err)
		}
		out, err = gen.codec.MarshalCall(nil, &c, nil)
		if err != nil || string(out) != string(golden["call_empty"]) {
			t.Errorf("%s: MarshalCall = %x, %v\nwant %x", gen.name, out, err, golden["call_empty"])
		}
	}
}

func TestMsgpackErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string // hex
		call bool
		want string
	}{
		{"empty", "", false, "builtins.ValueError: Unpack failed: incomplete input"},
		{"truncated array", "9201", false, "builtins.ValueError: Unpack failed: incomplete input"},
		{"huge array header", "ddffffffff", false, "builtins.ValueError: Unpack failed: incomplete input"},
		{"extra data", "0102", false, "builtins.ValueError: unpack(b) received extra data."},
		{"bad utf-8", "a2fffe", false, "builtins.UnicodeDecodeError: "},
		{"unknown ext", "d40100", false, "Pyro4.errors.SerializeError: invalid ext code for msgpack: 1"},
		{"short complex", "d73000000000000000f03f", false, "struct.error: unpack requires a buffer of 16 bytes"},
		{"bad big int", "c70331616263", false, "builtins.ValueError: invalid literal for int() with base 10: b'abc'"},
		{"refused class", "81a95f5f636c6173735f5fa36f7321", false, "Pyro4.errors.SerializeError: unsupported serialized class: os!"},
		{"call not array", "05", true, "builtins.TypeError: cannot unpack non-iterable int object"},
		{"call of 3", "93a161a16290", true, "builtins.ValueError: not enough values to unpack (expected 4, got 3)"},
		{"call of 5", "95a161a1629080c0", true, "builtins.ValueError: too many values to unpack (expected 4)"},
		{"call kwargs not str", "94a161a1629081c401610c", true, "builtins.TypeError: keywords must be strings"},
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.in)
		var err error
		if tt.call {
			var c Call
			err = Msgpack.UnmarshalCall(b, &c)
		} else {
			_, err = Msgpack.Unmarshal(b)
		}
		var pe *pyval.Exception
		if !errors.As(err, &pe) || !strings.HasPrefix(pe.Class+": "+pe.Message(), tt.want) {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
}

// TestMsgpackPyro5Classes checks the class names Msgpack5 writes and
// accepts: Pyro5's, never Pyro4's.
func TestMsgpackPyro5Classes(t *testing.T) {
	pyro4 := readMsgpackGolden(t, "pyro4")
	if _, err := Msgpack5.Unmarshal(pyro4["uri"]); err == nil || !strings.Contains(err.Error(), "unsupported serialized class: Pyro4.core.URI") {
		t.Errorf("Msgpack5 decoding a Pyro4 URI: %v, want unsupported serialized class", err)
	}
	w := pyval.ExceptionWrapper{Exception: pyval.NewException("Pyro4.errors.DaemonError", "unknown object")}
	out, err := Msgpack5.Marshal(nil, []any{w}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); !strings.Contains(s, "Pyro5.core._ExceptionWrapper") || !strings.Contains(s, "Pyro5.errors.DaemonError") || strings.Contains(s, "Pyro4") {
		t.Errorf("Msgpack5 batch exception: %q", out)
	}
	back, err := Msgpack5.Unmarshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if bw, ok := back.([]any)[0].(pyval.ExceptionWrapper); !ok || bw.Exception.Class != "Pyro4.errors.DaemonError" {
		t.Errorf("round trip: %#v", back)
	}
}

func TestDateOrdinal(t *testing.T) {
	for _, tt := range []struct {
		d Date
		n int64
	}{{Date{1, 1, 1}, 1}, {Date{1970, 1, 1}, 719163}, {Date{2024, 1, 2}, 738887}, {Date{9999, 12, 31}, dateOrdinalMax}, {Date{1969, 12, 31}, 719162}} {
		if got := tt.d.Ordinal(); got != tt.n {
			t.Errorf("%v.Ordinal() = %d, want %d", tt.d, got, tt.n)
		}
		if got := DateFromOrdinal(tt.n); got != tt.d {
			t.Errorf("DateFromOrdinal(%d) = %v, want %v", tt.n, got, tt.d)
		}
	}
}

func TestSerializerIDs5(t *testing.T) {
	for _, tt := range []struct{ id4, id5 int }{{IDSerpent, ID5Serpent}, {IDJSON, ID5JSON}, {IDMarshal, ID5Marshal}, {IDMsgpack, ID5Msgpack}} {
		if got, ok := ID4To5(tt.id4); !ok || got != tt.id5 {
			t.Errorf("ID4To5(%d) = %d, %v", tt.id4, got, ok)
		}
		if got, ok := ID5To4(tt.id5); !ok || got != tt.id4 {
			t.Errorf("ID5To4(%d) = %d, %v", tt.id5, got, ok)
		}
		c, err := ByID5(tt.id5)
		if err != nil || c.Name() != NameOf5(tt.id5) {
			t.Errorf("ByID5(%d) = %v, %v", tt.id5, c, err)
		}
	}
	if _, ok := ID4To5(IDPickle); ok {
		t.Error("pickle has a Pyro5 id")
	}
	if c, _ := ByID5(ID5Msgpack); c.ID() != ID5Msgpack {
		t.Errorf("Msgpack5.ID() = %d", c.ID())
	}
	if _, err := ByID5(5); !errors.Is(err, ErrUnknown) {
		t.Errorf("ByID5(5): %v", err)
	}
}

// TestForPyro5 checks that what serpent writes after ForPyro5 is what the
// real Pyro5 5.15 writes for the same exception, URI and proxy (probe
// output quoted in docs/pyro5-wire.md), and that untouched values are not
// copied.
func TestForPyro5(t *testing.T) {
	v := []any{
		int64(1),
		pyval.NewException("Pyro4.errors.NamingError", "x"),
		pyval.DictOf("uri", pyval.MustParseURI("PYRO:o@h:1"), "n", nil),
		pyval.Tuple{pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:o@h:1")}},
	}
	out, err := Serpent.Marshal(nil, ForPyro5(v), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "[1,{'__class__':'Pyro5.errors.NamingError','__exception__':True,'args':('x',),'attributes':{}}," +
		"{'uri':{'__class__':'Pyro5.core.URI','state':('PYRO','o',None,'h',1)},'n':None}," +
		"({'__class__':'Pyro5.client.Proxy','state':('PYRO:o@h:1',(),(),(),'hello',None)},)]"
	if got := strings.TrimPrefix(string(out), "# serpent utf-8 python3.2\n"); got != want {
		t.Errorf("serpent of ForPyro5:\n got %s\nwant %s", got, want)
	}
	plain := []any{int64(1), pyval.Tuple{"a"}, pyval.DictOf("k", []any{"v"})}
	if got := ForPyro5(plain).([]any); &got[0] != &plain[0] {
		t.Error("ForPyro5 copied a value that has no class dicts")
	}
}
