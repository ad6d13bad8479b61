package serial

import (
	"context"
	"encoding/hex"
	"errors"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
)

func readPickleGolden(t testing.TB) map[string][]byte {
	t.Helper()
	return readHexLines(t, filepath.Join("testdata", "pickle", "pyro4.golden"))
}

// TestPickleGolden decodes what the real Pyro4 4.82 pickles (protocol 5).
func TestPickleGolden(t *testing.T) {
	golden := readPickleGolden(t)
	uri := pyval.MustParseURI("PYRO:obj_1@127.0.0.1:9999")
	tests := []struct {
		name string
		want any
	}{
		{"none", nil},
		{"true", true},
		{"int_small", int64(5)},
		{"int_negative", int64(-33)},
		{"int_int64_max", int64(1<<63 - 1)},
		{"int_big", bigInt("18446744073709551616")},
		{"float", 1.5},
		{"str", "h\u00e9llo \U0001f600"},
		{"bytes", []byte("\x00\xff abc")},
		{"bytearray", []byte("ba")},
		{"tuple", pyval.Tuple{int64(1), "a", nil}},
		{"list", []any{int64(1), []any{2.5, "x"}}},
		{"set", pyval.Set{int64(7)}},
		{"frozenset", pyval.Set{"f"}},
		{"dict", pyval.DictOf("a", int64(1), "b", []any{true})},
		{"dict_int_keys", pyval.DictOf(int64(1), "x", pyval.Tuple{int64(1), int64(2)}, "t")},
		{"shared", []any{[]any{int64(1)}, []any{int64(1)}}},
		{"complex", complex(1.5, -2)},
		{"exception", &pyval.Exception{Class: "builtins.ValueError", Args: pyval.Tuple{"bad value", int64(3)},
			Attributes: pyval.DictOf("_pyroTraceback", []any{"Traceback (most recent call last):\n", "ValueError: bad value\n"})}},
		{"pyro_error", &pyval.Exception{Class: "Pyro4.errors.NamingError", Args: pyval.Tuple{"unknown name: x"}, Attributes: pyval.NewDict(0)}},
		{"uri", uri},
		{"proxy", pyval.ProxyRef{URI: uri, Handshake: "hello"}},
		{"datetime", time.Date(2024, 1, 2, 3, 4, 5, 250000000, time.UTC)},
		{"date", Date{2024, time.January, 2}},
	}
	for _, tt := range tests {
		got, err := Pickle.Unmarshal(golden[tt.name])
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if e, ok := got.(*pyval.Exception); ok {
			w := tt.want.(*pyval.Exception)
			if e.Class != w.Class || !pyval.Equal(e.Args, w.Args) || (w.Attributes.Len() > 0 && !pyval.Equal(e.Attributes, w.Attributes)) {
				t.Errorf("%s: %#v, want %#v", tt.name, e, w)
			}
			continue
		}
		if p, ok := got.(pyval.ProxyRef); ok {
			w := tt.want.(pyval.ProxyRef)
			if p.URI != w.URI || p.Handshake != w.Handshake || len(p.Methods) != 0 {
				t.Errorf("%s: %#v, want %#v", tt.name, p, w)
			}
			continue
		}
		if !sameMsgpackValue(got, tt.want) && !(isSet(got) && pyval.Equal(got, tt.want)) {
			t.Errorf("%s: %#v, want %#v", tt.name, got, tt.want)
		}
	}
}

func isSet(v any) bool { _, ok := v.(pyval.Set); return ok }

func TestPickleGoldenCall(t *testing.T) {
	var c Call
	if err := Pickle.UnmarshalCall(readPickleGolden(t)["call"], &c); err != nil {
		t.Fatal(err)
	}
	if c.Object != "obj_1" || c.Method != "echo" || len(c.Args) != 3 || c.Args[0] != "hi" || c.Args[2] != complex(1, 1) || c.Kwargs.Len() != 1 {
		t.Fatalf("call = %+v", c)
	}
}

// TestPickleRefusesCode is the point of gyro's decoder: a pickle that
// would run os.system in Python is refused, with a SerializeError that
// names the global.
func TestPickleRefusesCode(t *testing.T) {
	evil := readPickleGolden(t)["evil"]
	tests := map[string][]byte{
		"posix.system (Pyro4 protocol 5)": evil,
		"builtins.eval, protocol 0":       []byte("c__builtin__\neval\n(S'1'\ntR."),
		"copyreg._reconstructor":          []byte("\x80\x02ccopy_reg\n_reconstructor\nq\x00(c__main__\nX\nc__builtin__\nobject\nNtR."),
		"persistent id":                   []byte("\x80\x02X\x01\x00\x00\x00aQ."),
		"INST of subprocess.Popen":        []byte("(S'true'\nisubprocess\nPopen\n."),
	}
	for name, b := range tests {
		_, err := Pickle.Unmarshal(b)
		var pe *pyval.Exception
		if !errors.As(err, &pe) || pe.Class != pyval.ClassSerializeError {
			t.Errorf("%s: %v, want a SerializeError", name, err)
		}
	}
	if _, err := Pickle.Unmarshal(evil); err == nil || !strings.Contains(err.Error(), "posix.system") {
		t.Errorf("evil: %v, want the refusal to name posix.system", err)
	}
}

func TestPickleBadInput(t *testing.T) {
	cyclic := []byte("\x80\x04]\x94h\x00a.") // l = []; l.append(l)
	for name, b := range map[string][]byte{
		"empty":         nil,
		"truncated":     readPickleGolden(t)["dict"][:10],
		"cycle":         cyclic,
		"unhashable":    []byte("\x80\x04\x8f(C\x01a\x90."), // {b'a'}: gopickle's Go map panics
		"list dict key": []byte("\x80\x04}(]K\x01u."),
		// gopickle allocates announced sizes up front: pickleScan must stop these.
		"huge frame":     []byte("\x95\xff\xff\xff\xff\xff\x00\x00\x00."),
		"huge binbytes8": []byte("\x80\x05\x8e\xff\xff\xff\xff\xff\x00\x00\x00."),
		"unknown opcode": []byte("\x80\x05\xff."),
		"no stop":        []byte("\x80\x05N"),
	} {
		if v, err := Pickle.Unmarshal(b); err == nil {
			t.Errorf("%s: decoded %#v, want an error", name, v)
		}
	}
}

// TestPicklePythonLoadsGo checks that Pyro4's PickleSerializer reads what
// gyro writes.
func TestPicklePythonLoadsGo(t *testing.T) {
	values := []any{
		pyval.Tuple{nil, true, int64(-70000), int64(1 << 40), bigInt("-340282366920938463463374607431768211457"), 2.5, "é", []byte{0, 1}},
		[]any{pyval.Set{int64(1)}, pyval.DictOf(int64(1), "x", pyval.Tuple{"t"}, []any{})},
		complex(1, -1),
		time.Date(2024, 1, 2, 3, 4, 5, 250000000, time.UTC),
		Date{1999, time.December, 31},
		&pyval.Exception{Class: "Pyro4.errors.NamingError", Args: pyval.Tuple{"gone"}, Attributes: pyval.DictOf("_pyroTraceback", []any{"tb\n"})},
		pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:x@127.0.0.1:1"), Methods: []string{"m"}},
		pyval.ExceptionWrapper{Exception: pyval.NewException("builtins.ValueError", "v")},
		big.NewInt(3),
	}
	want := []string{
		"(None, True, -70000, 1099511627776, -340282366920938463463374607431768211457, 2.5, 'é', b'\\x00\\x01')",
		"[{1}, {1: 'x', ('t',): []}]",
		"(1-1j)",
		"datetime.datetime(2024, 1, 2, 3, 4, 5, 250000)",
		"datetime.date(1999, 12, 31)",
		"NamingError('gone') ['tb\\n']",
		"Proxy PYRO:x@127.0.0.1:1 {'m'}",
		"wrapper ValueError('v')",
		"3",
	}
	var hexes []string
	for _, v := range values {
		b, err := Pickle.Marshal(nil, v, nil)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		hexes = append(hexes, hex.EncodeToString(b))
	}
	call, err := Pickle.MarshalCall(nil, &Call{Object: "o", Method: "m", Args: []any{int64(1)}, Kwargs: pyval.DictOf("k", "v")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	script := `
import os, datetime, Pyro4.util, Pyro4.futures, Pyro4.core
ser = Pyro4.util.get_serializer("pickle")
hexes = os.environ["PAYLOADS"].split()
for h in hexes[:-1]:
    v = ser.loads(bytes.fromhex(h))
    if isinstance(v, Exception):
        print(repr(v), v._pyroTraceback)
    elif isinstance(v, Pyro4.core.Proxy):
        print("Proxy", v._pyroUri, v._pyroMethods)
    elif isinstance(v, Pyro4.futures._ExceptionWrapper):
        print("wrapper", repr(v.exception))
    else:
        print(repr(v))
print(ser.loadsCall(bytes.fromhex(hexes[-1])))
`
	out, err := pyrotest.Run(t, context.Background(), script, "PAYLOADS="+strings.Join(append(hexes, hex.EncodeToString(call)), " "))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(out), "\n")
	want = append(want, "('o', 'm', (1,), {'k': 'v'})")
	for i, w := range want {
		if i >= len(got) || got[i] != w {
			t.Errorf("value %d: Python read %q, want %q", i, got[i:min(i+1, len(got))], w)
		}
	}
}

func TestPickleNotAcceptedByDefault(t *testing.T) {
	if _, err := ByID(IDPickle); err == nil {
		t.Error("ByID(pickle) returned a codec: pickle must be opt-in")
	}
	if _, err := ParseAccepted("serpent,pickle"); err == nil {
		t.Error("ParseAccepted accepted pickle")
	}
	if Pickle.ID() != IDPickle || Pickle.Name() != "pickle" {
		t.Errorf("Pickle is %d %s", Pickle.ID(), Pickle.Name())
	}
}

func TestParseAcceptedPickle(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Accepted
		wantErr bool
	}{
		{"serpent,pickle", 1<<IDSerpent | 1<<IDPickle, false},
		{"pickle", 1 << IDPickle, false},
		{"serpent,json", 1<<IDSerpent | 1<<IDJSON, false}, // opting in does not add pickle
		{"pickle,dill", 0, true},                          // dill stays refused
		{"pickle,cloudpickle", 0, true},
	} {
		got, err := ParseAcceptedPickle(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseAcceptedPickle(%q) = %b, %v; want %b, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// longPickles are TestRewriteLongs's cases, and seeds of FuzzPickleDecode.
var longPickles = []struct {
	name, hex string
	rewrite   bool
}{
	// pickle.dumps([2**40, -2**40, 2**63-1, -2**63, 5, 2**31, -2**31-1, 2**64], protocol=4): LONG1s in a FRAME
	{"long1", "80049544000000000000005d94288a060000000000018a060000000000ff8a08ffffffffffffff7f8a0800000000000000804b058a0500000080008a05ffffff7fff8a09000000000000000001652e", true},
	// pickle.dumps([2**40, -2**40, 7], protocol=0): LONG and INT text
	{"long text", "286c70300a4c313039393531313632373737364c0a614c2d313039393531313632373737364c0a6149370a612e", true},
	// pickle.dumps((2**33,), protocol=2)
	{"tuple", "80028a0500000000028571002e", true},
	// what Python 2 writes for its 64-bit ints, even in binary protocols: INT text; I01 is True
	{"python 2 int", hex.EncodeToString([]byte("(I4294967296\nI-4294967297\nI01\nt.")), true},
	// LONG4 of 5 bytes, as no Python writes it but the format allows
	{"long4", "8b050000000000000080" + "2e", true},
	// ints within int32 (BININT, a LONG1 of 4 bytes) stay as they are
	{"int32", "80045d94284a000000808a04ffffff7f652e", false},
}

// TestRewriteLongs checks the rewrite that keeps ints beyond int32 whole
// where int has 32 bits (scanPickle): on this platform both pickles must
// decode to the same value, and the rewritten one must hold no opcode
// gopickle would truncate there, nor a FRAME. Under GOARCH=arm (or 386)
// TestPickleGolden's int_int64_max checks the path unpickle takes.
func TestRewriteLongs(t *testing.T) {
	for _, tt := range longPickles {
		data, err := hex.DecodeString(tt.hex)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Pickle.Unmarshal(data)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		out, err := rewriteLongs(data)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if rewritten := &out[0] != &data[0]; rewritten != tt.rewrite {
			t.Errorf("%s: rewritten %v, want %v", tt.name, rewritten, tt.rewrite)
		}
		err = pickleWalk(out, func(op byte, at, end int) {
			if truncatedOn32(out, op, at, end) || op == 0x95 {
				t.Errorf("%s: rewritten pickle still has opcode %#x at %d", tt.name, op, at)
			}
		})
		if err != nil {
			t.Fatalf("%s: rewritten pickle: %v", tt.name, err)
		}
		got, err := Pickle.Unmarshal(out)
		if err != nil || !sameValue(got, want) {
			t.Errorf("%s: rewritten pickle decodes to %#v (%v), want %#v", tt.name, got, err, want)
		}
	}
}

// truncatedOn32 is what gopickle truncates (or, for INT, refuses) where
// int has 32 bits: a LONG1 or LONG4 of 5 to 8 bytes, a LONG or INT text
// that fits 64 bits but not 32.
func truncatedOn32(data []byte, op byte, at, end int) bool {
	switch op {
	case 0x8a:
		return end-at-2 >= 5 && end-at-2 <= 8
	case 0x8b:
		return end-at-5 >= 5 && end-at-5 <= 8
	case 'L', 'I':
		text := strings.TrimSuffix(string(data[at+1:end-1]), "L")
		_, err32 := strconv.ParseInt(text, 10, 32)
		_, err64 := strconv.ParseInt(text, 10, 64)
		return err32 != nil && err64 == nil
	}
	return false
}
