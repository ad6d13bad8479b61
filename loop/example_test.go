//go:build unix

package loop_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gyro-rpc/gyro/loop"
	"golang.org/x/sys/unix"
)

// lines answers every complete line with its upper-case form; a partial
// line stays buffered in the loop until the rest arrives.
type lines struct{}

func (lines) OnOpen(c *loop.Conn) {}

func (lines) OnData(c *loop.Conn, in []byte) int {
	i := bytes.IndexByte(in, '\n')
	if i < 0 {
		return 0 // need more bytes
	}
	c.Write(bytes.ToUpper(in[:i+1]))
	return i + 1 // one line per call; the loop calls again for the next
}

func (lines) OnClose(c *loop.Conn, err error) {}

func Example() {
	l, err := loop.New(lines{}, loop.Options{ReadTimeout: time.Minute})
	if err != nil {
		panic(err)
	}
	addr, err := l.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go l.Run(context.Background())
	defer l.Close() // stops Run, closes every descriptor

	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Write([]byte("hel"))
	c.Write([]byte("lo\nworld\n"))
	buf := make([]byte, 12)
	io.ReadFull(c, buf)
	fmt.Printf("%q\n", buf)
	// Output: "HELLO\nWORLD\n"
}

// A foreign event loop watches Sockets (and WriteSockets) next to its own
// descriptors and hands the ready ones to Events. Sockets includes the
// loop's wakeup descriptor, so Trigger wakes the foreign loop too.
func ExampleLoop_Events() {
	l, err := loop.New(lines{}, loop.Options{})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	addr, err := l.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var reply string // owned by the goroutine driving the loop
	go func() {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			panic(err)
		}
		defer c.Close()
		c.Write([]byte("ping\n"))
		buf := make([]byte, 5)
		io.ReadFull(c, buf)
		l.Trigger(func() { reply = string(buf) }) // runs inside Events
	}()

	for reply == "" {
		var pfds []unix.PollFd
		for _, fd := range l.Sockets() {
			pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		}
		for _, fd := range l.WriteSockets() {
			pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLOUT})
		}
		// ... plus the foreign loop's own descriptors.
		ms := -1
		if d := l.Timeout(); d >= 0 {
			ms = int((d + time.Millisecond - 1) / time.Millisecond)
		}
		if _, err := unix.Poll(pfds, ms); err != nil && err != unix.EINTR {
			panic(err)
		}
		var ready []int
		for _, p := range pfds {
			if p.Revents != 0 {
				ready = append(ready, int(p.Fd))
			}
		}
		if err := l.Events(ready); err != nil {
			panic(err)
		}
	}
	fmt.Printf("%q\n", reply)
	// Output: "PING\n"
}
