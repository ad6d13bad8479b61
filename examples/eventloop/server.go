package main

import (
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"

	"github.com/gyro-rpc/gyro/pyval"
)

// EmbeddedServer is the example's object. Multiply keeps Python's
// semantics for x * y over the values a Pyro4 client sends: numbers
// multiply (ints without overflow), and a str, list or tuple times an int
// repeats, so multiply('x', 10) is 'xxxxxxxxxx'.
type EmbeddedServer struct {
	calls atomic.Int64
}

// Multiply returns x * y as Python computes it.
func (s *EmbeddedServer) Multiply(x, y any) (any, error) {
	s.calls.Add(1)
	if n, ok := pyval.AsInt64(y); ok && isSeq(x) {
		return repeat(x, n), nil
	}
	if n, ok := pyval.AsInt64(x); ok && isSeq(y) {
		return repeat(y, n), nil
	}
	if a, ok := toBig(x); ok {
		if b, ok := toBig(y); ok {
			return pyval.Int(new(big.Int).Mul(a, b)), nil
		}
	}
	if isNumber(x) && isNumber(y) {
		a, okA := pyval.AsFloat(x)
		b, okB := pyval.AsFloat(y)
		if okA && okB {
			return a * b, nil
		}
	}
	if isSeq(x) && isNumber(y) || isSeq(y) && isNumber(x) {
		other := y
		if isSeq(y) {
			other = x
		}
		return nil, pyval.NewException("TypeError", fmt.Sprintf("can't multiply sequence by non-int of type '%s'", pyval.TypeName(other)))
	}
	return nil, pyval.NewException("TypeError", fmt.Sprintf("unsupported operand type(s) for *: '%s' and '%s'", pyval.TypeName(x), pyval.TypeName(y)))
}

func isSeq(v any) bool {
	switch v.(type) {
	case string, []byte, []any, pyval.Tuple:
		return true
	}
	return false
}

func isNumber(v any) bool {
	switch v.(type) {
	case bool, int64, *big.Int, float64:
		return true
	}
	return false
}

func toBig(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case *big.Int:
		return x, true
	case int64:
		return big.NewInt(x), true
	case bool:
		if x {
			return big.NewInt(1), true
		}
		return big.NewInt(0), true
	}
	return nil, false
}

func repeat(seq any, n int64) any {
	if n < 0 {
		n = 0
	}
	switch s := seq.(type) {
	case string:
		return strings.Repeat(s, int(n))
	case []byte:
		return []byte(strings.Repeat(string(s), int(n)))
	case []any:
		out := make([]any, 0, len(s)*int(n))
		for i := int64(0); i < n; i++ {
			out = append(out, s...)
		}
		return out
	case pyval.Tuple:
		out := make(pyval.Tuple, 0, len(s)*int(n))
		for i := int64(0); i < n; i++ {
			out = append(out, s...)
		}
		return out
	}
	return nil
}
