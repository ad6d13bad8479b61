//go:build unix

package combine

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Member is what a combined loop drives: the descriptors to watch, and a
// step that processes the ready ones without blocking.
type Member interface {
	Sockets() []int
	Events(ready []int) error
}

// Optional interfaces a Member may implement.
type (
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

	wakeR, wakeW int // a pipe that Shutdown writes to
	stopped      atomic.Bool
	closeOnce    sync.Once
}

// Combine returns a loop over master and others. Shutting the master down
// (its Done channel closing) stops the loop; Shutdown on the loop does too.
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
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("combine: %w", err)
	}
	return &Loop{members: members, wakeR: p[0], wakeW: p[1]}, nil
}

// Shutdown stops RequestLoop. It is safe from any goroutine, including
// from inside a remote call served by a member.
func (l *Loop) Shutdown() {
	if l.stopped.CompareAndSwap(false, true) {
		unix.Write(l.wakeW, []byte{1})
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
	for _, m := range l.members {
		if t, ok := m.(timeouter); ok {
			if d := t.Timeout(); d >= 0 && d < wait {
				wait = d
			}
		}
	}
	return wait
}

// poll waits up to timeout and dispatches what is ready. Every member gets
// an Events call per wakeup (with no descriptors if none of its are ready),
// so its timers run.
func (l *Loop) poll(timeout time.Duration) error {
	fds := []unix.PollFd{{Fd: int32(l.wakeR), Events: unix.POLLIN}}
	owner := []int{-1}
	for i, m := range l.members {
		for _, fd := range m.Sockets() {
			fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
			owner = append(owner, i)
		}
	}
	ms := int(timeout / time.Millisecond)
	if timeout > 0 && ms == 0 {
		ms = 1
	}
	if _, err := unix.Poll(fds, ms); err != nil && !errors.Is(err, unix.EINTR) {
		return fmt.Errorf("combine: poll: %w", err)
	}
	ready := make([][]int, len(l.members))
	for i, f := range fds {
		if f.Revents == 0 {
			continue
		}
		if owner[i] < 0 {
			var buf [64]byte
			unix.Read(l.wakeR, buf[:])
			continue
		}
		ready[owner[i]] = append(ready[owner[i]], int(f.Fd))
	}
	var errs []error
	for i, m := range l.members {
		if err := m.Events(ready[i]); err != nil {
			errs = append(errs, fmt.Errorf("combine: member %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// Sockets returns every member's descriptors plus the loop's own wakeup
// descriptor, for driving the combined loop from a foreign loop.
func (l *Loop) Sockets() []int {
	fds := []int{l.wakeR}
	for _, m := range l.members {
		fds = append(fds, m.Sockets()...)
	}
	return fds
}

// Events hands each ready descriptor to its member.
func (l *Loop) Events(ready []int) error {
	set := make(map[int]bool, len(ready))
	for _, fd := range ready {
		set[fd] = true
	}
	var errs []error
	for i, m := range l.members {
		var mine []int
		for _, fd := range m.Sockets() {
			if set[fd] {
				mine = append(mine, fd)
			}
		}
		if err := m.Events(mine); err != nil {
			errs = append(errs, fmt.Errorf("combine: member %d: %w", i, err))
		}
	}
	if set[l.wakeR] {
		var buf [64]byte
		unix.Read(l.wakeR, buf[:])
	}
	return errors.Join(errs...)
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
		unix.Close(l.wakeR)
		unix.Close(l.wakeW)
	})
	return errors.Join(errs...)
}
