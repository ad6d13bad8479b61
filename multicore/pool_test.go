package multicore

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestPoolStartsWorkerPerWaitingJob: two jobs submitted while one worker is
// idle must both run at once; a job must not wait for another's worker
// while the pool is below its size. The submissions come back to back on
// one P, so the idle worker signaled for the first has not run yet when
// the second arrives.
func TestPoolStartsWorkerPerWaitingJob(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var p workerPool
	p.init(4)
	defer p.stop(context.Background())

	// one worker, idle: it ran a job and waits for the next
	done := make(chan struct{})
	p.submit(func() { close(done) })
	<-done
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() {
		p.mu.Lock()
		idle := p.idle
		p.mu.Unlock()
		if idle == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker never went idle after its job")
		}
	}

	started := make(chan int, 2)
	release := make(chan struct{})
	for i := range 2 {
		p.submit(func() {
			started <- i
			<-release
		})
	}
	defer close(release)
	timeout := time.After(10 * time.Second)
	for range 2 {
		select {
		case <-started:
		case <-timeout:
			p.mu.Lock()
			running, idle, queued := p.running, p.idle, p.jobs.Len()
			p.mu.Unlock()
			t.Fatalf("a job waits behind a blocked one: %d workers of %d, %d idle, %d queued", running, p.size, idle, queued)
		}
	}
}
