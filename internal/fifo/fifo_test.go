package fifo

import (
	"slices"
	"testing"
)

// TestQueueOrder pushes and pops in patterns that wrap the ring and grow it
// while it wraps, and checks that values come out in the order they went
// in, that popped slots are cleared and that steady use does not grow it.
func TestQueueOrder(t *testing.T) {
	tests := []struct {
		name string
		ops  []int // >0 pushes that many, <0 pops that many
		cap  int   // the ring's size at the end
	}{
		{"empty", nil, 0},
		{"fill and drain", []int{10, -10}, minRing},
		{"grows from empty", []int{minRing + 1, -(minRing + 1)}, 2 * minRing},
		{"wraps without growing", []int{12, -10, 12, -14, 12, -12}, minRing},
		{"grows while wrapped", []int{12, -10, 30, -5, 40, -67}, 8 * minRing},
		{"steady one in one out", slices.Repeat([]int{1, -1}, 1000), minRing},
		{"steady with a backlog", append([]int{minRing - 1}, slices.Repeat([]int{1, -1}, 1000)...), minRing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q Queue[*int]
			var in, out []int
			next := 0
			for _, op := range tt.ops {
				for ; op > 0; op-- {
					v := next
					next++
					q.Push(&v)
					in = append(in, v)
				}
				for ; op < 0; op++ {
					head := q.head
					p, ok := q.Pop()
					if !ok {
						t.Fatalf("Pop on a queue holding %d values: empty", q.Len())
					}
					if q.ring[head] != nil {
						t.Fatalf("Pop left its value in the ring")
					}
					out = append(out, *p)
				}
			}
			if q.Len() != len(in)-len(out) {
				t.Errorf("Len = %d, want %d", q.Len(), len(in)-len(out))
			}
			for q.Len() > 0 {
				p, _ := q.Pop()
				out = append(out, *p)
			}
			if !slices.Equal(in, out) {
				t.Errorf("values came out as %v, went in as %v", out, in)
			}
			if q.Cap() != tt.cap {
				t.Errorf("Cap = %d, want %d", q.Cap(), tt.cap)
			}
			if _, ok := q.Pop(); ok {
				t.Errorf("Pop on an empty queue returned a value")
			}
		})
	}
}

func TestQueueReset(t *testing.T) {
	var q Queue[int]
	for i := range 100 {
		q.Push(i)
	}
	q.Reset(8)
	if q.Len() != 0 || q.Cap() != 8 {
		t.Fatalf("after Reset(8): Len %d, Cap %d; want 0, 8", q.Len(), q.Cap())
	}
	q.Reset(5) // rounded up to a power of two: wrapping is a mask
	if q.Cap() != 8 {
		t.Fatalf("after Reset(5): Cap %d, want 8", q.Cap())
	}
	// wrap the rounded ring, then grow it, and get everything back in order
	var out []int
	for i := range 20 {
		q.Push(i)
		if i%3 == 0 {
			v, _ := q.Pop()
			out = append(out, v)
		}
	}
	for q.Len() > 0 {
		v, _ := q.Pop()
		out = append(out, v)
	}
	for i, v := range out {
		if v != i {
			t.Fatalf("after Reset(5), values came out as %v", out)
		}
	}
	if len(out) != 20 || q.Cap() != 16 {
		t.Fatalf("got %d values back and Cap %d; want 20 and 16", len(out), q.Cap())
	}
}

// BenchmarkQueueSteady is a pool's queue that keeps up: one job in, one out.
func BenchmarkQueueSteady(b *testing.B) {
	var q Queue[func()]
	f := func() {}
	b.ReportAllocs()
	for b.Loop() {
		q.Push(f)
		q.Pop()
	}
}
