//go:build unix

package loop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestBackpressure: a client asks for 64 MiB and does not read. The loop
// must stop reading its requests once MaxWriteBuffer is exceeded, keep its
// queued output bounded, and still serve another client.
func TestBackpressure(t *testing.T) {
	const (
		block    = 64 << 10
		blocks   = 1024 // 64 MiB in all
		maxWrite = 1 << 20
		sockBuf  = 64 << 10
	)
	checkLeaks(t)
	payload := bytes.Repeat([]byte("0123456789abcdef"), block/16)

	var (
		slow      *Conn // set on the loop goroutine; read there too
		processed int   // 'B' requests of the slow conn served
		maxBefore int   // largest OutboundBuffered seen on entry to OnData
		maxAfter  int   // largest OutboundBuffered after a block was queued
	)
	paused := make(chan struct{})
	var pausedOnce sync.Once
	var resumes int
	closed := make(chan error, 2)
	h := &handler{
		open: func(c *Conn) {
			// Small kernel buffers keep what the kernel can absorb far
			// below 64 MiB, so the loop's own queue is what fills up.
			unix.SetsockoptInt(c.Fd(), unix.SOL_SOCKET, unix.SO_SNDBUF, sockBuf)
		},
		data: func(c *Conn, in []byte) int {
			if in[0] != 'B' { // the other client: echo up to the next 'B'
				n := bytes.IndexByte(in, 'B')
				if n < 0 {
					n = len(in)
				}
				c.Write(in[:n])
				return n
			}
			slow = c
			maxBefore = max(maxBefore, c.OutboundBuffered())
			c.Write(payload)
			maxAfter = max(maxAfter, c.OutboundBuffered())
			processed++
			return 1 // one request per call
		},
		bp: func(c *Conn, p bool) {
			if c != slow {
				t.Errorf("OnBackpressure for the wrong conn")
			}
			if p {
				pausedOnce.Do(func() { close(paused) })
			} else {
				resumes++
			}
		},
		closed: func(_ *Conn, err error) { closed <- err },
	}
	l := newLoopT(t, h, Options{MaxWriteBuffer: maxWrite})
	a := listen(t, l, "tcp", "127.0.0.1:0")
	serve(t, l)

	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, sockBuf)
		})
	}}
	sc := dialWith(t, d, a)
	if _, err := sc.Write(bytes.Repeat([]byte("B"), blocks)); err != nil {
		t.Fatal(err)
	}
	recv(t, paused)

	// The other client is served while the slow one is throttled.
	fc := dial(t, a)
	for i := range 20 {
		msg := []byte{'p', 'i', 'n', 'g', byte(i)}
		if _, err := fc.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(fc, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo %q, want %q", got, msg)
		}
	}

	type snapshot struct{ processed, queued, unread, maxBefore, maxAfter int }
	s := onLoop(t, l, func() snapshot {
		return snapshot{processed, slow.OutboundBuffered(), slow.InboundBuffered(), maxBefore, maxAfter}
	})
	t.Logf("while stalled: %+v", s)
	// Without back-pressure every request would have been served at once.
	if s.processed >= blocks/2 {
		t.Errorf("served %d of %d requests of a client that reads nothing", s.processed, blocks)
	}
	if s.maxBefore > maxWrite {
		t.Errorf("OnData called with %d bytes queued, limit %d", s.maxBefore, maxWrite)
	}
	if s.maxAfter > maxWrite+block || s.queued > maxWrite+block {
		t.Errorf("queued output reached %d (now %d), bound %d", s.maxAfter, s.queued, maxWrite+block)
	}

	// Now drain: everything arrives, in order, and reading resumed.
	buf := make([]byte, block)
	for i := range blocks {
		if _, err := io.ReadFull(sc, buf); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if !bytes.Equal(buf, payload) {
			t.Fatalf("block %d corrupted", i)
		}
	}
	s = onLoop(t, l, func() snapshot { return snapshot{processed: processed, queued: slow.OutboundBuffered()} })
	if s.processed != blocks || s.queued != 0 {
		t.Errorf("after draining: served %d, queued %d", s.processed, s.queued)
	}
	if r := onLoop(t, l, func() int { return resumes }); r == 0 {
		t.Error("reading never resumed")
	}
	sc.Close()
	fc.Close()
	for range 2 {
		if err := recv(t, closed); !errors.Is(err, io.EOF) {
			t.Errorf("OnClose: %v", err)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	checkLeaks(t)
	closed := make(chan error, 1)
	l := newLoopT(t, &handler{closed: func(_ *Conn, err error) { closed <- err }},
		Options{IdleTimeout: 20 * time.Millisecond})
	a := listen(t, l, "tcp", "127.0.0.1:0")
	serve(t, l)
	c := dial(t, a)
	if err := recv(t, closed); !errors.Is(err, ErrIdleTimeout) {
		t.Fatalf("OnClose error %v, want ErrIdleTimeout", err)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("client read: %v, want EOF", err)
	}
}

// fakeClock is a manually advanced clock for deterministic timer tests.
type fakeClock struct{ t time.Time }

func (f *fakeClock) now() time.Time          { return f.t }
func (f *fakeClock) advance(d time.Duration) { f.t = f.t.Add(d) }

// TestTimers drives the loop with Poll and a fake clock: idle and read
// timeouts, activity pushing the idle deadline, Tick and Timeout.
func TestTimers(t *testing.T) {
	checkLeaks(t)
	clk := &fakeClock{t: time.Unix(1000, 0)}
	type ev struct {
		name string
		err  error
	}
	var events []ev
	ticks := 0
	names := map[*Conn]string{}
	partial := map[string]bool{}
	h := &handler{
		open: func(c *Conn) {
			// The client sends its name first; see data.
		},
		data: func(c *Conn, in []byte) int {
			i := bytes.IndexByte(in, '\n')
			if i < 0 {
				partial[names[c]] = true
				return 0
			}
			if names[c] == "" {
				names[c] = string(in[:i])
			}
			return i + 1
		},
		closed: func(c *Conn, err error) { events = append(events, ev{names[c], err}) },
	}
	l, err := newLoop(h, Options{
		IdleTimeout:  10 * time.Second,
		ReadTimeout:  2 * time.Second,
		Tick:         func() { ticks++ },
		TickInterval: time.Second,
	}, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := listen(t, l, "tcp", "127.0.0.1:0")
	conns := map[string]net.Conn{}
	for _, name := range []string{"active", "partial", "silent"} {
		conns[name] = dial(t, a)
		if _, err := conns[name].Write([]byte(name + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	pollUntil(t, l, func() bool { return len(names) == 3 })

	clk.advance(5 * time.Second) // t=5s
	conns["active"].Write([]byte("ping\n"))
	conns["partial"].Write([]byte("half a mess"))
	pollUntil(t, l, func() bool { return partial["partial"] && l.conns[connFD(t, l, names, "active")].lastActive > 0 })
	if ticks != 1 {
		t.Errorf("ticks = %d at 5s, want 1", ticks)
	}

	clk.advance(2500 * time.Millisecond) // t=7.5s: partial's message is 2.5s old
	if err := l.Poll(0); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0] != (ev{"partial", ErrReadTimeout}) {
		t.Fatalf("at 7.5s: closed %v, want partial by ErrReadTimeout", events)
	}

	clk.advance(3 * time.Second) // t=10.5s: silent idle since 0s
	if err := l.Poll(0); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[1] != (ev{"silent", ErrIdleTimeout}) {
		t.Fatalf("at 10.5s: closed %v, want silent by ErrIdleTimeout", events)
	}
	if ticks != 3 {
		t.Errorf("ticks = %d at 10.5s, want 3", ticks)
	}
	// Next due: the Tick at 11.5s (active's idle deadline is 15s).
	if got := l.Timeout(); got != time.Second {
		t.Errorf("Timeout = %v, want 1s", got)
	}

	clk.advance(5 * time.Second) // t=15.5s: active idle since 5s
	if err := l.Poll(0); err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || events[2] != (ev{"active", ErrIdleTimeout}) {
		t.Fatalf("at 15.5s: closed %v, want active by ErrIdleTimeout", events)
	}
	if l.NumConns() != 0 || len(l.timers) != 0 {
		t.Errorf("after all timeouts: %d conns, %d timers", l.NumConns(), len(l.timers))
	}
}

func connFD(t *testing.T, l *Loop, names map[*Conn]string, name string) int {
	t.Helper()
	for c, n := range names {
		if n == name {
			return c.Fd()
		}
	}
	t.Fatalf("no conn %q", name)
	return -1
}

// TestTrigger: worker goroutines hand results back with Trigger.
func TestTrigger(t *testing.T) {
	checkLeaks(t)
	var l *Loop
	workerDone := make(chan struct{}, 16)
	l = newLoopT(t, &handler{data: func(c *Conn, in []byte) int {
		req := bytes.Clone(in)
		go func() { // a worker: must not touch c, hands the result back
			defer func() { workerDone <- struct{}{} }()
			resp := bytes.ToUpper(req)
			if err := l.Trigger(func() { c.Write(resp) }); err != nil {
				t.Error(err)
			}
		}()
		return len(in)
	}}, Options{})
	a := listen(t, l, "tcp", "127.0.0.1:0")
	serve(t, l)
	c := dial(t, a)
	if _, err := c.Write([]byte("async")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ASYNC" {
		t.Fatalf("reply %q, %v", got, err)
	}
	recv(t, workerDone)

	// Many goroutines: every function runs once, each goroutine's in order.
	const goroutines, each = 8, 500
	var last [goroutines]int
	var bad, ran int
	var wg sync.WaitGroup
	done := make(chan struct{})
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= each; i++ {
				l.Trigger(func() {
					if last[g] != i-1 {
						bad++
					}
					last[g] = i
					if ran++; ran == goroutines*each {
						close(done)
					}
				})
			}
		}()
	}
	wg.Wait()
	recv(t, done)
	if bad != 0 {
		t.Errorf("%d functions ran out of order", bad)
	}

	// Ping-pong: each function must wake the idle loop by itself, so a
	// wakeup lost to a race between Trigger and the loop's drain hangs here.
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			ack := make(chan struct{})
			for range 2000 {
				if err := l.Trigger(func() { ack <- struct{}{} }); err != nil {
					errs <- err
					return
				}
				select {
				case <-ack:
				case <-time.After(guard):
					errs <- errors.New("triggered function never ran")
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := recv(t, errs); err != nil {
			t.Fatal(err)
		}
	}
}

// TestForeignLoop drives the loop from a hand-written poll(2) loop that also
// watches a pipe of its own.
func TestForeignLoop(t *testing.T) {
	checkLeaks(t)
	var l *Loop
	l = newLoopT(t, &handler{data: func(c *Conn, in []byte) int {
		req := bytes.Clone(in)
		// Reply from a worker, so the foreign loop must be woken through
		// the wakeup descriptor in Sockets.
		go l.Trigger(func() { c.Write(bytes.ToUpper(req)) })
		return len(in)
	}}, Options{})
	defer l.Close()
	a := listen(t, l, "tcp", "127.0.0.1:0")

	var pipe [2]int
	if err := unix.Pipe(pipe[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])

	clientErr := make(chan error, 1)
	go func() {
		clientErr <- func() error {
			defer unix.Write(pipe[1], []byte("done")) // tell the foreign loop to stop
			c, err := net.Dial("tcp", a.String())
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(guard))
			for _, msg := range []string{"one", "two", "three"} {
				if _, err := c.Write([]byte(msg)); err != nil {
					return err
				}
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil {
					return err
				}
				if want := string(bytes.ToUpper([]byte(msg))); string(got) != want {
					return errors.New("reply " + string(got) + ", want " + want)
				}
			}
			return nil
		}()
	}()

	deadline := time.Now().Add(guard)
	pipeSeen := false
	for !pipeSeen {
		if time.Now().After(deadline) {
			t.Fatal("foreign loop did not finish")
		}
		watch := map[int]int16{}
		for _, fd := range l.Sockets() {
			watch[fd] |= unix.POLLIN
		}
		for _, fd := range l.WriteSockets() {
			watch[fd] |= unix.POLLOUT
		}
		pfds := []unix.PollFd{{Fd: int32(pipe[0]), Events: unix.POLLIN}}
		for fd, ev := range watch {
			pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: ev})
		}
		timeout := 1000
		if d := l.Timeout(); d >= 0 {
			timeout = int(d / time.Millisecond)
		}
		if _, err := unix.Poll(pfds, timeout); err != nil && err != unix.EINTR {
			t.Fatal(err)
		}
		var ready []int
		for _, p := range pfds {
			switch {
			case p.Revents == 0:
			case int(p.Fd) == pipe[0]:
				pipeSeen = true // ours, not the loop's
			default:
				ready = append(ready, int(p.Fd))
			}
		}
		// Descriptors the loop does not know are ignored.
		if err := l.Events(append(ready, pipe[0], pipe[1], 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	if err := recv(t, clientErr); err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	if n, _ := unix.Read(pipe[0], b[:]); string(b[:n]) != "done" {
		t.Errorf("the loop consumed the test's pipe: read %q", b[:n])
	}
}

func TestShutdown(t *testing.T) {
	checkLeaks(t)
	l := newLoopT(t, &handler{}, Options{})
	defer l.Close()
	a := listen(t, l, "tcp", "127.0.0.1:0")
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	c := dial(t, a) // a round trip proves Run is serving
	c.Write([]byte("x"))
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if err := l.Poll(0); !errors.Is(err, ErrRunning) {
		t.Errorf("Poll during Run: %v, want ErrRunning", err)
	}
	if err := l.Events(nil); !errors.Is(err, ErrRunning) {
		t.Errorf("Events during Run: %v, want ErrRunning", err)
	}
	go l.Shutdown()
	if err := recv(t, done); err != nil {
		t.Errorf("Run after Shutdown = %v", err)
	}
	// Shutdown is sticky for Run; Poll still works.
	if err := l.Run(context.Background()); err != nil {
		t.Errorf("second Run = %v", err)
	}
	if err := l.Poll(0); err != nil {
		t.Errorf("Poll after Shutdown = %v", err)
	}
}

func TestRunContext(t *testing.T) {
	checkLeaks(t)
	l := newLoopT(t, &handler{}, Options{})
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan struct{})
	l.Trigger(func() { close(started) })
	go func() { done <- l.Run(ctx) }()
	recv(t, started)
	cancel()
	if err := recv(t, done); err != nil {
		t.Errorf("Run = %v after its context ended, want nil (a stop, as Daemon.Serve)", err)
	}
}

// TestAcceptBackoff: after an accept failure such as EMFILE the listeners
// leave the poll set (so a still-readable listener cannot spin the loop) and
// come back after the backoff.
func TestAcceptBackoff(t *testing.T) {
	checkLeaks(t)
	clk := &fakeClock{t: time.Unix(1000, 0)}
	opened := 0
	l, err := newLoop(&handler{open: func(*Conn) { opened++ }}, Options{}, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := listen(t, l, "tcp", "127.0.0.1:0")
	lnfd := l.lns[0].fd

	l.pauseAccept() // what accept does on EMFILE, ENFILE, ENOBUFS, ...
	if slices.Contains(l.Sockets(), lnfd) {
		t.Error("paused listener still in Sockets")
	}
	if got := l.Timeout(); got != acceptBackoff {
		t.Errorf("Timeout = %v, want the backoff %v", got, acceptBackoff)
	}
	dial(t, a) // completes in the kernel; the loop must not accept it yet
	if err := l.Poll(0); err != nil {
		t.Fatal(err)
	}
	if err := l.Events([]int{lnfd}); err != nil {
		t.Fatal(err)
	}
	if opened != 0 {
		t.Fatalf("accepted %d connections while paused", opened)
	}

	clk.advance(acceptBackoff)
	deadline := time.Now().Add(guard)
	for opened == 0 {
		if time.Now().After(deadline) {
			t.Fatal("listener did not resume")
		}
		if err := l.Poll(100 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Contains(l.Sockets(), lnfd) || l.Timeout() != -1 {
		t.Errorf("after resuming: Sockets %v, Timeout %v", l.Sockets(), l.Timeout())
	}
}
