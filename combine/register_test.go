//go:build unix

package combine

import (
	"fmt"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// member is a fake Member with fixed descriptor lists that records what
// each Events call got.
type member struct {
	read, write []int
	got         [][]int
	quiet       bool // record nothing (benchmarks)
}

func (m *member) Sockets() []int      { return m.read }
func (m *member) WriteSockets() []int { return m.write }
func (m *member) Events(ready []int) error {
	if !m.quiet {
		m.got = append(m.got, slices.Clone(ready))
	}
	return nil
}

func (m *member) last() []int { return m.got[len(m.got)-1] }

func pipe(t testing.TB) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(p[0])
		unix.Close(p[1])
	})
	return p[0], p[1]
}

// TestRegistrations: the poller follows the members' lists, readability
// for Sockets and writability for WriteSockets, and each ready descriptor
// goes to its owner once.
func TestRegistrations(t *testing.T) {
	r1, w1 := pipe(t)
	r2, w2 := pipe(t)
	a := &member{read: []int{r1}}
	b := &member{read: []int{r2}, write: []int{w2}}
	l, err := Combine(a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	steps := []struct {
		name   string
		before func()
		wantA  []int
		wantB  []int
		polled int // registered descriptors, the waker included
	}{
		{"nothing readable", nil, nil, []int{w2}, 4},
		{"a readable", func() { unix.Write(w1, []byte{1}) }, []int{r1}, []int{w2}, 4},
		{"b's output drained", func() { b.write = nil }, []int{r1}, nil, 3},
		{"a's list empty", func() { a.read = nil }, nil, nil, 2},
		{"r1, still readable, moves to b", func() { b.read = []int{r2, r1} }, nil, []int{r1}, 3},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		if err := l.poll(0); err != nil {
			t.Fatal(err)
		}
		if got := a.last(); !slices.Equal(got, s.wantA) {
			t.Errorf("%s: a got %v, want %v", s.name, got, s.wantA)
		}
		if got := b.last(); !slices.Equal(got, s.wantB) {
			t.Errorf("%s: b got %v, want %v", s.name, got, s.wantB)
		}
		if n := l.poller.Len(); n != s.polled {
			t.Errorf("%s: %d descriptors polled, want %d", s.name, n, s.polled)
		}
	}
}

// TestForeignEvents: a foreign loop's ready list is split among the
// members, a descriptor in both of a member's lists once, and unknown
// descriptors are dropped.
func TestForeignEvents(t *testing.T) {
	r1, _ := pipe(t)
	r2, w2 := pipe(t)
	a := &member{read: []int{r1}}
	b := &member{read: []int{r2}, write: []int{r2, w2}}
	l, err := Combine(a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got, want := l.WriteSockets(), []int{r2, w2}; !slices.Equal(got, want) {
		t.Errorf("WriteSockets = %v, want %v", got, want)
	}
	if err := l.Events([]int{r2, 1 << 20, r1, w2}); err != nil {
		t.Fatal(err)
	}
	if got := a.last(); !slices.Equal(got, []int{r1}) {
		t.Errorf("a got %v", got)
	}
	if got := b.last(); !slices.Equal(got, []int{r2, w2}) {
		t.Errorf("b got %v", got)
	}
	if err := l.Events(nil); err != nil {
		t.Fatal(err)
	}
	if len(a.last()) != 0 || len(b.last()) != 0 {
		t.Errorf("no descriptor ready, but a got %v, b got %v", a.last(), b.last())
	}
}

// BenchmarkPoll: one wakeup of a combined loop over members with many idle
// connections (nothing ready), the cost every wakeup pays.
func BenchmarkPoll(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var ms []Member
			for range 2 {
				m := &member{quiet: true}
				for range n / 2 {
					r, _ := pipe(b)
					m.read = append(m.read, r)
				}
				ms = append(ms, m)
			}
			l, err := Combine(ms[0], ms[1:]...)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			b.ReportAllocs()
			for b.Loop() {
				if err := l.poll(0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
