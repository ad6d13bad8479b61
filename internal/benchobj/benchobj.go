// Package benchobj is a Go port of the object served by Pyro4's benchmark
// example (examples/benchmark/bench.py), with the same remote names.
package benchobj

import (
	"fmt"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
)

// ObjectID is the id the example registers the object under.
const ObjectID = "example.benchmark"

// Bench is bench.py's bench class.
type Bench struct{}

// PyroExpose marks oneway as a oneway method, as bench.py's @Pyro4.oneway.
func (Bench) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{Oneway: []string{"Oneway"}}
}

// Length returns len(string).
func (Bench) Length(s string) int { return len([]rune(s)) }

// Timestwo returns value * 2 for numbers and strings, like Python's *.
func (Bench) Timestwo(v any) (any, error) {
	switch v := v.(type) {
	case int64:
		return v * 2, nil
	case float64:
		return v * 2, nil
	case string:
		return v + v, nil
	}
	return nil, pyval.NewException(pyval.ClassTypeError, fmt.Sprintf("unsupported operand %T", v))
}

// Bigreply returns 'BIG REPLY' * 500.
func (Bench) Bigreply() string {
	const s = "BIG REPLY"
	b := make([]byte, 0, len(s)*500)
	for range 500 {
		b = append(b, s...)
	}
	return string(b)
}

// Bigarg returns len(arg).
func (Bench) Bigarg(arg string) int { return len([]rune(arg)) }

// Manyargs sums its fifteen arguments.
func (Bench) Manyargs(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15 int64) int64 {
	return a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15
}

// Noreply ignores its argument and returns None.
func (Bench) Noreply(arg any) {}

// Varargs returns len(args).
func (Bench) Varargs(args ...any) int { return len(args) }

// Keywords returns its keyword arguments.
func (Bench) Keywords(kw dispatch.Kwargs) dispatch.Kwargs { return kw }

// Echo returns its arguments as a tuple.
func (Bench) Echo(args ...any) pyval.Tuple { return pyval.Tuple(args) }

// Oneway does nothing; clients call it without waiting.
func (Bench) Oneway(args ...any) {}
