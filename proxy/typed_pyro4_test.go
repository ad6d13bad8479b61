package proxy_test

// Typed results against real Pyro4 4.82 peers, in every serializer: values
// a Pyro4 daemon produces (testdata/values_server.py) must arrive as the Go
// types asked for, and Go values sent to Pyro4's echo server must come back
// as themselves.

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

var serializers = []string{"serpent", "json", "marshal"}

type pyPoint struct {
	X, Y  int8
	Label string
}

type pyInts struct {
	I8  int8
	I16 int16
	I32 int32
	I64 int64
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	Big *big.Int
}

type pyTree struct {
	Name     string
	Children []pyTree
}

func startValues(t *testing.T) string {
	t.Helper()
	srv := pyrotest.Start(t, []string{"testdata/values_server.py"}, regexp.MustCompile(`^values uri: (PYRO:\S+)$`))
	return srv.Match[1]
}

func proxyFor(t *testing.T, uri, ser string) *proxy.Proxy {
	t.Helper()
	p, err := proxy.New(uri, proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = ser })})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// into calls value(name) and converts the result into a new T.
func into[T any](p *proxy.Proxy, t *testing.T, name string) (any, error) {
	return proxy.As[T](p.Call(testCtx(t), "value", name))
}

func TestAsFromPyro4(t *testing.T) {
	uri := startValues(t)
	two70 := new(big.Int).Lsh(big.NewInt(1), 70)
	tests := []struct {
		name    string
		convert func(*proxy.Proxy, *testing.T, string) (any, error)
		want    any
		// cannot lists the serializers Pyro4 cannot send the value in:
		// the call must then fail remotely.
		cannot []string
	}{
		{"point", into[pyPoint], pyPoint{X: 1, Y: -2, Label: "p"}, nil},
		{"ints", into[pyInts], pyInts{I8: -128, I16: 32767, I32: math.MinInt32, I64: math.MinInt64,
			U8: 255, U16: 65535, U32: math.MaxUint32, U64: math.MaxUint64, Big: two70}, nil},
		{"ints", into[map[string]*big.Int], map[string]*big.Int{"i8": big.NewInt(-128), "i16": big.NewInt(32767),
			"i32": big.NewInt(math.MinInt32), "i64": big.NewInt(math.MinInt64), "u8": big.NewInt(255),
			"u16": big.NewInt(65535), "u32": big.NewInt(math.MaxUint32), "u64": new(big.Int).SetUint64(math.MaxUint64),
			"big": two70}, nil},
		{"int_256", into[uint16], uint16(256), nil},
		{"int_256", into[float32], float32(256), nil},
		{"float", into[float32], float32(1.5), nil},
		{"float", into[complex64], complex64(1.5), nil},
		{"inf", into[float64], math.Inf(1), nil},
		{"float", into[time.Duration], 1500 * time.Millisecond, nil},
		{"list", into[[]int], []int{1, 2, 3}, nil},
		{"list", into[[3]uint8], [3]uint8{1, 2, 3}, nil},
		{"list", into[[]byte], []byte{1, 2, 3}, nil},
		{"list", into[pyval.Tuple], pyval.Tuple{int64(1), int64(2), int64(3)}, nil},
		{"tuple", into[pyval.Tuple], pyval.Tuple{int64(1), "a", 2.5}, nil},
		{"tuple", into[[]any], []any{int64(1), "a", 2.5}, nil},
		{"set", into[pyval.Set], pyval.Set{int64(3)}, nil},
		{"set", into[[]int32], []int32{3}, nil},
		{"set", into[map[int]struct{}], map[int]struct{}{3: {}}, nil},
		{"frozenset", into[map[string]bool], map[string]bool{"a": true}, []string{"json"}},
		{"int_keys", into[map[int]string], map[int]string{1: "a", -2: "b"}, nil},
		{"int_keys", into[map[int8]string], map[int8]string{1: "a", -2: "b"}, nil},
		{"float_keys", into[map[float64]string], map[float64]string{1.5: "x"}, nil},
		{"tuple_keys", into[map[[2]int]string], map[[2]int]string{{1, 2}: "p"}, []string{"json"}},
		{"tree", into[pyTree], pyTree{Name: "root", Children: []pyTree{
			{Name: "a", Children: []pyTree{}},
			{Name: "b", Children: []pyTree{{Name: "c", Children: []pyTree{}}}}}}, nil},
		{"tree", into[*pyTree], &pyTree{Name: "root", Children: []pyTree{
			{Name: "a", Children: []pyTree{}},
			{Name: "b", Children: []pyTree{{Name: "c", Children: []pyTree{}}}}}}, nil},
		{"datetime", into[time.Time], time.Date(2024, 1, 2, 3, 4, 5, 6e8, time.UTC), []string{"marshal"}},
		{"date", into[time.Time], time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), []string{"marshal"}},
		{"bytes", into[[]byte], []byte{0, 0xff}, []string{"json"}},
		{"none", into[*int], (*int)(nil), nil},
		{"none", into[[]string], []string(nil), nil},
		{"none", into[map[string]int], map[string]int(nil), nil},
		{"none", into[any], nil, nil},
		{"bool", into[bool], true, nil},
		{"complex", into[complex128], complex(1, 2), []string{"json"}},
		{"str", into[string], "héllo ☃", nil},
	}
	for _, ser := range serializers {
		t.Run(ser, func(t *testing.T) {
			p := proxyFor(t, uri, ser)
			for _, tt := range tests {
				got, err := tt.convert(p, t, tt.name)
				if slices.Contains(tt.cannot, ser) {
					var exc *pyval.Exception
					if !errors.As(err, &exc) {
						t.Errorf("%s in %s: got %v, %v; want a remote exception", tt.name, ser, got, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s as %T: %v", tt.name, tt.want, err)
					continue
				}
				if tm, ok := got.(time.Time); ok {
					if !tm.Equal(tt.want.(time.Time)) {
						t.Errorf("%s: got %v, want %v", tt.name, tm, tt.want)
					}
					continue
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%s as %T: got %#v, want %#v", tt.name, tt.want, got, tt.want)
				}
			}
		})
	}
}

// TestAsErrorsFromPyro4 checks that Pyro4 values that do not fit the Go
// type are errors that say so, and overflow is told apart.
func TestAsErrorsFromPyro4(t *testing.T) {
	uri := startValues(t)
	tests := []struct {
		name     string
		convert  func(*proxy.Proxy, *testing.T, string) (any, error)
		overflow bool
	}{
		{"int_256", into[uint8], true},
		{"int_256", into[int8], true},
		{"int_minus_1", into[uint64], true},
		{"int_2_64", into[uint64], true},
		{"int_2_64", into[int64], true},
		{"float_1e300", into[float32], true},
		{"ints", into[map[string]int32], true},
		{"float", into[int], false},
		{"str", into[[]int], false},
		{"point", into[map[string]int], false},
		{"list", into[[2]int], false},
		{"none", into[int], false},
	}
	for _, ser := range serializers {
		p := proxyFor(t, uri, ser)
		for _, tt := range tests {
			got, err := tt.convert(p, t, tt.name)
			if !errors.Is(err, pyval.ErrConvert) || errors.Is(err, pyval.ErrOverflow) != tt.overflow {
				t.Errorf("%s: %s gave %v, %v; want ErrConvert (overflow %v)", ser, tt.name, got, err, tt.overflow)
			}
		}
	}
}

// TestAsStreamAndBatchFromPyro4 converts the items of a Pyro4 generator
// and the results of a batch.
func TestAsStreamAndBatchFromPyro4(t *testing.T) {
	uri := startValues(t)
	for _, ser := range serializers {
		p := proxyFor(t, uri, ser)
		ctx := testCtx(t)
		s, err := p.Stream(ctx, "points", 3)
		if err != nil {
			t.Fatal(err)
		}
		var pts []pyPoint
		for v, err := range s.All(ctx) {
			pt, err := proxy.As[pyPoint](v, err)
			if err != nil {
				t.Fatalf("%s: %v", ser, err)
			}
			pts = append(pts, pt)
		}
		want := []pyPoint{{0, 0, "0"}, {1, -1, "1"}, {2, -2, "2"}}
		if !reflect.DeepEqual(pts, want) {
			t.Errorf("%s: stream gave %v, want %v", ser, pts, want)
		}

		b := p.Batch()
		b.Add("value", "point")
		b.Add("value", "point")
		both, err := proxy.As[[]pyPoint](b.Run(ctx))
		if err != nil || len(both) != 2 || both[1] != (pyPoint{1, -2, "p"}) {
			t.Errorf("%s: batch gave %v, %v", ser, both, err)
		}
		b.Add("value", "point")
		b.Add("value", "list")
		res, err := b.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pt, err1 := proxy.As[pyPoint](res[0], nil)
		list, err2 := proxy.As[[]uint](res[1], nil)
		if err1 != nil || err2 != nil || pt.Label != "p" || !slices.Equal(list, []uint{1, 2, 3}) {
			t.Errorf("%s: batch items %v %v, %v %v", ser, pt, err1, list, err2)
		}
	}
}

type roundTrip struct {
	Name    string
	Count   uint32
	Ratio   float32
	Tags    []string
	Scores  map[string]int16
	ByID    map[int64]string
	Where   *pyPoint
	Nothing *pyPoint
	When    time.Time
	Took    time.Duration
	Pair    [2]int
	Nested  []pyTree
	Set     map[string]struct{}
}

// TestAsRoundTripPyro4 sends Go values of every kind through Pyro4's echo
// server and converts the reply back into the type sent.
func TestAsRoundTripPyro4(t *testing.T) {
	srv, uri := startEcho(t, nil)
	defer shutdown(t, srv, uri, proxy.Options{})
	when := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	values := []struct {
		v      any
		cannot []string // serializers that cannot carry it
	}{
		{int8(-128), nil},
		{int16(math.MaxInt16), nil},
		{int32(math.MinInt32), nil},
		{int64(math.MinInt64), nil},
		{int(42), nil},
		{uint8(255), nil},
		{uint16(math.MaxUint16), nil},
		{uint32(math.MaxUint32), nil},
		{uint64(math.MaxUint64), nil},
		{uintptr(9), nil},
		{float32(1.25), nil},
		{-2.5e-300, nil},
		{complex128(complex(1, -2)), []string{"json"}},
		{"héllo", nil},
		{true, nil},
		{[]byte{0, 1, 0xff}, []string{"json"}},
		{[]int{1, -2}, nil},
		{[3]string{"a", "b", "c"}, nil},
		{map[string]float64{"pi": 3.25}, nil},
		{map[int]string{1: "a", -7: "b"}, nil},
		{map[uint8]bool{3: true}, nil},
		{pyval.Tuple{int64(1), "x"}, nil},
		{pyval.Set{"only"}, nil},
		{&pyPoint{X: 3, Y: -4, Label: "ptr"}, nil},
		{when, nil},
		{roundTrip{Name: "all", Count: 7, Ratio: 0.5, Tags: []string{"x", "y"},
			Scores: map[string]int16{"a": -1}, ByID: map[int64]string{10: "ten"},
			Where: &pyPoint{1, 2, "w"}, When: when, Took: 1500 * time.Millisecond, Pair: [2]int{5, 6},
			Nested: []pyTree{{Name: "n", Children: []pyTree{}}}, Set: map[string]struct{}{"s": {}}}, nil},
	}
	for _, ser := range serializers {
		p := proxyFor(t, uri, ser)
		for _, tc := range values {
			typ := reflect.TypeOf(tc.v)
			v, err := p.Call(testCtx(t), "echo", tc.v)
			if slices.Contains(tc.cannot, ser) {
				if err == nil {
					t.Errorf("%s: %T sent, echo gave %v", ser, tc.v, v)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: echo(%T): %v", ser, tc.v, err)
				continue
			}
			out := reflect.New(typ)
			if err := pyval.ToGo(v, out.Interface()); err != nil {
				t.Errorf("%s: %T back from %#v: %v", ser, tc.v, v, err)
				continue
			}
			got := out.Elem().Interface()
			if !equalGo(got, tc.v) {
				t.Errorf("%s: %T round trip: got %#v, want %#v", ser, tc.v, got, tc.v)
			}
		}
	}
}

// equalGo is reflect.DeepEqual with times compared by instant.
func equalGo(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		return ta.Equal(b.(time.Time))
	}
	if ra, ok := a.(roundTrip); ok {
		rb := b.(roundTrip)
		if !ra.When.Equal(rb.When) {
			return false
		}
		ra.When, rb.When = time.Time{}, time.Time{}
		return reflect.DeepEqual(ra, rb)
	}
	return reflect.DeepEqual(a, b)
}
