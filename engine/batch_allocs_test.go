//go:build !race

package engine

import "testing"

// TestSessionBatchAllocs: a batch in the usual shape is decoded straight
// into calls and answered without a value graph. Where the decoder boxes
// a message's strs in shared blocks and the variadic echo's argument
// copies come from the batch's block, a whole batch allocates a few
// times; marshal may still allocate for each entry's back-referenced
// values, and pickle, whose machine builds the entries' tuples and dicts
// before they become calls, for those too.
func TestSessionBatchAllocs(t *testing.T) {
	for _, tc := range batchCodecs {
		t.Run(tc.name, func(t *testing.T) {
			call := batchSession(t, tc.codec, tc.pyro5)
			call()
			limit := 4
			switch tc.name {
			case "marshal", "marshal5":
				limit = 2*batchEntries + 2
			case "pickle":
				limit = 7*batchEntries + 2
			}
			if n := testing.AllocsPerRun(50, call); n > float64(limit) {
				t.Errorf("%.0f allocations per batch of %d echo calls, want at most %d", n, batchEntries, limit)
			}
		})
	}
}
