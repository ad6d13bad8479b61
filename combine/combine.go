package combine

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/loop"
)

// Member is what a combined loop drives: the descriptors to watch for
// readability, and a step that processes the ready ones without blocking.
// Events must not keep the ready slice after it returns.
type Member interface {
	Sockets() []int
	Events(ready []int) error
}

// Optional interfaces a Member may implement.
type (
	// writeSocketer lists the descriptors with output the kernel has not
	// taken yet; the loop watches them for writability and hands them to
	// Events when writable (engine.Daemon, loop.Loop).
	writeSocketer interface{ WriteSockets() []int }
	// timeouter reports how long the loop may block before the member's
	// timers are due (-1: no timer).
	timeouter interface{ Timeout() time.Duration }
	// combinable refuses to be combined (thread-type daemons).
	combinable interface{ Combinable() error }
	// doner reports that the member was shut down.
	doner interface{ Done() <-chan struct{} }
)

// DefaultPollTimeout bounds each wait, so a loop condition is checked at
// least this often (Pyro4's POLLTIMEOUT).
const DefaultPollTimeout = 2 * time.Second

// Loop is one request loop over several members. Its methods other than
// Shutdown must be called from one goroutine.
type Loop struct {
	members []Member
	// PollTimeout bounds each wait; zero means DefaultPollTimeout.
	PollTimeout time.Duration

	wk        *loop.Waker // Shutdown wakes RequestLoop through it
	stopped   atomic.Bool
	closeOnce sync.Once

	// RequestLoop's registrations, brought up to date with the members'
	// descriptor lists before every wait.
	poller loop.Poller
	regs   []reg // indexed by descriptor
	live   []int // the registered descriptors (and this round's new ones)
	gen    uint64
	ready  []loop.Ready
	batch  [][]int // per member: its ready descriptors
	marks  []uint64
}

// reg is a descriptor's registration: which member owns it, what it wants
// this round (gen) and what the poller has.
type reg struct {
	gen        uint64
	member     int
	want, have loop.Interest
	registered bool
}

// Combine returns a loop over master and others. Shutting the master down
// (its Done channel closing) stops the loop; Shutdown on the loop does too.
// Where package loop has no reactor (Windows) it fails with an error
// wrapping errors.ErrUnsupported.
func Combine(master Member, others ...Member) (*Loop, error) {
	members := append([]Member{master}, others...)
	for i, m := range members {
		if m == nil {
			return nil, fmt.Errorf("combine: member %d is nil", i)
		}
		if c, ok := m.(combinable); ok {
			if err := c.Combinable(); err != nil {
				return nil, fmt.Errorf("combine: member %d: %w", i, err)
			}
		}
	}
	wk, err := loop.NewWaker()
	if err != nil {
		return nil, fmt.Errorf("combine: %w", err)
	}
	l := &Loop{members: members, wk: wk, batch: make([][]int, len(members))}
	if err := l.poller.Add(wk.Fd(), loop.Readable); err != nil {
		wk.Close()
		return nil, fmt.Errorf("combine: %w", err)
	}
	return l, nil
}

// Shutdown stops RequestLoop. It is safe from any goroutine, including
// from inside a remote call served by a member.
func (l *Loop) Shutdown() {
	if l.stopped.CompareAndSwap(false, true) {
		l.wk.Wake()
	}
}

func (l *Loop) masterDone() bool {
	if d, ok := l.members[0].(doner); ok {
		select {
		case <-d.Done():
			return true
		default:
		}
	}
	return false
}

// RequestLoop serves every member until Shutdown, until the master shuts
// down, or until loopCondition (if not nil) returns false; the condition is
// checked after every wakeup and at least every PollTimeout.
func (l *Loop) RequestLoop(loopCondition func() bool) error {
	for !l.stopped.Load() && !l.masterDone() && (loopCondition == nil || loopCondition()) {
		if err := l.poll(l.waitTime()); err != nil {
			return err
		}
	}
	return nil
}

func (l *Loop) waitTime() time.Duration {
	wait := l.PollTimeout
	if wait <= 0 {
		wait = DefaultPollTimeout
	}
	if d := l.Timeout(); d >= 0 && d < wait {
		wait = d
	}
	return wait
}

// poll waits up to timeout and dispatches what is ready. Every member gets
// an Events call per wakeup (with no descriptors if none of its are ready),
// so its timers run.
func (l *Loop) poll(timeout time.Duration) error {
	if err := l.register(); err != nil {
		return err
	}
	var err error
	l.ready, err = l.poller.Wait(timeout, l.ready[:0])
	if err != nil {
		return fmt.Errorf("combine: %w", err)
	}
	for i := range l.batch {
		l.batch[i] = l.batch[i][:0]
	}
	for _, ev := range l.ready {
		if ev.Fd == l.wk.Fd() {
			l.wk.Drain()
			continue
		}
		if r := &l.regs[ev.Fd]; r.registered {
			l.batch[r.member] = append(l.batch[r.member], ev.Fd)
		}
	}
	return l.dispatch()
}

func (l *Loop) dispatch() error {
	var errs []error
	for i, m := range l.members {
		if err := m.Events(l.batch[i]); err != nil {
			errs = append(errs, fmt.Errorf("combine: member %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// register brings the poller up to date with the members' descriptor
// lists: readability for Sockets, writability for WriteSockets. The lists
// are rebuilt by the members after every step, so a round costs O(their
// length) here, but the poller is only touched for what changed.
func (l *Loop) register() error {
	l.gen++
	for i, m := range l.members {
		for _, fd := range m.Sockets() {
			l.want(fd, i, loop.Readable)
		}
		if w, ok := m.(writeSocketer); ok {
			for _, fd := range w.WriteSockets() {
				l.want(fd, i, loop.Writable)
			}
		}
	}
	n := 0
	for _, fd := range l.live {
		r := &l.regs[fd]
		if r.gen != l.gen {
			r.want = 0 // no member lists it any more
		}
		var err error
		switch {
		case r.registered && r.want == r.have:
		case r.want == 0:
			err = l.poller.Remove(fd)
			r.registered, r.have = false, 0
		case !r.registered:
			err = l.poller.Add(fd, r.want)
			r.registered, r.have = err == nil, r.want
		default:
			err = l.poller.Modify(fd, r.want)
			r.have = r.want
		}
		if err != nil {
			return fmt.Errorf("combine: %w", err)
		}
		if r.registered {
			l.live[n] = fd
			n++
		}
	}
	l.live = l.live[:n]
	return nil
}

// want records that member i wants fd watched for in this round.
func (l *Loop) want(fd, i int, in loop.Interest) {
	if fd < 0 || fd == l.wk.Fd() {
		return // a member without a descriptor (a custom listener), or a bogus one
	}
	if fd >= len(l.regs) {
		l.regs = append(l.regs, make([]reg, fd+1-len(l.regs))...)
	}
	r := &l.regs[fd]
	if r.gen != l.gen {
		if !r.registered {
			l.live = append(l.live, fd) // first seen: register it
		}
		r.gen, r.member, r.want = l.gen, i, 0
	}
	r.want |= in
}

// Sockets returns every member's descriptors plus the loop's own wakeup
// descriptor, for driving the combined loop from a foreign loop, which
// watches them for readability.
func (l *Loop) Sockets() []int {
	fds := []int{l.wk.Fd()}
	for _, m := range l.members {
		fds = append(fds, m.Sockets()...)
	}
	return fds
}

// WriteSockets returns the members' descriptors with output pending, which
// a foreign loop watches for writability and passes to Events when
// writable.
func (l *Loop) WriteSockets() []int {
	var fds []int
	for _, m := range l.members {
		if w, ok := m.(writeSocketer); ok {
			fds = append(fds, w.WriteSockets()...)
		}
	}
	return fds
}

// Timeout reports how long a foreign loop may wait before calling Events
// so that the members' timers run on time; -1 means no timer is pending.
func (l *Loop) Timeout() time.Duration {
	wait := time.Duration(-1)
	for _, m := range l.members {
		if t, ok := m.(timeouter); ok {
			if d := t.Timeout(); d >= 0 && (wait < 0 || d < wait) {
				wait = d
			}
		}
	}
	return wait
}

// Events hands each ready descriptor (readable or writable) to its member;
// every member gets an Events call, so its timers run.
func (l *Loop) Events(ready []int) error {
	l.gen++
	for _, fd := range ready {
		if fd == l.wk.Fd() {
			l.wk.Drain()
		} else if fd >= 0 {
			if fd >= len(l.marks) {
				l.marks = append(l.marks, make([]uint64, fd+1-len(l.marks))...)
			}
			l.marks[fd] = l.gen
		}
	}
	pick := func(mine, fds []int) []int {
		for _, fd := range fds {
			if fd >= 0 && fd < len(l.marks) && l.marks[fd] == l.gen {
				l.marks[fd] = 0 // once, even if both readable and writable
				mine = append(mine, fd)
			}
		}
		return mine
	}
	for i, m := range l.members {
		l.batch[i] = pick(l.batch[i][:0], m.Sockets())
		if w, ok := m.(writeSocketer); ok {
			l.batch[i] = pick(l.batch[i], w.WriteSockets())
		}
	}
	return l.dispatch()
}

// Close shuts the loop down and closes every member that is an io.Closer,
// releasing their descriptors, then the loop's own.
func (l *Loop) Close() error {
	l.Shutdown()
	var errs []error
	l.closeOnce.Do(func() {
		for _, m := range l.members {
			if c, ok := m.(io.Closer); ok {
				if err := c.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if err := l.wk.Close(); err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
}
