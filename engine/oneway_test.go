package engine

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/spawn"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// onewayLog records the order its oneway calls ran in.
type onewayLog struct {
	mu    sync.Mutex
	ran   []string
	gate  chan struct{}
	noted chan string // each Note's argument, when not full
}

func (o *onewayLog) Note(s string) {
	o.mu.Lock()
	o.ran = append(o.ran, s)
	o.mu.Unlock()
	select {
	case o.noted <- s:
	default:
	}
}

// Await reports whether a Note ran, waiting for one at most ten seconds:
// a call that depends on an earlier oneway.
func (o *onewayLog) Await() bool {
	select {
	case <-o.noted:
		return true
	case <-time.After(10 * time.Second):
		return false
	}
}

// Block waits for Release: a oneway call that blocks on another.
func (o *onewayLog) Block() { <-o.gate }

func (o *onewayLog) Release() { close(o.gate) }

func (o *onewayLog) order() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.ran)
}

// onewayFrames returns the frames of oneway calls to "log", one per
// method and argument list.
func onewayFrames(t *testing.T, calls ...serial.Call) []byte {
	t.Helper()
	var out []byte
	for i, c := range calls {
		c.Object = "log"
		data, err := serial.Serpent.MarshalCall(nil, &c, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, err = wire.Append(out, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagOneway, Seq: uint16(i + 1), SerializerID: serial.IDSerpent, Data: data}, &wire.Options{})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func note(s string) serial.Call { return serial.Call{Method: "note", Args: []any{s}} }

// logSession returns a session of a daemon serving an onewayLog as "log".
func logSession(t *testing.T, spawn func(func()) bool) (*Daemon, *Session, *onewayLog) {
	t.Helper()
	d := benchDaemon(t)
	log := &onewayLog{gate: make(chan struct{}), noted: make(chan string, 1)}
	if _, err := d.Register(log, "log", false); err != nil {
		t.Fatal(err)
	}
	d.core.oneways.quiesce() // workers end with the queue: held's runAll returns
	return d, readySession(t, d, serial.Serpent, spawn), log
}

// held collects the goroutines a session asks for without running them,
// so a test decides when the workers run.
type held struct {
	mu  sync.Mutex
	fns []func()
}

func (h *held) spawn(fn func()) bool {
	h.mu.Lock()
	h.fns = append(h.fns, fn)
	h.mu.Unlock()
	return true
}

func (h *held) runAll() {
	h.mu.Lock()
	fns := h.fns
	h.fns = nil
	h.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

func processAll(t *testing.T, s *Session, in []byte) {
	t.Helper()
	n, out, closeAfter := s.Process(context.Background(), in, nil)
	if n != len(in) || closeAfter || len(out) != 0 {
		t.Fatalf("Process: consumed %d of %d, close %v, replies %q", n, len(in), closeAfter, out)
	}
}

// Threaded oneway calls run off the session, in the order they came
// (Pyro4 promises no order; the queue keeps it for calls one worker runs),
// with their arguments intact after the read buffer is reused, across a
// growth of the queue's ring.
func TestOnewayQueueRunsEveryCall(t *testing.T) {
	var h held
	_, s, log := logSession(t, h.spawn)
	var calls []serial.Call
	var want []string
	for i := range 200 {
		w := "call-" + itoa(i)
		calls = append(calls, note(w))
		want = append(want, w)
	}
	in := onewayFrames(t, calls...)
	processAll(t, s, in)
	clear(in) // the session must not have kept pointers into it
	if got := log.order(); len(got) != 0 {
		t.Fatalf("calls ran on the session: %v", got)
	}
	h.runAll()
	if got := log.order(); !slices.Equal(got, want) {
		t.Fatalf("ran %d calls %v..., want %d", len(got), got[:min(3, len(got))], len(want))
	}
}

// A session hands the threaded oneway calls it read to the workers before
// it runs a later request itself, even when they came in one read with
// it: a call that waits for an earlier oneway's effect does not wait
// forever.
func TestOnewayQueuedBeforeTheNextRequest(t *testing.T) {
	var g spawn.Group
	defer g.Wait(context.Background())
	_, s, _ := logSession(t, g.Go)
	in := onewayFrames(t, note("a"))
	data, err := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "log", Method: "await"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, _ = wire.Append(in, &wire.Message{Type: wire.MsgInvoke, Seq: 9, SerializerID: serial.IDSerpent, Data: data}, &wire.Options{})
	n, out, closeAfter := s.Process(context.Background(), in, nil)
	if n != len(in) || closeAfter {
		t.Fatalf("Process: consumed %d of %d, close %v", n, len(in), closeAfter)
	}
	var m wire.Message
	if _, err := wire.ParseInto(&m, out, &wire.Options{}); err != nil {
		t.Fatal(err)
	}
	if v, err := serial.Serpent.Unmarshal(m.Data); err != nil || v != true {
		t.Fatalf("await returned %v (%v): the oneway before it was not queued when it ran", v, err)
	}
}

// A full queue makes the connection that sends one more call run it
// itself: nothing is lost and the queue stays bounded.
func TestOnewayQueueFullRunsOnTheConnection(t *testing.T) {
	var h held
	d, s, log := logSession(t, h.spawn)
	d.core.oneways.max = 2
	processAll(t, s, onewayFrames(t, note("a"), note("b"), note("c")))
	if got := log.order(); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("before the workers ran: %v, want [c]", got)
	}
	h.runAll()
	if got := log.order(); !slices.Equal(got, []string{"c", "a", "b"}) {
		t.Fatalf("ran %v, want [c a b]", got)
	}
}

// A oneway call that blocks until a later one runs does not hold that one
// up: the watchdog starts another worker, as Pyro4 has a thread per call.
func TestOnewayBlockedCallDoesNotHoldOthers(t *testing.T) {
	var g spawn.Group
	defer g.Wait(context.Background())
	_, s, log := logSession(t, g.Go)
	processAll(t, s, onewayFrames(t, serial.Call{Method: "block"}, serial.Call{Method: "release"}, note("after")))
	select {
	case got := <-log.noted:
		if got != "after" {
			t.Fatalf("ran %q, want after", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the calls behind a blocked one did not run")
	}
}

// A daemon that is closing starts no worker: the call is dropped and the
// connection closed, as before there was a queue.
func TestOnewayDroppedWhenClosing(t *testing.T) {
	_, s, log := logSession(t, func(func()) bool { return false })
	in := onewayFrames(t, note("a"))
	_, _, closeAfter := s.Process(context.Background(), in, nil)
	if !closeAfter {
		t.Fatal("the connection stays open after a dropped oneway call")
	}
	if got := log.order(); len(got) != 0 {
		t.Fatalf("ran %v", got)
	}
}

// keeper's oneway method keeps the slice it gets.
type keeper struct {
	mu   sync.Mutex
	kept [][]any
}

func (k *keeper) Keep(args ...any) {
	k.mu.Lock()
	k.kept = append(k.kept, args)
	k.mu.Unlock()
}

// A queued oneway call's argument array is the method's own: a variadic
// method gets it without a copy and may keep it, and the calls queued
// after it, which share the session's argument blocks, never touch it.
func TestOnewayArgsAreTheMethods(t *testing.T) {
	var h held
	d := benchDaemon(t)
	k := &keeper{}
	if _, err := d.Register(k, "log", false); err != nil {
		t.Fatal(err)
	}
	d.core.oneways.quiesce()
	s := readySession(t, d, serial.Serpent, h.spawn)
	var calls []serial.Call
	for i := range 3 * onewayArgsBlock {
		args := []any{"call-" + itoa(i)}
		if i%3 == 0 {
			args = append(args, int64(i)) // two slots
		}
		calls = append(calls, serial.Call{Method: "keep", Args: args})
	}
	in := onewayFrames(t, calls...)
	for range 2 { // a second read reuses what the first left of its block
		processAll(t, s, in)
		h.runAll()
	}
	if len(k.kept) != 2*len(calls) {
		t.Fatalf("%d calls ran, want %d", len(k.kept), 2*len(calls))
	}
	for j, got := range k.kept {
		want := calls[j%len(calls)].Args
		if !slices.Equal(got, want) || cap(got) != len(got) {
			t.Fatalf("call %d kept %v (cap %d), want %v with no room to append into another call's", j, got, cap(got), want)
		}
	}
}

// A worker that finds the queue empty waits for the next call, so the
// bursts of a pipelining client reuse it rather than start a goroutine
// each; it ends by itself once the queue stayed empty for onewayIdle, and
// at once when the daemon closes.
func TestOnewayWorkerWaitsForMore(t *testing.T) {
	for _, closeIt := range []bool{false, true} {
		var g spawn.Group
		var spawned atomic.Int32
		sp := func(f func()) bool { spawned.Add(1); return g.Go(f) }
		d := benchDaemon(t)
		log := &onewayLog{gate: make(chan struct{}), noted: make(chan string, 1)}
		if _, err := d.Register(log, "log", false); err != nil {
			t.Fatal(err)
		}
		s := readySession(t, d, serial.Serpent, sp)
		q := d.core.oneways
		// idle for longer than the test could take between two bursts,
		// however slow the machine (an emulator, a loaded CI box)
		q.mu.Lock()
		q.idleFor = time.Hour
		q.mu.Unlock()
		for i := range 5 {
			processAll(t, s, onewayFrames(t, note("burst-"+itoa(i))))
			<-log.noted
			waitFor(t, "the worker to wait for more", func() bool {
				q.mu.Lock()
				defer q.mu.Unlock()
				return q.idle == 1
			})
		}
		if n := spawned.Load(); n != 1 {
			t.Errorf("five bursts started %d workers, want 1", n)
		}
		if closeIt {
			d.Close()
		} else {
			// now the idle period runs out at once
			q.mu.Lock()
			q.idleFor = time.Millisecond
			if q.reaping {
				q.reaper.Reset(q.idleFor)
			}
			q.mu.Unlock()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := g.Wait(ctx)
		cancel()
		if err != nil {
			t.Fatalf("close=%v: the waiting worker did not end: %v", closeIt, err)
		}
	}
}

// waitFor polls cond, yielding between looks, until it holds or ten
// seconds passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}
