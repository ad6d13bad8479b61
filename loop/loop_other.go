//go:build unix && (!linux || loop_poll)

package loop

// poller is the portable poll(2) backend used where epoll is unavailable
// (darwin, the BSDs, ...); build with -tags loop_poll to use it on Linux too.
// Each wait is O(number of descriptors), which is fine for the modest
// connection counts a fallback has to serve.
type poller struct{ Poller }

func openPoller() (*poller, error) { return &poller{}, nil }

func (p *poller) add(fd int, m Interest) error                { return p.Add(fd, m) }
func (p *poller) mod(fd int, m Interest) error                { return p.Modify(fd, m) }
func (p *poller) del(fd int) error                            { return p.Remove(fd) }
func (p *poller) wait(msec int, out []Ready) ([]Ready, error) { return p.Poller.wait(msec, out) }
func (p *poller) close() error                                { return nil }
