package fdcount

import (
	"net"
	"os"
	"sync"
	"testing"
)

var pollerOnce sync.Once

// Open returns how many descriptors the process has open, and false where
// there is no /proc/self/fd to count them in. The runtime's network poller
// opens descriptors of its own on first use (an epoll and an eventfd on
// Linux) and keeps them for the life of the process: Open makes it exist
// first, so a count taken before a test's first connection is comparable
// with one taken after.
func Open() (int, bool) {
	pollerOnce.Do(func() {
		if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			ln.Close()
		}
	})
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	return len(ents), true
}

// Count is Open for a test that compares counts: it skips the test where
// there is nothing to count.
func Count(t testing.TB) int {
	t.Helper()
	n, ok := Open()
	if !ok {
		t.Skip("no /proc/self/fd to count descriptors in")
	}
	return n
}

// Targets lists what the open descriptors point at, as "fd->target", for a
// failure message.
func Targets() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		out = append(out, e.Name()+"->"+target)
	}
	return out
}
