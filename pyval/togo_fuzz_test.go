package pyval_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

type fuzzTarget struct {
	Name  string
	N     int8
	U     uint64
	F     float32
	B     []byte
	When  time.Time
	Took  time.Duration
	Big   *big.Int
	List  []*fuzzTarget
	Keys  map[int16]string
	Set   map[string]struct{}
	Any   map[any]any
	Pair  [2]uint8
	Tuple pyval.Tuple
	Next  *fuzzTarget
}

// FuzzToGo decodes whatever serpent text a peer could send and converts it
// into a type with every kind of field: ToGo must return, never panic.
func FuzzToGo(f *testing.F) {
	for _, seed := range []string{
		`{'name': 'x', 'n': 127, 'u': 18446744073709551615, 'f': 1e300}`,
		`{'list': [{'next': {'keys': {1: 'a', '2': 'b'}}}], 'set': {'a', 'b'}}`,
		`{'any': {(1, 2): [3], None: 1.5}, 'pair': (1, 2), 'tuple': [1]}`,
		`{'b': {'data': 'AAE=', 'encoding': 'base64'}, 'when': '2024-01-02T03:04:05', 'took': 1.5}`,
		`[1, 2, 3]`,
		`{'big': 123456789012345678901234567890}`,
	} {
		f.Add([]byte(seed))
	}
	codec, err := serial.ByName("serpent")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := codec.Unmarshal(data)
		if err != nil {
			return
		}
		var out fuzzTarget
		_ = pyval.ToGo(v, &out)
		var m map[string]any
		_ = pyval.ToGo(v, &m)
		var s []fuzzTarget
		_ = pyval.ToGo(v, &s)
	})
}
