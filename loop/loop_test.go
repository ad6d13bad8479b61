//go:build unix

package loop

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestEcho(t *testing.T) {
	tests := []struct {
		name, network, addr string
	}{
		{"tcp4", "tcp4", "127.0.0.1:0"},
		{"tcp", "tcp", "127.0.0.1:0"},
		{"tcp6", "tcp6", "[::1]:0"},
		{"unix", "unix", ""},
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.network == "tcp6" {
				ln, err := net.Listen("tcp6", "[::1]:0")
				if err != nil {
					t.Skipf("no IPv6 loopback: %v", err)
				}
				ln.Close()
			}
			addr := tt.addr
			if tt.network == "unix" {
				addr = filepath.Join(t.TempDir(), "s")
			}
			checkLeaks(t)
			opened := make(chan *Conn, 1)
			closed := make(chan closeEvent, 1)
			l := newLoopT(t, &handler{
				open:   func(c *Conn) { opened <- c },
				closed: func(c *Conn, err error) { closed <- closeEvent{c, err} },
			}, Options{})
			a := listen(t, l, tt.network, addr)
			serve(t, l)
			c := dial(t, a)
			sc := recv(t, opened)
			if tt.network != "unix" {
				addrs := onLoop(t, l, func() [2]string {
					return [2]string{sc.RemoteAddr().String(), sc.LocalAddr().String()}
				})
				if want := c.LocalAddr().String(); addrs[0] != want {
					t.Errorf("RemoteAddr = %s, want %s", addrs[0], want)
				}
				if want := c.RemoteAddr().String(); addrs[1] != want {
					t.Errorf("LocalAddr = %s, want %s", addrs[1], want)
				}
			}
			for _, msg := range [][]byte{[]byte("hello"), {0}, big} {
				werr := make(chan error, 1)
				go func() { _, err := c.Write(msg); werr <- err }()
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatalf("read %d bytes: %v", len(msg), err)
				}
				if err := recv(t, werr); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, msg) {
					t.Fatalf("echo of %d bytes differs", len(msg))
				}
			}
			c.Close()
			ev := recv(t, closed)
			if ev.c != sc || !errors.Is(ev.err, io.EOF) {
				t.Errorf("OnClose(%p, %v), want (%p, EOF)", ev.c, ev.err, sc)
			}
			if err := onLoop(t, l, func() error { _, err := sc.Write([]byte("x")); return err }); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after close: %v, want ErrClosed", err)
			}
			if tt.network == "unix" {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(addr); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("socket file after Close: %v", err)
				}
			}
		})
	}
}

// frame is a 2-byte big-endian length followed by the payload.
func frame(p string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(p))), p...)
}

func TestPartialFrames(t *testing.T) {
	long := string(bytes.Repeat([]byte("0123456789"), 300))
	tests := []struct {
		name   string
		frames []string
		splits []int // write boundaries, as offsets into the concatenated frames
	}{
		{"byte by byte header", []string{"hello"}, []int{1, 2, 3}},
		{"one write many frames", []string{"a", "bb", "ccc"}, nil},
		{"frames across writes", []string{"alpha", "beta", "gamma", "delta"}, []int{4, 9, 13, 20}},
		{"frame larger than read buffer", []string{long, "x"}, []int{2, 100, 1500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			// Every OnData call that leaves a remainder reports its size, so
			// the client can wait until the server holds exactly the partial
			// frame it sent.
			partial := make(chan int, 1<<16)
			h := &handler{data: func(c *Conn, in []byte) int {
				if len(in) >= 2 {
					n := 2 + int(binary.BigEndian.Uint16(in))
					if len(in) >= n {
						c.Write(frame(string(bytes.ToUpper(in[2:n]))))
						return n // one frame per call: the loop calls again
					}
				}
				partial <- len(in)
				return 0
			}}
			l := newLoopT(t, h, Options{ReadBufferSize: 7})
			a := listen(t, l, "tcp", "127.0.0.1:0")
			serve(t, l)
			c := dial(t, a)

			var stream []byte
			for _, f := range tt.frames {
				stream = append(stream, frame(f)...)
			}
			// remainder(n) is what the server must hold after n bytes.
			remainder := func(n int) int {
				off := 0
				for _, f := range tt.frames {
					if off+2+len(f) > n {
						break
					}
					off += 2 + len(f)
				}
				return n - off
			}
			prev := 0
			for _, end := range append(tt.splits, len(stream)) {
				if _, err := c.Write(stream[prev:end]); err != nil {
					t.Fatal(err)
				}
				prev = end
				if want := remainder(end); want > 0 {
					for recv(t, partial) != want {
					}
				}
			}
			for _, f := range tt.frames {
				want := frame(string(bytes.ToUpper([]byte(f))))
				got := make([]byte, len(want))
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("reply %q, want %q", got, want)
				}
			}
		})
	}
}

func TestManyIdleConns(t *testing.T) {
	const idle = 1000
	raiseNoFile(t, 2*idle+200)
	checkLeaks(t)
	opened := make(chan *Conn, idle+1)
	closed := make(chan error, idle+1)
	l := newLoopT(t, &handler{
		open:   func(c *Conn) { opened <- c },
		closed: func(_ *Conn, err error) { closed <- err },
	}, Options{})
	a := listen(t, l, "tcp", "127.0.0.1:0")
	serve(t, l)
	clients := make([]net.Conn, idle)
	for i := range clients {
		c, err := net.Dial("tcp", a.String())
		if err != nil {
			for _, c := range clients[:i] {
				c.Close()
			}
			t.Fatalf("dial #%d: %v", i, err)
		}
		clients[i] = c
	}
	for range idle {
		recv(t, opened)
	}
	busy := dial(t, a)
	recv(t, opened)
	for i := range 10 {
		msg := []byte{byte(i), 'x', 'y'}
		if _, err := busy.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(busy, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo %q, want %q", got, msg)
		}
	}
	if n := onLoop(t, l, l.NumConns); n != idle+1 {
		t.Errorf("NumConns = %d, want %d", n, idle+1)
	}
	for _, c := range clients {
		c.Close()
	}
	busy.Close()
	for range idle + 1 {
		if err := recv(t, closed); !errors.Is(err, io.EOF) {
			t.Errorf("OnClose error %v, want EOF", err)
		}
	}
	if n := onLoop(t, l, l.NumConns); n != 0 {
		t.Errorf("NumConns = %d after all closed", n)
	}
}

// raiseNoFile makes sure RLIMIT_NOFILE allows n descriptors, or skips.
func raiseNoFile(t *testing.T, n uint64) {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skip(err)
	}
	if uint64(rl.Cur) >= n {
		return
	}
	if uint64(rl.Max) < n {
		t.Skipf("RLIMIT_NOFILE hard limit %d < %d", rl.Max, n)
	}
	old := rl
	rl.Cur = rl.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

func TestCloseFromServer(t *testing.T) {
	checkLeaks(t)
	closed := make(chan error, 1)
	l := newLoopT(t, &handler{
		open: func(c *Conn) {
			c.Write([]byte("bye"))
			c.Close()
			if _, err := c.Write([]byte("more")); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close: %v", err)
			}
		},
		closed: func(_ *Conn, err error) { closed <- err },
	}, Options{})
	a := listen(t, l, "tcp", "127.0.0.1:0")
	serve(t, l)
	c := dial(t, a)
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "bye" {
		t.Errorf("ReadAll = %q, %v; want \"bye\" then EOF", got, err)
	}
	if err := recv(t, closed); err != nil {
		t.Errorf("OnClose error %v, want nil", err)
	}
}

func TestLoopCloseClosesConns(t *testing.T) {
	checkLeaks(t)
	opened := make(chan *Conn, 1)
	var closeErr error
	l := newLoopT(t, &handler{
		open:   func(c *Conn) { opened <- c },
		closed: func(_ *Conn, err error) { closeErr = err },
	}, Options{})
	a := listen(t, l, "tcp", "127.0.0.1:0")
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	c := dial(t, a)
	recv(t, opened)
	if err := l.Close(); err != nil { // from another goroutine: stops Run first
		t.Fatal(err)
	}
	if err := recv(t, done); err != nil {
		t.Errorf("Run = %v", err)
	}
	if !errors.Is(closeErr, ErrClosed) {
		t.Errorf("OnClose error %v, want ErrClosed", closeErr)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("client read after Close: %v, want EOF", err)
	}
	if _, err := net.Dial("tcp", a.String()); err == nil {
		t.Error("listener still accepts after Close")
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := l.Trigger(func() {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Trigger after Close: %v", err)
	}
	if err := l.Poll(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Poll after Close: %v", err)
	}
	if _, err := l.Listen("tcp", "127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Errorf("Listen after Close: %v", err)
	}
}

func TestAddListener(t *testing.T) {
	checkLeaks(t)
	l := newLoopT(t, &handler{}, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.AddListener(ln)
	ln.Close() // the loop has its own descriptor
	if err != nil {
		t.Fatal(err)
	}
	if a.String() != ln.Addr().String() {
		t.Errorf("AddListener address %v, want %v", a, ln.Addr())
	}
	serve(t, l)
	c := dial(t, a)
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Fatalf("echo = %q, %v", got, err)
	}
}

func TestListenErrors(t *testing.T) {
	checkLeaks(t)
	l := newLoopT(t, &handler{}, Options{})
	defer l.Close()
	a := listen(t, l, "tcp4", "127.0.0.1:0")
	tests := []struct {
		network, addr string
		want          error
	}{
		{"udp", "127.0.0.1:0", nil},
		{"tcp", a.String(), syscall.EADDRINUSE},
		{"tcp6", "127.0.0.1:0", nil},
		{"tcp4", "[::1]:0", nil},
		{"tcp", "127.0.0.1:bogus", nil},
	}
	for _, tt := range tests {
		_, err := l.Listen(tt.network, tt.addr)
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Errorf("Listen(%q, %q) = %v, want *net.OpError", tt.network, tt.addr, err)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("Listen(%q, %q) = %v, want %v", tt.network, tt.addr, err, tt.want)
		}
	}
}

// TestLargeWritesKeepOrder: a write large enough to go to the kernel at
// once (directWrite) and more than the kernel takes, followed by small and
// large writes in the same step, reaches the peer whole and in order.
func TestLargeWritesKeepOrder(t *testing.T) {
	big := make([]byte, 4<<20)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	var want []byte
	writes := [][]byte{big, []byte("small"), big[:directWrite], []byte("x"), big[:3*directWrite]}
	for _, w := range writes {
		want = append(want, w...)
	}
	l := newLoopT(t, &handler{data: func(c *Conn, in []byte) int {
		for _, w := range writes {
			if n, err := c.Write(w); n != len(w) || err != nil {
				t.Errorf("Write(%d bytes) = %d, %v", len(w), n, err)
			}
		}
		return len(in)
	}}, Options{})
	a := listen(t, l, "tcp", "127.0.0.1:0")
	serve(t, l)
	c := dial(t, a)
	if _, err := c.Write([]byte("go")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read %d bytes: %v", len(want), err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && got[i] == want[i] {
			i++
		}
		t.Fatalf("output differs from byte %d on", i)
	}
}
