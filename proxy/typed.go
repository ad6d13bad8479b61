package proxy

import "github.com/gyro-rpc/gyro/pyval"

// As converts the result of a call into a T, as pyval.ToGo describes:
// a dict into a struct by field names, an int into any int width
// (range-checked), a list into a slice, and so on. It takes the (value,
// error) pair of Call, CallKw, Get, Stream.Next or Batch.Run as it is:
//
//	pt, err := proxy.As[Point](p.Call(ctx, "origin"))
//	for v, err := range s.All(ctx) { n, err := proxy.As[int](v, err); ... }
//	sums, err := proxy.As[[]int](b.Run(ctx))
//
// A call's error passes through unchanged (with T's zero value); a result
// that does not fit T is an error matching pyval.ErrConvert, and
// pyval.ErrOverflow for a number out of T's range. A value that already is
// a T (a *Stream, a *pyval.Dict, any for T any) comes back as it is.
func As[T any](v any, err error) (T, error) {
	var out T
	if err != nil {
		return out, err
	}
	if x, ok := v.(T); ok {
		return x, nil
	}
	if err := pyval.ToGo(v, &out); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
