package engine

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/serial"
)

// Threaded oneway calls (ONEWAY_THREADED, the default) run off the
// connection that sent them, so that they never delay its next request,
// as Pyro4 runs each on a thread of its own. Pyro4 promises nothing about
// their order, and neither does gyro. A goroutine per call costs more than
// a small call itself, so a daemon queues them instead and runs them on a
// few workers:
//
//   - a worker starts when calls wait and no worker runs, or when the
//     queue is deep and fewer workers run than there are processors; it
//     ends when it finds the queue empty;
//   - a call that blocks does not hold up the rest: while calls wait, a
//     watchdog checks every onewayStall that some call finished since it
//     last looked, and starts one more worker when none did (up to
//     onewayWorkersMax), as Pyro4 would have a thread free for the next;
//   - the queue is bounded: when onewayQueueMax calls wait, the connection
//     that sends one more runs it itself before reading on, so a client
//     that sends oneway calls faster than they run slows itself down
//     rather than the daemon's memory growing.
const (
	onewayQueueMax   = 1 << 16
	onewayWorkersMax = 1024
	onewayStall      = 2 * time.Millisecond
	// onewayPerWorker is the queue depth per running worker beyond which
	// another starts, while workers are fewer than GOMAXPROCS.
	onewayPerWorker = 64
	// The ring starts at onewayRingMin slots, grows as calls wait, and
	// goes back to that size once empty if it grew past onewayRingKeep.
	onewayRingMin  = 64
	onewayRingKeep = 1024
)

// onewayTask is one queued call with its own copies of what the request
// gave it.
type onewayTask struct {
	ctx  context.Context
	call serial.Call
	cc   dispatch.CallContext
	info *CallInfo // non-nil when an interceptor observes the call
}

// onewayQueue is a daemon's queue of threaded oneway calls: a ring of
// tasks taken from a free list, which keeps each task's argument array,
// so queuing a call copies it once and allocates nothing once warm.
type onewayQueue struct {
	c *Core

	max int // onewayQueueMax; tests lower it

	mu      sync.Mutex
	ring    []*onewayTask
	head, n int
	free    []*onewayTask
	running int // workers started and not yet ended
	spawn   func(func()) bool
	closed  bool

	// pending mirrors n for readers that take no lock (the multiplex
	// loop's decision to yield).
	pending atomic.Int32

	done, seen uint64 // calls finished; done's value at the last check
	armed      bool   // the watchdog timer is set
	timer      *time.Timer
}

func newOnewayQueue(c *Core) *onewayQueue {
	q := &onewayQueue{c: c, max: onewayQueueMax, ring: make([]*onewayTask, onewayRingMin)}
	q.timer = time.AfterFunc(time.Hour, q.check)
	q.timer.Stop()
	return q
}

// enqueue queues a call, copying call and cc, and starts a worker with
// spawn when one is needed. It reports false when the call was not
// queued: the queue is full (run it on the caller), or, with started
// false, no worker could start because the daemon is closing.
func (q *onewayQueue) enqueue(ctx context.Context, call *serial.Call, cc *dispatch.CallContext, info *CallInfo, spawn func(func()) bool) (queued, started bool) {
	q.mu.Lock()
	if q.n >= q.max {
		q.mu.Unlock()
		return false, true
	}
	if spawn != nil {
		q.spawn = spawn
	}
	if q.running == 0 && !q.startWorker() {
		q.mu.Unlock() // nobody would run it
		return false, false
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	var t *onewayTask
	if k := len(q.free); k > 0 {
		t, q.free = q.free[k-1], q.free[:k-1]
	} else {
		t = new(onewayTask)
	}
	args := append(t.call.Args[:0], call.Args...)
	t.ctx, t.call, t.cc, t.info = ctx, *call, *cc, info
	t.call.Args = args
	q.ring[(q.head+q.n)%len(q.ring)] = t
	q.n++
	q.pending.Store(int32(q.n))
	if q.n > onewayPerWorker*q.running && q.running < runtime.GOMAXPROCS(0) {
		q.startWorker()
	}
	if !q.armed {
		q.armed = true
		q.timer.Reset(onewayStall)
	}
	q.mu.Unlock()
	return true, true
}

// grow doubles the ring, keeping the waiting tasks in order.
func (q *onewayQueue) grow() {
	ring := make([]*onewayTask, 2*len(q.ring))
	for i := range q.n {
		ring[i] = q.ring[(q.head+i)%len(q.ring)]
	}
	q.ring, q.head = ring, 0
}

// startWorker starts a worker; q.mu is held.
func (q *onewayQueue) startWorker() bool {
	if q.closed || q.spawn == nil || !q.spawn(q.work) {
		return false
	}
	q.running++
	return true
}

// work runs queued calls until it finds none. A task goes back to the
// free list under the lock that takes the next one.
func (q *onewayQueue) work() {
	var last *onewayTask
	q.mu.Lock()
	for {
		if last != nil {
			q.done++
			q.recycle(last)
			last = nil
		}
		if q.n == 0 {
			break
		}
		t := q.ring[q.head]
		q.ring[q.head] = nil
		q.head = (q.head + 1) % len(q.ring)
		q.n--
		q.pending.Store(int32(q.n))
		q.mu.Unlock()

		q.c.runOneway(t)

		last = t
		q.mu.Lock()
	}
	if len(q.ring) > onewayRingKeep {
		// a flood is over: give its memory back
		q.ring, q.head, q.free = make([]*onewayTask, onewayRingMin), 0, nil
	}
	q.running--
	q.mu.Unlock()
}

// recycle clears a task that ran, keeping its argument array, and keeps it
// for the next call unless enough are kept already; q.mu is held.
func (q *onewayQueue) recycle(t *onewayTask) {
	args := t.call.Args
	clear(args)
	*t = onewayTask{}
	if len(q.free) < onewayRingKeep {
		t.call.Args = args[:0]
		q.free = append(q.free, t)
	}
}

// check is the watchdog: with calls waiting and none finished since the
// last check, every worker is taken by a call that blocks, and one more
// starts.
func (q *onewayQueue) check() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 || q.closed {
		q.armed = false
		return
	}
	if q.done == q.seen && q.running < onewayWorkersMax {
		q.startWorker()
	}
	q.seen = q.done
	q.timer.Reset(onewayStall)
}

// close stops the watchdog; workers that run finish the queue.
func (q *onewayQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.timer.Stop()
	q.mu.Unlock()
}

// runOneway runs one threaded oneway call on a worker.
func (c *Core) runOneway(t *onewayTask) {
	if t.info != nil {
		c.observedOneway(t.ctx, t.info, &t.cc, &t.call)
		return
	}
	if _, err := c.reg.Invoke(t.ctx, &t.cc, &t.call); err != nil {
		c.log.Warn("oneway call failed", "object", t.call.Object, "method", t.call.Method, "error", err)
	}
}
