package pyval

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

type point struct {
	X, Y  int
	Label string `pyro:"name"`
	Skip  string `pyro:"-"`
}

type Inner struct{ Depth int }

type hidden struct{ Depth int }

type outer struct {
	*Inner
	TotalCount uint16
	Tags       []string
	Next       *outer
}

type myString string

// TestToGo decodes model values, as the serializers produce them, into
// every Go kind.
func TestToGo(t *testing.T) {
	huge, _ := new(big.Int).SetString("18446744073709551615", 10)
	tests := []struct {
		name string
		in   any
		into any // pointer to a zero value of the target type
		want any
	}{
		{"bool", true, new(bool), true},
		{"int", int64(-5), new(int), -5},
		{"int8 max", int64(127), new(int8), int8(127)},
		{"int16 min", int64(-32768), new(int16), int16(-32768)},
		{"int32 from bool", true, new(int32), int32(1)},
		{"int64", int64(math.MinInt64), new(int64), int64(math.MinInt64)},
		{"uint8 max", int64(255), new(uint8), uint8(255)},
		{"uint64 big", huge, new(uint64), uint64(math.MaxUint64)},
		{"uintptr", int64(7), new(uintptr), uintptr(7)},
		{"float64 from int", int64(3), new(float64), 3.0},
		{"float32", 1.5, new(float32), float32(1.5)},
		{"complex", complex(1, 2), new(complex128), complex(1, 2)},
		{"complex64 from float", 2.0, new(complex64), complex64(2)},
		{"string", "hé", new(string), "hé"},
		{"named string", "x", new(myString), myString("x")},
		{"bytes", []byte("ab"), new([]byte), []byte("ab")},
		{"serpent bytes", DictOf("data", "YWI=", "encoding", "base64"), new([]byte), []byte("ab")},
		{"bytes from list", []any{int64(1), int64(255)}, new([]byte), []byte{1, 255}},
		{"slice from list", []any{int64(1), int64(2)}, new([]int), []int{1, 2}},
		{"slice from tuple", Tuple{"a"}, new([]string), []string{"a"}},
		{"slice from set", Set{1.5}, new([]float64), []float64{1.5}},
		{"nil slice", nil, new([]int), []int(nil)},
		{"array", []any{int64(1), int64(2)}, new([2]int8), [2]int8{1, 2}},
		{"tuple", []any{"a", int64(1)}, new(Tuple), Tuple{"a", int64(1)}},
		{"set", Tuple{"a"}, new(Set), Set{"a"}},
		{"list", Set{"a"}, new([]any), []any{"a"}},
		{"map str", DictOf("a", int64(1)), new(map[string]int), map[string]int{"a": 1}},
		{"map int keys", DictOf(int64(1), "a", int64(-2), "b"), new(map[int]string), map[int]string{1: "a", -2: "b"}},
		{"map int keys from json text", DictOf("1", "a"), new(map[int64]string), map[int64]string{1: "a"}},
		{"map float keys from json text", DictOf("1.5", "a"), new(map[float64]string), map[float64]string{1.5: "a"}},
		{"map any keys", DictOf(int64(1), "a", "k", "b"), new(map[any]string), map[any]string{int64(1): "a", "k": "b"}},
		{"map tuple keys", DictOf(Tuple{int64(1), int64(2)}, "p"), new(map[[2]int]string), map[[2]int]string{{1, 2}: "p"}},
		{"set into map", Set{"a", "b"}, new(map[string]struct{}), map[string]struct{}{"a": {}, "b": {}}},
		{"list into bool map", []any{int64(3)}, new(map[int]bool), map[int]bool{3: true}},
		{"dict", DictOf("k", "v"), new(*Dict), DictOf("k", "v")},
		{"any", Tuple{int64(1)}, new(any), Tuple{int64(1)}},
		{"any none", nil, new(any), nil},
		{"big", huge, new(*big.Int), huge},
		{"big value", int64(3), new(big.Int), *big.NewInt(3)},
		{"pointer", int64(4), new(*int), ptr(4)},
		{"nil pointer", nil, new(*int), (*int)(nil)},
		{"struct", DictOf("x", int64(1), "y", int64(2), "name", "p", "skip", "no", "other", true),
			new(point), point{X: 1, Y: 2, Label: "p"}},
		{"nested struct", DictOf("depth", int64(2), "total_count", int64(9), "tags", []any{"a"},
			"next", DictOf("total_count", int64(1))),
			new(outer), outer{Inner: &Inner{Depth: 2}, TotalCount: 9, Tags: []string{"a"}, Next: &outer{TotalCount: 1}}},
		{"time", "2024-01-02T03:04:05.600000", new(time.Time), time.Date(2024, 1, 2, 3, 4, 5, 6e8, time.UTC)},
		{"time zone", "2024-01-02T03:04:05+02:00", new(time.Time), time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", 7200))},
		{"date", "2024-01-02", new(time.Time), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"duration", 1.5, new(time.Duration), 1500 * time.Millisecond},
		{"uri", MustParseURI("PYRO:o@h:1"), new(URI), MustParseURI("PYRO:o@h:1")},
		{"exception", NewException("ValueError", "x"), new(*Exception), NewException("ValueError", "x")},
		{"error interface", NewException("ValueError", "x"), new(error), error(NewException("ValueError", "x"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ToGo(tt.in, tt.into); err != nil {
				t.Fatalf("ToGo(%v) into %T: %v", tt.in, tt.into, err)
			}
			got := reflect.ValueOf(tt.into).Elem().Interface()
			if tm, ok := got.(time.Time); ok {
				if !tm.Equal(tt.want.(time.Time)) {
					t.Fatalf("got %v, want %v", tm, tt.want)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestToGoErrors checks that a value that does not fit is an error saying
// where, matching ErrConvert (and ErrOverflow for a number out of range).
func TestToGoErrors(t *testing.T) {
	huge, _ := new(big.Int).SetString("18446744073709551616", 10)
	tests := []struct {
		name     string
		in       any
		into     any
		overflow bool
		text     string
	}{
		{"int8 overflow", int64(128), new(int8), true, "pyval: cannot convert int to int8: 128 does not fit"},
		{"uint negative", int64(-1), new(uint), true, "-1 does not fit"},
		{"uint64 overflow", huge, new(uint64), true, "18446744073709551616 does not fit"},
		{"int64 overflow", huge, new(int64), true, "does not fit"},
		{"float32 overflow", 1e300, new(float32), true, "does not fit"},
		{"float from big", new(big.Int).Lsh(big.NewInt(1), 2000), new(float64), true, "int too large"},
		{"str to int", "1", new(int), false, "pyval: cannot convert str to int"},
		{"float to int", 1.5, new(int), false, "float to int"},
		{"none to int", nil, new(int), false, "NoneType to int"},
		{"nested path", DictOf("x", "no"), new(point), false, "pyval: cannot convert str to int at ['x']"},
		{"byte overflow", []any{int64(256)}, new([]byte), true, "at [0]: 256 does not fit"},
		{"slice path", []any{int64(1), "b"}, new([]int), false, "at [1]"},
		{"map key", DictOf("a", int64(1)), new(map[int]int), false, "at key 'a'"},
		{"array length", []any{int64(1)}, new([2]int), false, "1 items, not 2"},
		{"struct non-str key", DictOf(int64(1), int64(2)), new(point), false, "key 1 is not a str"},
		{"time text", "yesterday", new(time.Time), false, `"yesterday" is not ISO 8601`},
		{"unexported embedded pointer", DictOf("depth", int64(1)), new(struct{ *hidden }), false, "unexported embedded pointer"},
		{"tuple key into any", DictOf(Tuple{int64(1)}, "p"), new(map[any]string), false, "at key (1,): unhashable in Go"},
		{"list in a set into any", Set{[]any{}}, new(map[any]bool), false, "at [0]: unhashable in Go"},
		{"func", "x", new(func()), false, "no Python value converts to a func"},
		{"not a pointer", int64(1), 0, false, "destination is not a non-nil pointer"},
		{"nil pointer", int64(1), (*int)(nil), false, "destination is not a non-nil pointer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ToGo(tt.in, tt.into)
			if !errors.Is(err, ErrConvert) {
				t.Fatalf("ToGo(%v) into %T = %v, want ErrConvert", tt.in, tt.into, err)
			}
			if errors.Is(err, ErrOverflow) != tt.overflow {
				t.Errorf("errors.Is(%v, ErrOverflow) = %v", err, !tt.overflow)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not contain %q", err, tt.text)
			}
		})
	}
}

// TestToGoKeeps checks the encoding/json-like merge: fields and entries
// the value does not mention stay.
func TestToGoKeeps(t *testing.T) {
	p := point{X: 1, Y: 2}
	if err := ToGo(DictOf("y", int64(5)), &p); err != nil || p != (point{X: 1, Y: 5}) {
		t.Fatalf("got %+v, %v", p, err)
	}
	m := map[string]int{"a": 1}
	if err := ToGo(DictOf("b", int64(2)), &m); err != nil || !reflect.DeepEqual(m, map[string]int{"a": 1, "b": 2}) {
		t.Fatalf("got %v, %v", m, err)
	}
}

type tree struct {
	Name     string
	Children []tree
}

// TestToGoRoundTrip converts Go values to the model and back.
func TestToGoRoundTrip(t *testing.T) {
	values := []any{
		point{X: -1, Y: 2, Label: "p"},
		tree{Name: "a", Children: []tree{{Name: "b"}, {Name: "c", Children: []tree{{Name: "d"}}}}},
		map[int8][]uint32{-3: {1, 2}},
		[3]float32{1, 2.5, -3},
		time.Duration(1500) * time.Millisecond,
		[]*int{ptr(1), nil},
	}
	for _, v := range values {
		m, err := FromGo(v)
		if err != nil {
			t.Fatal(err)
		}
		// FromGo leaves container elements to the serializer: do its part.
		m = deepFromGo(t, m)
		out := reflect.New(reflect.TypeOf(v))
		if err := ToGo(m, out.Interface()); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if got := out.Elem().Interface(); !reflect.DeepEqual(got, v) {
			t.Errorf("round trip of %#v gave %#v", v, got)
		}
	}
}

func deepFromGo(t *testing.T, v any) any {
	m, err := FromGo(v)
	if err != nil {
		t.Fatal(err)
	}
	switch x := m.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepFromGo(t, e)
		}
		return out
	case *Dict:
		d := NewDict(x.Len())
		for _, it := range x.Items() {
			d.Append(deepFromGo(t, it.Key), deepFromGo(t, it.Value))
		}
		return d
	}
	return m
}

// BenchmarkToGoStruct converts a dict as a peer sends a small struct.
func BenchmarkToGoStruct(b *testing.B) {
	v := DictOf("x", int64(1), "y", int64(2), "name", "p", "extra", 1.5)
	b.ReportAllocs()
	for b.Loop() {
		var p point
		if err := ToGo(v, &p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToGoSlice converts a list of 100 ints.
func BenchmarkToGoSlice(b *testing.B) {
	l := make([]any, 100)
	for i := range l {
		l[i] = int64(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out []int32
		if err := ToGo(l, &out); err != nil {
			b.Fatal(err)
		}
	}
}
