//go:build !race

package engine

import "testing"

// TestSessionBatchAllocs: a batch in the usual shape is decoded straight
// into calls and answered without a value graph: at most the arguments'
// and the results' own allocations per entry (a str argument, a boxed
// result), and for pickle, whose machine builds the entries' tuples and
// dicts before they become calls, those too.
func TestSessionBatchAllocs(t *testing.T) {
	for _, tc := range batchCodecs {
		t.Run(tc.name, func(t *testing.T) {
			call := batchSession(t, tc.codec, tc.pyro5)
			call()
			perEntry := 2
			if tc.name == "pickle" {
				perEntry = 7
			}
			if n := testing.AllocsPerRun(50, call); n > float64(perEntry*batchEntries+2) {
				t.Errorf("%.0f allocations per batch of %d echo calls, want at most %d", n, batchEntries, perEntry*batchEntries+2)
			}
		})
	}
}
