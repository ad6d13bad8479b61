package dispatch

import (
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
)

type (
	flag  bool
	level int
	color string
	blob  []byte
	Inner struct{ Y int }
	outer struct {
		*Inner
		Z int
	}
	hiddenInner struct{ Y int }
	outerHidden struct {
		*hiddenInner
		Z int
	}
	node struct {
		Name string
		Kids []node
	}
)

func bigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return b
}

func TestConvert(t *testing.T) {
	uri := pyval.MustParseURI("PYRO:obj@localhost:9090")
	exception := pyval.NewException("ValueError", "x")
	tests := []struct {
		typ  reflect.Type
		in   any
		want any    // when err == ""
		err  string // the message for argument 1 of T.f
	}{
		{reflect.TypeFor[bool](), true, true, ""},
		{reflect.TypeFor[bool](), int64(1), nil, " must be bool, not int"},
		{reflect.TypeFor[flag](), true, flag(true), ""},

		{reflect.TypeFor[int](), int64(5), 5, ""},
		{reflect.TypeFor[int](), true, 1, ""},
		{reflect.TypeFor[int](), big.NewInt(-9), -9, ""},
		{reflect.TypeFor[int](), 1.5, nil, " must be int, not float"},
		{reflect.TypeFor[int](), "5", nil, " must be int, not str"},
		{reflect.TypeFor[int](), nil, nil, " must be int, not NoneType"},
		{reflect.TypeFor[int](), bigInt("99999999999999999999"), nil, ": int 99999999999999999999 out of range for int"},
		{reflect.TypeFor[int16](), int64(40000), nil, ": int 40000 out of range for int16"},
		{reflect.TypeFor[int16](), int64(-32768), int16(-32768), ""},
		{reflect.TypeFor[int64](), int64(-3), int64(-3), ""},
		{reflect.TypeFor[level](), int64(2), level(2), ""},
		{reflect.TypeFor[uint8](), int64(255), uint8(255), ""},
		{reflect.TypeFor[uint8](), int64(256), nil, ": int 256 out of range for uint8"},
		{reflect.TypeFor[uint8](), int64(-1), nil, ": int -1 out of range for uint8"},
		{reflect.TypeFor[uint64](), bigInt("18446744073709551615"), uint64(math.MaxUint64), ""},
		{reflect.TypeFor[uint64](), bigInt("18446744073709551616"), nil, ": int 18446744073709551616 out of range for uint64"},
		{reflect.TypeFor[uint](), true, uint(1), ""},
		{reflect.TypeFor[uintptr](), int64(1), uintptr(1), ""},
		{reflect.TypeFor[uint](), "1", nil, " must be int, not str"},

		{reflect.TypeFor[float64](), 1.5, 1.5, ""},
		{reflect.TypeFor[float64](), int64(2), 2.0, ""},
		{reflect.TypeFor[float64](), false, 0.0, ""},
		{reflect.TypeFor[float64](), bigInt("100000000000000000000"), 1e20, ""},
		{reflect.TypeFor[float64](), new(big.Int).Exp(big.NewInt(10), big.NewInt(400), nil), nil, ": int too large to convert to float"},
		{reflect.TypeFor[float64](), complex(1, 1), nil, " must be float, not complex"},
		{reflect.TypeFor[float32](), 0.5, float32(0.5), ""},
		{reflect.TypeFor[complex128](), complex(1, 2), complex(1, 2), ""},
		{reflect.TypeFor[complex128](), int64(3), complex(3, 0), ""},
		{reflect.TypeFor[complex64](), 1.5, complex64(complex(1.5, 0)), ""},
		{reflect.TypeFor[complex128](), "x", nil, " must be complex, not str"},

		{reflect.TypeFor[string](), "s", "s", ""},
		{reflect.TypeFor[color](), "red", color("red"), ""},
		{reflect.TypeFor[string](), []byte("s"), nil, " must be str, not bytes"},

		{reflect.TypeFor[[]byte](), []byte("a"), []byte("a"), ""},
		{reflect.TypeFor[[]byte](), pyval.DictOf("data", "aGk=", "encoding", "base64"), []byte("hi"), ""},
		{reflect.TypeFor[[]byte](), pyval.DictOf("data", "aGk=", "encoding", "hex"), nil, " must be bytes, not dict"},
		{reflect.TypeFor[[]byte](), pyval.DictOf("data", "!!", "encoding", "base64"), nil, " must be bytes, not dict"},
		{reflect.TypeFor[[]byte](), nil, []byte(nil), ""},
		{reflect.TypeFor[blob](), []byte("x"), blob("x"), ""},

		{reflect.TypeFor[[]int](), []any{int64(1), int64(2)}, []int{1, 2}, ""},
		{reflect.TypeFor[[]int](), pyval.Tuple{int64(1)}, []int{1}, ""},
		{reflect.TypeFor[[]int](), nil, []int(nil), ""},
		{reflect.TypeFor[[]int](), "x", nil, " must be list, not str"},
		{reflect.TypeFor[[]int](), []any{"a"}, nil, "[0] must be int, not str"},
		{reflect.TypeFor[[][]string](), []any{[]any{"a"}, pyval.Tuple{int64(1)}}, nil, "[1][0] must be str, not int"},
		{reflect.TypeFor[[2]int](), []any{int64(1), int64(2)}, [2]int{1, 2}, ""},
		{reflect.TypeFor[[2]int](), []any{int64(1)}, nil, " must have 2 items, not 1"},
		{reflect.TypeFor[[2]int](), []any{int64(1), "x"}, nil, "[1] must be int, not str"},

		{reflect.TypeFor[map[string]int](), pyval.DictOf("a", int64(1)), map[string]int{"a": 1}, ""},
		{reflect.TypeFor[map[string]int](), nil, map[string]int(nil), ""},
		{reflect.TypeFor[map[string]int](), pyval.DictOf(int64(1), int64(1)), nil, " key 1 must be str, not int"},
		{reflect.TypeFor[map[string]int](), pyval.DictOf("a", "x"), nil, "['a'] must be int, not str"},
		{reflect.TypeFor[map[string]int](), []any{}, nil, " must be dict, not list"},
		{reflect.TypeFor[map[int64][]string](), pyval.DictOf(int64(1), []any{"x"}), map[int64][]string{1: {"x"}}, ""},

		{reflect.TypeFor[point](), pyval.DictOf("x", int64(1), "y", int64(2), "label", "l"), point{1, 2, "l"}, ""},
		{reflect.TypeFor[point](), []any{}, nil, " must be dict, not list"},
		{reflect.TypeFor[point](), pyval.DictOf(int64(1), int64(2)), nil, " keys must be str, not int"},
		{reflect.TypeFor[*point](), nil, (*point)(nil), ""},
		{reflect.TypeFor[*point](), pyval.DictOf("x", int64(3)), &point{X: 3}, ""},
		{reflect.TypeFor[outer](), pyval.DictOf("y", int64(1), "z", int64(2)), outer{&Inner{1}, 2}, ""},
		// As encoding/json, an unexported embedded pointer cannot be allocated.
		{reflect.TypeFor[outerHidden](), pyval.DictOf("y", int64(1)), nil, "['y'] cannot be set (unexported embedded pointer)"},
		{reflect.TypeFor[node](), pyval.DictOf("name", "a", "kids", []any{pyval.DictOf("name", "b")}),
			node{"a", []node{{Name: "b"}}}, ""},
		{reflect.TypeFor[node](), pyval.DictOf("kids", []any{pyval.DictOf("name", int64(1))}),
			nil, "['kids'][0]['name'] must be str, not int"},

		{reflect.TypeFor[any](), pyval.Set{int64(1)}, pyval.Set{int64(1)}, ""},
		{reflect.TypeFor[any](), nil, nil, ""},
		{reflect.TypeFor[error](), exception, exception, ""},
		{reflect.TypeFor[error](), nil, error(nil), ""},
		{reflect.TypeFor[error](), "x", nil, " must be error, not str"},
		{reflect.TypeFor[pyval.Tuple](), []any{int64(1)}, pyval.Tuple{int64(1)}, ""},
		{reflect.TypeFor[pyval.Set](), pyval.Tuple{"a"}, pyval.Set{"a"}, ""},
		{reflect.TypeFor[[]any](), pyval.Set{"a"}, []any{"a"}, ""},
		{reflect.TypeFor[pyval.Tuple](), int64(1), nil, " must be tuple, not int"},
		{reflect.TypeFor[*pyval.Dict](), pyval.DictOf("a", nil), pyval.DictOf("a", nil), ""},
		{reflect.TypeFor[*pyval.Dict](), []any{}, nil, " must be dict, not list"},
		{reflect.TypeFor[pyval.URI](), uri, uri, ""},
		{reflect.TypeFor[pyval.URI](), "PYRO:obj@localhost:9090", uri, ""},
		{reflect.TypeFor[pyval.URI](), pyval.ProxyRef{URI: uri}, uri, ""},
		{reflect.TypeFor[pyval.URI](), "nope", nil, ` is not a valid uri: invalid uri: "nope"`},
		{reflect.TypeFor[pyval.URI](), int64(1), nil, " must be Pyro4.core.URI, not int"},
		{reflect.TypeFor[*pyval.URI](), "PYRO:obj@localhost:9090", &uri, ""},
		{reflect.TypeFor[pyval.ProxyRef](), pyval.ProxyRef{URI: uri}, pyval.ProxyRef{URI: uri}, ""},
		{reflect.TypeFor[pyval.ProxyRef](), uri, nil, " must be Pyro4.core.Proxy, not Pyro4.core.URI"},
		{reflect.TypeFor[*pyval.Exception](), exception, exception, ""},
		{reflect.TypeFor[*pyval.Exception](), "x", nil, " must be Exception, not str"},
		{reflect.TypeFor[*big.Int](), int64(7), big.NewInt(7), ""},
		{reflect.TypeFor[*big.Int](), bigInt("99999999999999999999"), bigInt("99999999999999999999"), ""},
		{reflect.TypeFor[*big.Int](), nil, (*big.Int)(nil), ""},
		{reflect.TypeFor[*big.Int](), 1.0, nil, " must be int, not float"},
		{reflect.TypeFor[big.Int](), int64(7), *big.NewInt(7), ""},
		{reflect.TypeFor[time.Duration](), 1.5, 1500 * time.Millisecond, ""},
		{reflect.TypeFor[time.Duration](), int64(2), 2 * time.Second, ""},
		{reflect.TypeFor[time.Duration](), "1s", nil, " must be float, not str"},
		{reflect.TypeFor[time.Time](), "2024-01-02T03:04:05.123456", time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC), ""},
		{reflect.TypeFor[time.Time](), "2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), ""},
		{reflect.TypeFor[time.Time](), "soon", nil, ` is not an ISO 8601 time: "soon"`},
	}
	for _, tt := range tests {
		c, err := converterFor(tt.typ)
		if err != nil {
			t.Errorf("converterFor(%s): %v", tt.typ, err)
			continue
		}
		v, cerr := c(tt.in)
		if tt.err != "" {
			if cerr == nil {
				t.Errorf("%s from %#v: no error, want %q", tt.typ, tt.in, tt.err)
				continue
			}
			_, msg := cerr.message("T.f", "1")
			if want := "T.f() argument 1" + tt.err; msg != want {
				t.Errorf("%s from %#v:\n got %q\nwant %q", tt.typ, tt.in, msg, want)
			}
			continue
		}
		if cerr != nil {
			_, msg := cerr.message("T.f", "1")
			t.Errorf("%s from %#v: %s", tt.typ, tt.in, msg)
			continue
		}
		if v.Type() != tt.typ && !(tt.typ.Kind() == reflect.Interface && v.Type().Implements(tt.typ)) {
			t.Errorf("%s from %#v: value of type %s", tt.typ, tt.in, v.Type())
		}
		if got := v.Interface(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s from %#v = %#v, want %#v", tt.typ, tt.in, got, tt.want)
		}
	}
}

func TestConvertUnsupported(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[func()](),
		reflect.TypeFor[chan int](),
		reflect.TypeFor[[]func()](),
		reflect.TypeFor[map[string]chan int](),
	} {
		if _, err := converterFor(typ); err == nil || !strings.Contains(err.Error(), "cannot receive a Python value") {
			t.Errorf("converterFor(%s) = %v", typ, err)
		}
	}
}
