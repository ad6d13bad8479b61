//go:build linux && !loop_poll

package loop

import (
	"os"

	"golang.org/x/sys/unix"
)

// poller is the epoll(7) backend. It is level-triggered: a connection that
// still has unread input (one read per step keeps the loop fair) or unsent
// output is simply reported again on the next wait, so no readiness is ever
// lost, and back-pressure is applied by dropping EPOLLIN from the Interest set.
type poller struct {
	epfd   int
	events []unix.EpollEvent
}

func openPoller() (*poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	return &poller{epfd: fd, events: make([]unix.EpollEvent, 256)}, nil
}

func epollMask(m Interest) uint32 {
	var e uint32
	if m&Readable != 0 {
		e |= unix.EPOLLIN
	}
	if m&Writable != 0 {
		e |= unix.EPOLLOUT
	}
	return e
}

func (p *poller) ctl(op, fd int, m Interest) error {
	ev := unix.EpollEvent{Events: epollMask(m), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, op, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (p *poller) add(fd int, m Interest) error { return p.ctl(unix.EPOLL_CTL_ADD, fd, m) }
func (p *poller) mod(fd int, m Interest) error { return p.ctl(unix.EPOLL_CTL_MOD, fd, m) }

func (p *poller) del(fd int) error {
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// wait blocks for at most msec milliseconds (-1: no limit) and appends the
// ready descriptors to out. An interrupted wait is an empty batch, not an
// error: the Go runtime's preemption signals interrupt it routinely.
func (p *poller) wait(msec int, out []Ready) ([]Ready, error) {
	n, err := unix.EpollWait(p.epfd, p.events, msec)
	if err != nil {
		if err == unix.EINTR {
			return out, nil
		}
		return out, os.NewSyscallError("epoll_wait", err)
	}
	const (
		rd = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR
		wr = unix.EPOLLOUT | unix.EPOLLHUP | unix.EPOLLERR
	)
	for _, e := range p.events[:n] {
		out = append(out, Ready{Fd: int(e.Fd), Read: e.Events&rd != 0, Write: e.Events&wr != 0})
	}
	return out, nil
}

func (p *poller) close() error {
	if err := unix.Close(p.epfd); err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
