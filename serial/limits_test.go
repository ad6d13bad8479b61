package serial

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

// nestedList is n lists, each inside the one before, in each codec's
// encoding.
func nestedList(codec Codec, n int) []byte {
	if codec == Marshal {
		return append(bytes.Repeat([]byte("[\x01\x00\x00\x00"), n-1), "[\x00\x00\x00\x00"...)
	}
	return []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
}

// zerosList is a list of n zeros: n+1 values.
func zerosList(codec Codec, n int) []byte {
	out, err := codec.Marshal(nil, make([]any, n), nil)
	if err != nil {
		panic(err)
	}
	if codec != Marshal {
		out = bytes.ReplaceAll(out, []byte("None"), []byte("0"))
		out = bytes.ReplaceAll(out, []byte("null"), []byte("0"))
	}
	return out
}

func TestDecoderDepthLimit(t *testing.T) {
	tests := []struct {
		codec    Codec
		maxDepth int    // deepest nesting that decodes
		class    string // beyond it, as Python raises it
		msg      string
	}{
		{Serpent, serpentMaxDepth + 1, "builtins.SyntaxError", "nesting too deep"},
		{JSON, jsonMaxDepth, "builtins.RecursionError", "maximum recursion depth exceeded while decoding a JSON array from a unicode string"},
		{Marshal, marshalMaxDepth, pyval.ClassValueError, "recursion limit exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.codec.Name(), func(t *testing.T) {
			if _, err := tc.codec.Unmarshal(nestedList(tc.codec, tc.maxDepth)); err != nil {
				t.Fatalf("%d levels: %v", tc.maxDepth, err)
			}
			for _, n := range []int{tc.maxDepth + 1, 100 * tc.maxDepth} {
				_, err := tc.codec.Unmarshal(nestedList(tc.codec, n))
				var exc *pyval.Exception
				if !errors.Is(err, ErrTooDeep) || !errors.As(err, &exc) || exc.Class != tc.class || !strings.Contains(exc.Message(), tc.msg) {
					t.Errorf("%d levels: %v; want ErrTooDeep, %s(%q)", n, err, tc.class, tc.msg)
				}
				if errors.Is(err, ErrTooMany) {
					t.Errorf("%d levels: also ErrTooMany", n)
				}
			}
			// The call path has the same limit.
			var c Call
			err := tc.codec.UnmarshalCall(callWithArg(t, tc.codec, nestedList(tc.codec, tc.maxDepth+1)), &c)
			if !errors.Is(err, ErrTooDeep) {
				t.Errorf("call: %v; want ErrTooDeep", err)
			}
		})
	}
}

func TestDecoderValueLimit(t *testing.T) {
	defer func(n int) { maxValues = n }(maxValues)
	maxValues = 1000
	for _, codec := range []Codec{Serpent, JSON, Marshal} {
		t.Run(codec.Name(), func(t *testing.T) {
			if v, err := codec.Unmarshal(zerosList(codec, maxValues-1)); err != nil || len(v.([]any)) != maxValues-1 {
				t.Fatalf("%d values: %v", maxValues, err)
			}
			for _, n := range []int{maxValues, 10 * maxValues} {
				_, err := codec.Unmarshal(zerosList(codec, n))
				want := fmt.Sprintf("payload has more than %d values", maxValues)
				var exc *pyval.Exception
				if !errors.Is(err, ErrTooMany) || !errors.Is(err, pyval.ErrSerialize) || !errors.As(err, &exc) || exc.Message() != want {
					t.Errorf("%d values: %v; want ErrTooMany, SerializeError(%q)", n+1, err, want)
				}
			}
			var c Call
			if err := codec.UnmarshalCall(callWithArg(t, codec, zerosList(codec, maxValues)), &c); !errors.Is(err, ErrTooMany) {
				t.Errorf("call: %v; want ErrTooMany", err)
			}
		})
	}
}

// callWithArg is a call payload whose one argument is the encoded arg,
// spliced in where the codec wrote a placeholder.
func callWithArg(t *testing.T, codec Codec, arg []byte) []byte {
	t.Helper()
	const mark = "PLACEHOLDER"
	out, err := codec.MarshalCall(nil, &Call{Object: "o", Method: "m", Args: []any{mark}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var enc []byte
	switch codec {
	case Serpent:
		enc = []byte("'" + mark + "'")
	case JSON:
		enc = []byte(`"` + mark + `"`)
	case Marshal:
		enc, _ = codec.Marshal(nil, mark, nil)
	}
	i := bytes.Index(out, enc)
	if i < 0 {
		t.Fatalf("no %q in %q", enc, out)
	}
	return append(append(out[:i:i], arg...), out[i+len(enc):]...)
}
