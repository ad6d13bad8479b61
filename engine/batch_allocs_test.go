//go:build !race

package engine

import "testing"

// TestSessionBatchAllocs: a batch in the usual shape is decoded straight
// into calls and answered without a value graph: at most the arguments'
// and the results' own allocations per entry (a str argument, a boxed
// result), in every serializer but pickle, whose unpickler has no call
// path.
func TestSessionBatchAllocs(t *testing.T) {
	for _, tc := range batchCodecs {
		if tc.name == "pickle" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			call := batchSession(t, tc.codec, tc.pyro5)
			call()
			if n := testing.AllocsPerRun(50, call); n > 2*batchEntries+2 {
				t.Errorf("%.0f allocations per batch of %d echo calls, want at most %d", n, batchEntries, 2*batchEntries+2)
			}
		})
	}
}
