package serial

import (
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

// FuzzBatchDecode checks every codec's UnmarshalBatch against its
// generic decoding (checkBatch): what the fast path takes is exactly the
// batch the generic path gives, and what it leaves it leaves whole. Seeds:
// batches of several shapes in every codec, and the text cases.
func FuzzBatchDecode(f *testing.F) {
	calls := []Call{
		{Object: "o", Method: "<batch>", KwargsNone: true},
		{Object: "obj", Method: "<batch>", KwargsNone: true, Args: []any{
			pyval.Tuple{"echo", pyval.Tuple{"hello"}, pyval.NewDict(0)},
			pyval.Tuple{"f", pyval.Tuple{int64(1), 2.5, nil, []any{"x"}}, pyval.DictOf("k", true)},
			[]any{"g", []any{}, nil},
		}},
		{Object: "o", Method: "<batch>", Args: []any{pyval.Tuple{"f", "ab", int64(1)}, int64(2)}},
	}
	for _, codec := range batchCodecs {
		for i := range calls {
			if data, err := codec.MarshalCall(nil, &calls[i], nil); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`('o', '<batch>', [('f' 'g', (1,), {'k': 2}), ['h', [[]], None]], None)`))
	f.Add([]byte(`{"params":[["f",[1,"a"],{}],["g",[],null]],"kwargs":{},"method":"<batch>","object":"o"}`))
	var b Batch
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, codec := range batchCodecs {
			checkBatch(t, codec, &b, data)
			b.Reset()
		}
	})
}
