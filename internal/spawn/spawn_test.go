package spawn

import (
	"context"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
)

func TestGroup(t *testing.T) {
	defer goleak.VerifyNone(t)
	var g Group
	release := make(chan struct{})
	started := make(chan struct{})
	if !g.Go(func() { close(started); <-release }) {
		t.Fatal("Go refused before Close")
	}
	<-started
	if n := g.Running(); n != 1 {
		t.Fatalf("Running() = %d, want 1", n)
	}

	// an expired context returns at once and leaves no waiter behind
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Wait(ctx); err != context.Canceled {
		t.Fatalf("Wait(expired) = %v, want context.Canceled", err)
	}
	if g.Go(func() {}) {
		t.Fatal("Go accepted after Wait began closing")
	}

	close(release)
	if err := g.Wait(context.Background()); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	if n := g.Running(); n != 0 {
		t.Fatalf("Running() = %d after Wait", n)
	}
}

func TestGroupWaitIdle(t *testing.T) {
	var g Group
	if err := g.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g.Go(func() {}) {
		t.Fatal("Go accepted after Wait")
	}
}

// TestGroupManyRace: goroutines ending while Wait begins are all waited
// for (run with -race).
func TestGroupManyRace(t *testing.T) {
	for range 200 {
		var g Group
		var n atomic.Int32
		for range 8 {
			g.Go(func() { n.Add(1) })
		}
		if err := g.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != 8 {
			t.Fatalf("%d of 8 goroutines had run when Wait returned", got)
		}
	}
}

func BenchmarkGroupGo(b *testing.B) {
	var g Group
	b.ReportAllocs()
	for b.Loop() {
		g.Go(func() {})
	}
	g.Wait(context.Background())
}
