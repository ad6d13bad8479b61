//go:build unix

package loop

import (
	"errors"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func pipe(t *testing.T) (r, w int) {
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

// waitNow polls once without blocking.
func waitNow(t *testing.T, p *Poller) []Ready {
	t.Helper()
	ready, err := p.Wait(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ready
}

func TestPoller(t *testing.T) {
	checkLeaks(t)
	var p Poller // the zero value is usable
	r, w := pipe(t)
	if err := p.Add(r, Readable); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(w, 0); err != nil {
		t.Fatal(err)
	}
	if got := waitNow(t, &p); len(got) != 0 {
		t.Fatalf("empty pipe: ready %v", got)
	}
	unix.Write(w, []byte{1})
	if got := waitNow(t, &p); !slices.Equal(got, []Ready{{Fd: r, Read: true}}) {
		t.Fatalf("after a write: ready %v, want the read end readable", got)
	}
	if err := p.Modify(w, Writable); err != nil {
		t.Fatal(err)
	}
	got := waitNow(t, &p)
	if !slices.Contains(got, Ready{Fd: w, Write: true}) || len(got) != 2 {
		t.Fatalf("watching the write end: ready %v", got)
	}
	if err := p.Remove(r); err != nil {
		t.Fatal(err)
	}
	if got := waitNow(t, &p); !slices.Equal(got, []Ready{{Fd: w, Write: true}}) {
		t.Fatalf("after Remove: ready %v", got)
	}
	if p.Len() != 1 {
		t.Errorf("Len = %d, want 1", p.Len())
	}

	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"add twice", p.Add(w, Readable), unix.EEXIST},
		{"modify unknown", p.Modify(r, Readable), unix.ENOENT},
		{"remove unknown", p.Remove(r), unix.ENOENT},
	} {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

// TestPollerReusedDescriptor: a descriptor closed and reopened under the
// same number stays registered and reports the new file's readiness, the
// property package combine relies on.
func TestPollerReusedDescriptor(t *testing.T) {
	checkLeaks(t)
	var p Poller
	r, w := pipe(t)
	if err := p.Add(r, Readable); err != nil {
		t.Fatal(err)
	}
	// Replace the read end by a new pipe's, under the same number.
	r2, w2 := pipe(t)
	if err := unix.Dup2(r2, r); err != nil {
		t.Fatal(err)
	}
	unix.Write(w, []byte{1}) // the old pipe: no reader is registered any more
	if got := waitNow(t, &p); len(got) != 0 {
		t.Fatalf("old file's input reported: %v", got)
	}
	unix.Write(w2, []byte{1})
	if got := waitNow(t, &p); !slices.Equal(got, []Ready{{Fd: r, Read: true}}) {
		t.Fatalf("new file under the old number: ready %v", got)
	}
}

func TestWaker(t *testing.T) {
	checkLeaks(t)
	wk, err := NewWaker()
	if err != nil {
		t.Fatal(err)
	}
	var p Poller
	if err := p.Add(wk.Fd(), Readable); err != nil {
		t.Fatal(err)
	}
	if got := waitNow(t, &p); len(got) != 0 {
		t.Fatalf("before Wake: ready %v", got)
	}
	woke := make(chan struct{})
	go func() {
		wk.Wake()
		wk.Wake() // coalesces with the first
		close(woke)
	}()
	ready, err := p.Wait(guard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ready, []Ready{{Fd: wk.Fd(), Read: true}}) {
		t.Fatalf("after Wake: ready %v", ready)
	}
	<-woke
	wk.Drain()
	if got := waitNow(t, &p); len(got) != 0 {
		t.Fatalf("after Drain: ready %v", got)
	}
	if err := wk.Close(); err != nil {
		t.Fatal(err)
	}
	wk.Wake() // after Close: a no-op, not a write to a reused descriptor
	wk.Drain()
	if err := wk.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
