package engine

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/internal/argslab"
	"github.com/gyro-rpc/gyro/internal/fifo"
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
//     queue is deep and fewer workers run than there are processors; one
//     that finds the queue empty waits for the next call, and ends once
//     the queue stayed empty for onewayIdle, or the daemon closes: a
//     pipelining client's next burst then finds it ready rather than
//     paying for a new goroutine and its stack's growth;
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
	onewayIdle       = 10 * time.Millisecond
	// onewayPerWorker is the queue depth per running worker beyond which
	// another starts, while workers are fewer than GOMAXPROCS.
	onewayPerWorker = 64
	// The ring starts at onewayRingMin slots, grows as calls wait, and
	// goes back to that size once empty if it grew past onewayRingKeep.
	onewayRingMin  = 64
	onewayRingKeep = 1024
	// onewayArgsBlock is how many argument slots the session allocates
	// at once for the calls it queues.
	onewayArgsBlock = 64
)

// onewayTask is one queued call with its own copies of what the request
// gave it. A task keeps its argument array from call to call, unless a
// variadic method took it (InvokeOwned): then the next call queued on it
// gets an array carved from the queuing session's block of
// onewayArgsBlock slots, so a method that keeps its args keeps the
// arguments of at most that many calls of its connection alive.
type onewayTask struct {
	ctx  context.Context
	call serial.Call
	cc   dispatch.CallContext
	obs  *onewayObs // what interceptors get, when they observe the call (obs.on)
}

// onewayObs is what interceptors get for a queued call: info and stats,
// valid until CallDone returns (as CallInfo says), and the handler that
// runs the call. A task makes it on its first observed call and keeps it
// across reuse, so observing a queued call allocates no more than
// observing one the session runs, and tasks of unobserved calls stay
// small.
type onewayObs struct {
	on    bool // the task's current call is observed
	info  CallInfo
	stats CallStats
	next  CallHandler
}

// observed reports whether interceptors observe t's call.
func (t *onewayTask) observed() bool { return t.obs != nil && t.obs.on }

// onewayQueue is a daemon's queue of threaded oneway calls: a ring of
// tasks taken from a free list, so queuing a call copies it once and
// allocates nothing once warm, or its share of an argument block when
// methods take their arrays.
type onewayQueue struct {
	c *Core

	max     int           // onewayQueueMax; tests lower it
	idleFor time.Duration // onewayIdle; tests change it

	mu      sync.Mutex
	ring    fifo.Queue[*onewayTask]
	free    []*onewayTask
	running int // workers started and not yet ended
	spawn   func(func()) bool
	closed  bool

	// Workers that found the queue empty wait on more (idle of them);
	// the reaper, armed while some wait, asks retire of them to end.
	more            *sync.Cond
	idle, retire    int
	reaping, noIdle bool // the reaper is armed; the daemon is closing
	reaper          *time.Timer

	done, seen uint64 // calls finished; done's value at the last check
	armed      bool   // the watchdog timer is set
	timer      *time.Timer
}

func newOnewayQueue(c *Core) *onewayQueue {
	q := &onewayQueue{c: c, max: onewayQueueMax, idleFor: onewayIdle}
	q.ring.Reset(onewayRingMin)
	q.timer = time.AfterFunc(time.Hour, q.check)
	q.timer.Stop()
	q.more = sync.NewCond(&q.mu)
	q.reaper = time.AfterFunc(time.Hour, q.reap)
	q.reaper.Stop()
	return q
}

// onewayRun is a session's run of threaded oneway calls on their way to
// the queue. The session fills tasks taken from the free list and hands
// them to the workers together (push): at most onewayRunMax at a time,
// and before it does anything else (a call of its own, a yield, the end
// of Process), so that no call waits behind a later one. The session then
// takes the queue's lock once per run of a pipelining client's oneways,
// not once per call. Between Process calls a run holds no tasks.
type onewayRun struct {
	tasks []*onewayTask // filled, in the order the calls came
	spare []*onewayTask // taken from the free list, not filled yet
}

// onewayRunMax is how many calls a run collects before it is pushed.
const onewayRunMax = 16

// add copies a call into a task of r, with ctx and cc, and info when
// interceptors observe it (else nil); blk is the session's argument block.
// It reports whether r is full and must be pushed.
func (q *onewayQueue) add(r *onewayRun, ctx context.Context, call *serial.Call, blk *argslab.Slab, cc *dispatch.CallContext, info *CallInfo) (full bool) {
	var t *onewayTask
	if k := len(r.spare); k > 0 {
		t, r.spare = r.spare[k-1], r.spare[:k-1]
	} else {
		q.mu.Lock()
		q.takeFree(r)
		q.mu.Unlock()
		if k := len(r.spare); k > 0 {
			t, r.spare = r.spare[k-1], r.spare[:k-1]
		} else {
			t = new(onewayTask)
		}
	}
	args := t.call.Args
	if args == nil && len(call.Args) > 0 {
		args = blk.Take(len(call.Args), onewayArgsBlock)
	}
	args = append(args[:0], call.Args...)
	t.ctx, t.call, t.cc = ctx, *call, *cc
	t.call.Args = args
	if info != nil {
		if t.obs == nil {
			t.obs = new(onewayObs)
		}
		t.obs.on, t.obs.info = true, *info
	}
	r.tasks = append(r.tasks, t)
	return len(r.tasks) >= onewayRunMax
}

// takeFree moves free tasks into r's spares, enough for a full run; q.mu
// is held.
func (q *onewayQueue) takeFree(r *onewayRun) {
	k := min(len(q.free), onewayRunMax-len(r.tasks)-len(r.spare))
	if k <= 0 {
		return
	}
	from := len(q.free) - k
	r.spare = append(r.spare, q.free[from:]...)
	clear(q.free[from:])
	q.free = q.free[:from]
}

// push queues r's tasks, waking or starting (with spawn) a worker when one
// is needed, and empties r. With more, r keeps spares for the calls that
// follow; without, they go back to the free list. The tasks that found
// the queue full are returned, in order, for the session to run itself
// (then give them back with release). started is false when no worker
// could start because the daemon is closing: then none was queued, and
// the tasks are dropped.
func (q *onewayQueue) push(r *onewayRun, spawn func(func()) bool, more bool) (full []*onewayTask, started bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if spawn != nil {
		q.spawn = spawn
	}
	if !more {
		for _, t := range r.spare {
			q.recycle(t)
		}
		clear(r.spare)
		r.spare = r.spare[:0]
	}
	tasks := r.tasks
	r.tasks = r.tasks[:0] // its array still holds full's tasks until release
	if len(tasks) == 0 {
		return nil, true
	}
	if q.running == 0 && !q.startWorker() { // nobody would run them
		for _, t := range tasks {
			q.recycle(t)
		}
		clear(tasks)
		return nil, false
	}
	k := min(len(tasks), max(q.max-q.ring.Len(), 0))
	for _, t := range tasks[:k] {
		q.ring.Push(t)
	}
	clear(tasks[:k]) // the ring's now
	if k > 0 {
		for range min(q.idle, k) {
			q.more.Signal()
		}
		for q.ring.Len() > onewayPerWorker*q.running && q.running < runtime.GOMAXPROCS(0) {
			if !q.startWorker() {
				break
			}
		}
		if !q.armed {
			q.armed = true
			q.timer.Reset(onewayStall)
		}
	}
	if more {
		q.takeFree(r)
	}
	return tasks[k:], true
}

// release gives back the tasks a session ran itself, clearing full.
func (q *onewayQueue) release(full []*onewayTask) {
	q.mu.Lock()
	for _, t := range full {
		q.recycle(t)
	}
	q.mu.Unlock()
	clear(full)
}

// startWorker starts a worker; q.mu is held.
func (q *onewayQueue) startWorker() bool {
	if q.closed || q.spawn == nil || !q.spawn(q.work) {
		return false
	}
	q.running++
	return true
}

// work runs queued calls, waiting for more when it finds none, until it
// is retired (see onewayIdle). A task goes back to the free list under the
// lock that takes the next one.
func (q *onewayQueue) work() {
	var last *onewayTask
	q.mu.Lock()
	for {
		if last != nil {
			q.done++
			q.recycle(last)
			last = nil
		}
		t, ok := q.ring.Pop()
		if !ok {
			if q.ring.Cap() > onewayRingKeep {
				// a flood is over: give its memory back
				q.ring.Reset(onewayRingMin)
				q.free = nil
			}
			if q.noIdle || q.closed || q.retire > 0 {
				q.retire = max(q.retire-1, 0)
				break
			}
			q.idle++
			if !q.reaping {
				q.reaping = true
				q.reaper.Reset(q.idleFor)
			}
			q.more.Wait()
			q.idle--
			continue
		}
		q.mu.Unlock()

		q.c.runOneway(t)

		last = t
		q.mu.Lock()
	}
	q.running--
	q.mu.Unlock()
}

// reap ends the workers that wait when the queue is empty; with calls
// waiting, it looks again later.
func (q *onewayQueue) reap() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reaping = false
	if q.idle == 0 {
		return
	}
	if q.ring.Len() > 0 {
		q.reaping = true
		q.reaper.Reset(q.idleFor)
		return
	}
	q.retire = q.idle
	q.more.Broadcast()
}

// quiesce makes the workers end as soon as they find the queue empty, as
// the daemon starts closing: its server type waits for them.
func (q *onewayQueue) quiesce() {
	q.mu.Lock()
	q.noIdle = true
	q.more.Broadcast()
	q.mu.Unlock()
}

// recycle clears a task that ran, keeping its argument array unless the
// method took it, and keeps it for the next call unless enough are kept
// already; q.mu is held.
func (q *onewayQueue) recycle(t *onewayTask) {
	args, obs := t.call.Args, t.obs
	clear(args)
	if t.observed() {
		obs.on, obs.info, obs.stats = false, CallInfo{}, CallStats{}
	}
	*t = onewayTask{}
	if len(q.free) < onewayRingKeep {
		t.call.Args, t.obs = args[:0], obs
		q.free = append(q.free, t)
	}
}

// check is the watchdog: with calls waiting and none finished since the
// last check, every worker is taken by a call that blocks, and one more
// starts.
func (q *onewayQueue) check() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ring.Len() == 0 || q.closed {
		q.armed = false
		return
	}
	if q.done == q.seen && q.running < onewayWorkersMax {
		q.startWorker()
	}
	q.seen = q.done
	q.timer.Reset(onewayStall)
}

// close stops the watchdog and the reaper; workers that run finish the
// queue, then end.
func (q *onewayQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.timer.Stop()
	q.reaper.Stop()
	q.more.Broadcast()
	q.mu.Unlock()
}

// runOneway runs one threaded oneway call on a worker.
func (c *Core) runOneway(t *onewayTask) {
	if t.observed() {
		c.observedOneway(t)
		return
	}
	if _, err := c.reg.InvokeOwned(t.ctx, &t.cc, &t.call); err != nil {
		c.log.Warn("oneway call failed", "object", t.call.Object, "method", t.call.Method, "error", err)
	}
}
