package argslab

import "testing"

func TestTake(t *testing.T) {
	tests := []struct {
		name       string
		ns         []int
		size       int
		wantAllocs float64
	}{
		{"arrays share one block", []int{1, 2, 1, 4}, 64, 1},
		{"a new block when the last runs out", []int{3, 3, 3}, 8, 3}, // 3 > 8/4: each on its own
		{"small arrays across blocks", []int{2, 2, 2, 2, 2}, 8, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arrays := make([][]any, 0, len(tc.ns))
			allocs := testing.AllocsPerRun(1, func() {
				var s Slab
				arrays = arrays[:0]
				for _, n := range tc.ns {
					arrays = append(arrays, s.Take(n, tc.size))
				}
			})
			if allocs != tc.wantAllocs {
				t.Errorf("%v allocations, want %v", allocs, tc.wantAllocs)
			}
			for i, a := range arrays {
				if len(a) != 0 || cap(a) != tc.ns[i] {
					t.Fatalf("array %d: len %d cap %d, want 0 and %d", i, len(a), cap(a), tc.ns[i])
				}
				a = a[:cap(a)]
				for j := range a {
					a[j] = i
				}
			}
			for i, a := range arrays {
				for _, v := range a[:cap(a)] {
					if v != i {
						t.Fatalf("array %d was overwritten by another: %v", i, a[:cap(a)])
					}
				}
			}
		})
	}
}
