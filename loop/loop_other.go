//go:build unix && (!linux || loop_poll)

package loop

import (
	"os"

	"golang.org/x/sys/unix"
)

// poller is the portable poll(2) backend used where epoll is unavailable
// (darwin, the BSDs, ...); build with -tags loop_poll to use it on Linux too.
// Each wait is O(number of descriptors), which is fine for the modest
// connection counts a fallback has to serve.
type poller struct {
	pfds []unix.PollFd
	idx  map[int]int // fd -> position in pfds
}

func openPoller() (*poller, error) {
	return &poller{idx: make(map[int]int)}, nil
}

func pollMask(m interest) int16 {
	var e int16
	if m&wantRead != 0 {
		e |= unix.POLLIN
	}
	if m&wantWrite != 0 {
		e |= unix.POLLOUT
	}
	return e
}

func (p *poller) add(fd int, m interest) error {
	if _, ok := p.idx[fd]; ok {
		return os.NewSyscallError("poll add", unix.EEXIST)
	}
	p.idx[fd] = len(p.pfds)
	p.pfds = append(p.pfds, unix.PollFd{Fd: int32(fd), Events: pollMask(m)})
	return nil
}

func (p *poller) mod(fd int, m interest) error {
	i, ok := p.idx[fd]
	if !ok {
		return os.NewSyscallError("poll mod", unix.ENOENT)
	}
	p.pfds[i].Events = pollMask(m)
	return nil
}

func (p *poller) del(fd int) error {
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

func (p *poller) wait(msec int, out []readyFD) ([]readyFD, error) {
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
		out = append(out, readyFD{fd: int(p.pfds[i].Fd), r: re&rd != 0, w: re&wr != 0})
	}
	return out, nil
}

func (p *poller) close() error { return nil }
