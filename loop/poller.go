//go:build unix

package loop

import (
	"math"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Poller is a level-triggered set of descriptors waited on with poll(2). It
// is the loop's backend where epoll is missing (darwin, the BSDs) and the
// poller of package combine everywhere.
//
// Registrations live in the Poller, not in the kernel, so they are keyed by
// descriptor number alone: a descriptor closed by its owner and reused for
// a new file under the same number stays registered, with the same
// interest, and its readiness is that of the new file. That is what a
// caller needs that learns its descriptors as lists (Sockets and
// WriteSockets) rather than as opens and closes; epoll, which keys its
// registrations by open file, would silently lose the new file. The price
// is a wait that costs O(registered descriptors).
//
// The zero value is an empty set ready to use. A Poller is not safe for
// concurrent use.
type Poller struct {
	pfds []unix.PollFd
	idx  map[int]int // fd -> position in pfds
}

func pollMask(m Interest) int16 {
	var e int16
	if m&Readable != 0 {
		e |= unix.POLLIN
	}
	if m&Writable != 0 {
		e |= unix.POLLOUT
	}
	return e
}

// Add registers fd for interest m (possibly 0: registered, watched for
// nothing but hang-ups). Adding a registered descriptor is an error
// wrapping EEXIST.
func (p *Poller) Add(fd int, m Interest) error {
	if _, ok := p.idx[fd]; ok {
		return os.NewSyscallError("poll add", unix.EEXIST)
	}
	if p.idx == nil {
		p.idx = make(map[int]int)
	}
	p.idx[fd] = len(p.pfds)
	p.pfds = append(p.pfds, unix.PollFd{Fd: int32(fd), Events: pollMask(m)})
	return nil
}

// Modify changes the interest of a registered descriptor; an unregistered
// one is an error wrapping ENOENT.
func (p *Poller) Modify(fd int, m Interest) error {
	i, ok := p.idx[fd]
	if !ok {
		return os.NewSyscallError("poll mod", unix.ENOENT)
	}
	p.pfds[i].Events = pollMask(m)
	return nil
}

// Remove unregisters fd; an unregistered one is an error wrapping ENOENT.
func (p *Poller) Remove(fd int) error {
	i, ok := p.idx[fd]
	if !ok {
		return os.NewSyscallError("poll del", unix.ENOENT)
	}
	last := len(p.pfds) - 1
	p.pfds[i] = p.pfds[last]
	p.idx[int(p.pfds[i].Fd)] = i
	p.pfds = p.pfds[:last]
	delete(p.idx, fd)
	return nil
}

// Len reports the number of registered descriptors.
func (p *Poller) Len() int { return len(p.pfds) }

// Wait blocks until a registered descriptor is ready or timeout passes
// (negative: no limit; rounded up to whole milliseconds) and appends the
// ready descriptors to ready. An interrupted wait (EINTR, which the Go
// runtime's preemption signals cause routinely) returns no descriptors and
// no error; the only errors are the poll(2) failures themselves.
func (p *Poller) Wait(timeout time.Duration, ready []Ready) ([]Ready, error) {
	msec := -1
	if timeout >= 0 {
		msec = int(min((timeout+time.Millisecond-1)/time.Millisecond, math.MaxInt32))
	}
	return p.wait(msec, ready)
}

func (p *Poller) wait(msec int, out []Ready) ([]Ready, error) {
	n, err := unix.Poll(p.pfds, msec)
	if err != nil {
		if err == unix.EINTR {
			return out, nil
		}
		return out, os.NewSyscallError("poll", err)
	}
	if n <= 0 {
		return out, nil
	}
	const (
		rd = unix.POLLIN | unix.POLLHUP | unix.POLLERR | unix.POLLNVAL
		wr = unix.POLLOUT | unix.POLLHUP | unix.POLLERR
	)
	for i := range p.pfds {
		re := p.pfds[i].Revents
		if re == 0 {
			continue
		}
		p.pfds[i].Revents = 0
		out = append(out, Ready{Fd: int(p.pfds[i].Fd), Read: re&rd != 0, Write: re&wr != 0})
	}
	return out, nil
}
