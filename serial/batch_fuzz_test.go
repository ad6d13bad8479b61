package serial

import (
	"encoding/hex"
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
	f.Add([]byte(`('o','<batch>',[('f',(),{}),('f',('a',),{}),('f',('a',1),{}),('f',(('b',),),{})],None)`))
	f.Add([]byte(`{"params":[["f",[1,"a"],{}],["g",[],null]],"kwargs":{},"method":"<batch>","object":"o"}`))
	// CPython's pickles, protocols 5 and 2 (TestUnmarshalBatchPickle)
	for _, h := range []string{
		"800595fd00000000000000288c016f948c073c62617463683e945d94288c046563686f948c0568656c6c6f9485947d948794680368057d9487948c016694284b014740040000000000004e8889430178945d94284b018c017994654af9ffffff4a701101008c8cc3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a99474947d948c016b948c017694738794654e74942e",
		"80022858010000006f710058070000003c62617463683e71015d71022858040000006563686f7103580500000068656c6c6f71048571057d7106877107680368057d710858010000006171095d710a4b01617387710b654e74710c2e",
		"8005953300000000000000288c016f948c073c62617463683e945d94288c046563686f945d944b016185947d9487946803680485947d948794654e74942e",
	} {
		data, _ := hex.DecodeString(h)
		f.Add(data)
	}
	var b Batch
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, codec := range batchCodecs {
			checkBatch(t, codec, &b, data)
			b.Reset()
		}
	})
}
