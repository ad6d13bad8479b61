//go:build unix

package combine_test

import (
	"context"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/combine"
	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
)

// guard bounds every wait in these tests: a safety net against hangs,
// never a synchronisation device.
const guard = 30 * time.Second

// Blobs hands out large replies.
type Blobs struct{}

func (Blobs) Blob(n int) string { return strings.Repeat("x", n) }

// replySize returns a reply size the kernel cannot take in one write: 8 MiB,
// or twice the largest TCP send buffer where that is larger (tcp_wmem).
func replySize() int {
	size := 8 << 20
	if b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 3 {
			if n, err := strconv.Atoi(f[2]); err == nil && 2*n > size {
				size = 2 * n
			}
		}
	}
	return size
}

// smallWindow dials with a small receive buffer, set before connecting so
// that the window TCP advertises is small from the start (shrinking it on
// an established connection makes Linux drop segments and back off).
var smallWindow = net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
	})
	if err != nil {
		return err
	}
	return serr
}}

// slowRelay forwards TCP connections to target and reads the target's side
// through a small receive window in small pieces, so a daemon writing to it
// sees a slow reader whose socket stays full: its replies only progress
// when it is told that the socket is writable again.
func slowRelay(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := smallWindow.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			track(client)
			track(server)
			wg.Add(2)
			go func() {
				defer wg.Done()
				io.Copy(server, client)
				server.(*net.TCPConn).CloseWrite()
			}()
			go func() {
				defer wg.Done()
				buf := make([]byte, 4<<10)
				for {
					n, err := server.Read(buf)
					if n > 0 {
						if _, werr := client.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						client.(*net.TCPConn).CloseWrite()
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestSlowReaderLargeReplies: a combined daemon whose replies back up must
// send the rest as soon as the socket is writable, not when some other
// event or a poll timeout wakes the loop. Timers of the loop and of the
// daemon are set to an hour, so the replies complete only if the combined
// loop watches for writability; a hang is caught by the guard.
func TestSlowReaderLargeReplies(t *testing.T) {
	const replies = 3
	size := replySize()
	cfg := config.Default()
	cfg.ServerType = "multiplex"
	cfg.PollTimeout = time.Hour
	cfg.CommTimeout = time.Hour // the daemon's housekeeping tick follows both
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(Blobs{}, "blobs", false); err != nil {
		t.Fatal(err)
	}
	l, err := combine.Combine(d)
	if err != nil {
		t.Fatal(err)
	}
	l.PollTimeout = time.Hour
	done := make(chan error, 1)
	go func() { done <- l.RequestLoop(nil) }()
	defer func() {
		l.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("RequestLoop: %v", err)
		}
		l.Close()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	relay := slowRelay(t, d.LocationStr())
	p, err := proxy.New("PYRO:blobs@"+relay, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range replies {
		v, err := p.Call(ctx, "blob", size)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if s, _ := v.(string); len(s) != size {
			t.Fatalf("reply %d: %d bytes, want %d", i, len(s), size)
		}
	}
}
