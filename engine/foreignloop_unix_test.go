//go:build unix

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/testcerts"
	"github.com/gyro-rpc/gyro/proxy"
)

// TestForeignLoop drives a thread-type daemon from a hand-written poll loop
// that also watches a pipe of its own, as the chapter's "integrating Pyro in
// your own event loop" describes.
func TestForeignLoop(t *testing.T) {
	d := newDaemon(t, engine.Options{Host: "127.0.0.1"})
	d.Register(Calculator{}, "calc", false)
	var pipe [2]int
	if err := unix.Pipe(pipe[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])

	result := make(chan any, 1)
	go func() {
		c := dialRaw(t, d)
		c.handshake("calc")
		_, v := c.invoke("calc", "add", int64(20), int64(22))
		unix.Write(pipe[1], []byte{1}) // tell the loop we are done
		result <- v
	}()
	socks := d.Sockets()
	switch d.ServerType() {
	case "thread":
		if len(socks) != 1 {
			t.Fatalf("thread daemon Sockets() = %v, want the listener only", socks)
		}
	case "multiplex":
		if len(socks) != 2 {
			t.Fatalf("idle multiplex daemon Sockets() = %v, want the listener and the wakeup descriptor", socks)
		}
	}
	maxSockets := 0
	for done := false; !done; {
		fds := []unix.PollFd{{Fd: int32(pipe[0]), Events: unix.POLLIN}}
		socks := d.Sockets()
		maxSockets = max(maxSockets, len(socks))
		for _, s := range socks {
			fds = append(fds, unix.PollFd{Fd: int32(s), Events: unix.POLLIN})
		}
		if _, err := unix.Poll(fds, 10000); err != nil && !errors.Is(err, unix.EINTR) {
			t.Fatal(err)
		}
		var ready []int
		for _, f := range fds[1:] {
			if f.Revents&unix.POLLIN != 0 {
				ready = append(ready, int(f.Fd))
			}
		}
		if err := d.Events(append(ready, pipe[0])); err != nil { // a foreign fd is ignored
			t.Fatal(err)
		}
		done = fds[0].Revents&unix.POLLIN != 0
	}
	if v := <-result; v != int64(42) {
		t.Fatalf("add via foreign loop = %v", v)
	}
	if d.ServerType() == "multiplex" && maxSockets < 3 {
		t.Errorf("Sockets() never included the client connection (max %d descriptors)", maxSockets)
	}
}

// TestTLSForeignLoop: a daemon with SSL on driven by a hand-written poll
// loop through Sockets/Events serves TLS clients; on the multiplex type
// the handshake goroutine wakes that loop through the wakeup descriptor.
func TestTLSForeignLoop(t *testing.T) {
	f := testcerts.New(t)
	cfg := testConfig()
	cfg.SSL, cfg.SSLServerCert, cfg.SSLServerKey = true, f.ServerCert, f.ServerKey
	d := newDaemon(t, engine.Options{Host: "127.0.0.1", Config: &cfg})
	u, err := d.Register(PeerInfo{}, "peerinfo", false)
	if err != nil {
		t.Fatal(err)
	}
	var pipe [2]int
	if err := unix.Pipe(pipe[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])
	result := make(chan error, 1)
	go func() {
		defer unix.Write(pipe[1], []byte{1}) // tell the loop we are done
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for i := range 3 { // one connection each: three handshakes
			p, err := proxy.New(u.String(), proxy.Options{Config: tlsClientConfig(f.CACert, "", "")})
			if err != nil {
				result <- err
				return
			}
			v, err := p.Call(ctx, "serial")
			p.Close()
			if err != nil || v != "none" {
				result <- fmt.Errorf("call %d: serial() = %v, %v", i, v, err)
				return
			}
		}
		result <- nil
	}()
	deadline := time.Now().Add(30 * time.Second)
	for done := false; !done; {
		if time.Now().After(deadline) {
			t.Fatal("the client did not finish")
		}
		fds := []unix.PollFd{{Fd: int32(pipe[0]), Events: unix.POLLIN}}
		for _, s := range d.Sockets() {
			fds = append(fds, unix.PollFd{Fd: int32(s), Events: unix.POLLIN})
		}
		for _, s := range d.WriteSockets() {
			fds = append(fds, unix.PollFd{Fd: int32(s), Events: unix.POLLOUT})
		}
		if _, err := unix.Poll(fds, 1000); err != nil && !errors.Is(err, unix.EINTR) {
			t.Fatal(err)
		}
		var ready []int
		for _, f := range fds[1:] {
			if f.Revents != 0 {
				ready = append(ready, int(f.Fd))
			}
		}
		if err := d.Events(ready); err != nil {
			t.Fatal(err)
		}
		done = fds[0].Revents&unix.POLLIN != 0
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}
