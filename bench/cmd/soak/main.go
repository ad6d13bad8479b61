package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/benchobj"
	_ "github.com/gyro-rpc/gyro/multicore"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// The daemon's settings for hostile clients, as SECURITY.md advises.
const (
	commTimeout    = 2 * time.Second
	maxMessageSize = 1 << 20
	// threadPool is THREADPOOL_SIZE: the thread type's connection limit
	// (above the soak's concurrent clients) and the multicore type's
	// worker pool, whose idle workers exit after a second.
	threadPool = 64
	// settleTime bounds the wait for descriptors and goroutines to come
	// back to their baseline after the load.
	settleTime = 10 * time.Second
)

func main() {
	serve := flag.String("serve", "", "internal: run the daemon of this server type (the child process)")
	duration := flag.Duration("duration", 60*time.Second, "total soak time, split evenly over the types")
	types := flag.String("types", "thread,multiplex,multicore", "server types to soak")
	flag.Parse()
	if *serve != "" {
		if err := child(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "soak child:", err)
			os.Exit(1)
		}
		return
	}
	list := strings.Split(*types, ",")
	per := *duration / time.Duration(len(list))
	fmt.Printf("hostile soak: %v per server type, GOMAXPROCS=%d\n\n", per, runtime.GOMAXPROCS(0))
	fmt.Printf("%-10s %9s %6s %8s %9s %9s %10s %10s %8s\n", "type", "correct", "wrong", "refused", "peak RSS", "final RSS", "fds", "goroutines", "verdict")
	failed := false
	for _, st := range list {
		r, err := soak(st, per)
		if err != nil {
			fmt.Printf("%-10s error: %v\n", st, err)
			failed = true
			continue
		}
		verdict := "ok"
		if !r.ok() {
			verdict, failed = "FAIL", true
		}
		fmt.Printf("%-10s %9d %6d %8d %8.1fM %8.1fM %4d→%-5d %4d→%-5d %8s\n", st, r.correct, r.wrong, r.refused,
			mb(r.peakRSS), mb(r.finalRSS), r.fdsBefore, r.fdsAfter, r.gBefore, r.gAfter, verdict)
		fmt.Printf("%-10s   hostile: %s\n", "", r.hostile)
	}
	if failed {
		os.Exit(1)
	}
}

func mb(kb int) float64 { return float64(kb) / 1024 }

// result is one server type's soak.
type result struct {
	correct, wrong, refused int64
	peakRSS, finalRSS       int // kB
	fdsBefore, fdsAfter     int
	gBefore, gAfter         int
	hostile                 string
}

func (r *result) ok() bool {
	return r.wrong == 0 && r.correct > 0 && r.fdsAfter <= r.fdsBefore && r.gAfter <= r.gBefore
}

// server is the child process running one daemon.
type server struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr string
}

func startServer(st string) (*server, error) {
	cmd := exec.Command(os.Args[0], "-serve", st)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := s.out.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("server did not start: %w", err)
	}
	s.addr = strings.TrimSpace(line)
	return s, nil
}

// goroutines asks the child for its goroutine count.
func (s *server) goroutines() (int, error) {
	if _, err := io.WriteString(s.in, "g\n"); err != nil {
		return 0, err
	}
	line, err := s.out.ReadString('\n')
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(line))
}

func (s *server) fds() int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.cmd.Process.Pid))
	return len(ents)
}

// rss returns VmRSS and VmHWM (peak) in kB.
func (s *server) rss() (cur, peak int) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			cur = v
		case "VmHWM:":
			peak = v
		}
	}
	return cur, peak
}

func (s *server) stop() error {
	s.in.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
		return errors.New("the server did not stop in 10 s")
	}
}

// child runs a daemon of type st until stdin closes; "g" lines on stdin
// are answered with the goroutine count.
func child(st string) error {
	cfg := config.Default()
	cfg.ServerType = st
	cfg.CommTimeout = commTimeout
	cfg.MaxMessageSize = maxMessageSize
	cfg.ThreadPoolSize = threadPool
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	if _, err := d.Register(benchobj.Bench{}, benchobj.ObjectID, false); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	fmt.Println(d.Addr().String())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		runtime.GC()
		fmt.Println(runtime.NumGoroutine())
	}
	d.Shutdown()
	if err := <-done; err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.CloseContext(ctx)
}

// counters of one soak.
type counters struct {
	correct, wrong, refused, oneways, garbage, bombs, pipeliners, silent, tricklers, vanished atomic.Int64
}

func soak(st string, dur time.Duration) (*result, error) {
	s, err := startServer(st)
	if err != nil {
		return nil, err
	}
	r := &result{}
	// the baseline: one client served, so the lazily started parts run
	if c, err := dial(s.addr); err == nil {
		c.handshake()
		c.nc.Close()
	}
	settle(s, -1)
	r.fdsBefore = s.fds()
	if r.gBefore, err = s.goroutines(); err != nil {
		return nil, err
	}

	var cnt counters
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var wg sync.WaitGroup
	run := func(n int, fn func(ctx context.Context, rng *rand.Rand)) {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
				for ctx.Err() == nil {
					fn(ctx, rng)
				}
			}()
		}
	}
	run(16, func(ctx context.Context, rng *rand.Rand) { validCalls(ctx, s.addr, rng, &cnt, false) })
	run(4, func(ctx context.Context, rng *rand.Rand) { validCalls(ctx, s.addr, rng, &cnt, true) })
	run(4, func(ctx context.Context, rng *rand.Rand) { garbage(s.addr, rng, &cnt) })
	run(2, func(ctx context.Context, rng *rand.Rand) { zlibBomb(s.addr, &cnt) })
	run(4, func(ctx context.Context, rng *rand.Rand) { pipeliner(ctx, s.addr, &cnt) })
	run(8, func(ctx context.Context, rng *rand.Rand) { silent(ctx, s.addr, &cnt) })
	run(4, func(ctx context.Context, rng *rand.Rand) { trickler(ctx, s.addr, &cnt) })
	run(4, func(ctx context.Context, rng *rand.Rand) { vanisher(s.addr, rng, &cnt) })
	wg.Wait()

	settle(s, r.fdsBefore)
	r.fdsAfter = s.fds()
	if r.gAfter, err = settleGoroutines(s, r.gBefore); err != nil {
		return nil, err
	}
	r.finalRSS, r.peakRSS = s.rss()
	r.correct, r.wrong, r.refused = cnt.correct.Load(), cnt.wrong.Load(), cnt.refused.Load()
	r.hostile = fmt.Sprintf("oneways %d, garbage %d, zlib bombs %d, pipeliners %d, silent %d, tricklers %d, vanished %d",
		cnt.oneways.Load(), cnt.garbage.Load(), cnt.bombs.Load(), cnt.pipeliners.Load(), cnt.silent.Load(), cnt.tricklers.Load(), cnt.vanished.Load())
	if err := s.stop(); err != nil {
		return r, fmt.Errorf("stopping the server: %w", err)
	}
	return r, nil
}

// settleGoroutines waits (at most settleTime) until the server's goroutines
// come down to want, as idle workers and closing connections end in the
// server's own time, and returns the last count.
func settleGoroutines(s *server, want int) (int, error) {
	deadline := time.Now().Add(settleTime)
	for {
		n, err := s.goroutines()
		if err != nil || n <= want || time.Now().After(deadline) {
			return n, err
		}
		time.Sleep(100 * time.Millisecond) // polling another process: no event to wait on
	}
}

// settle waits (at most settleTime) until the server's descriptors come down to
// want (-1: until they stop changing), as closed connections are noticed
// in the server's own time.
func settle(s *server, want int) {
	deadline := time.Now().Add(settleTime)
	last := -1
	for time.Now().Before(deadline) {
		n := s.fds()
		if (want >= 0 && n <= want) || (want < 0 && n == last) {
			return
		}
		last = n
		time.Sleep(100 * time.Millisecond) // polling another process: no event to wait on
	}
}

// client is a raw Pyro4 wire client.
type client struct {
	nc  net.Conn
	seq uint16
}

func dial(addr string) (*client, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(15 * time.Second))
	return &client{nc: nc}, nil
}

var handshakeData = func() []byte {
	b, _ := serial.Serpent.Marshal(nil, pyval.DictOf("handshake", "hello", "object", benchobj.ObjectID), nil)
	return b
}()

func (c *client) send(m *wire.Message) error {
	b, err := wire.Append(nil, m, nil)
	if err != nil {
		return err
	}
	_, err = c.nc.Write(b)
	return err
}

// handshake returns errRefused for a CONNECTFAIL.
func (c *client) handshake() error {
	if err := c.send(&wire.Message{Type: wire.MsgConnect, SerializerID: serial.IDSerpent, Data: handshakeData}); err != nil {
		return err
	}
	m, err := wire.ReadMessage(c.nc, nil)
	if err != nil {
		return err
	}
	if m.Type != wire.MsgConnectOK {
		return errRefused
	}
	return nil
}

var errRefused = errors.New("refused")

// open dials addr and, if hs, does the handshake; nil when either fails.
func open(addr string, hs bool) *client {
	c, err := dial(addr)
	if err != nil {
		return nil
	}
	if hs && c.handshake() != nil {
		c.nc.Close()
		return nil
	}
	return c
}

func callFrame(seq uint16, method string, flags wire.Flags, args ...any) []byte {
	data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: benchobj.ObjectID, Method: method, Args: args}, nil)
	b, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: flags, Seq: seq, SerializerID: serial.IDSerpent, Data: data}, nil)
	return b
}

// validCalls makes checked calls on one connection until ctx ends or the
// connection fails (a failure is not a wrong answer: the server may drop a
// client it had to refuse; a wrong or mismatched answer is).
func validCalls(ctx context.Context, addr string, rng *rand.Rand, cnt *counters, oneways bool) {
	c, err := dial(addr)
	if err != nil {
		return
	}
	defer c.nc.Close()
	if err := c.handshake(); err != nil {
		if errors.Is(err, errRefused) {
			cnt.refused.Add(1)
		}
		return
	}
	for ctx.Err() == nil {
		c.nc.SetDeadline(time.Now().Add(15 * time.Second))
		arg := strconv.Itoa(rng.IntN(1 << 30))
		if rng.IntN(8) == 0 {
			arg = strings.Repeat(arg, 1000)
		}
		var batch []byte
		if oneways {
			for range 8 {
				c.seq++
				batch = append(batch, callFrame(c.seq, "oneway", wire.FlagOneway, arg)...)
			}
			cnt.oneways.Add(8)
		}
		c.seq++
		batch = append(batch, callFrame(c.seq, "timestwo", 0, arg)...)
		if _, err := c.nc.Write(batch); err != nil {
			return
		}
		m, err := wire.ReadMessage(c.nc, nil)
		if err != nil {
			return
		}
		v, derr := serial.Serpent.Unmarshal(m.Data)
		if m.Seq != c.seq || m.Flags&wire.FlagException != 0 || derr != nil || v != arg+arg {
			cnt.wrong.Add(1)
			fmt.Fprintf(os.Stderr, "wrong answer: seq %d (want %d) flags %#x value %.80v err %v\n", m.Seq, c.seq, m.Flags, v, derr)
			return
		}
		cnt.correct.Add(1)
	}
}

// garbage sends random bytes, sometimes after a good handshake, and waits
// for the server to close.
func garbage(addr string, rng *rand.Rand, cnt *counters) {
	c, err := dial(addr)
	if err != nil {
		return
	}
	defer c.nc.Close()
	if rng.IntN(2) == 0 && c.handshake() != nil {
		return
	}
	junk := make([]byte, 24+rng.IntN(4096))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	if rng.IntN(2) == 0 {
		copy(junk, "PYRO") // gets past the tag, fails later
	}
	c.nc.Write(junk)
	io.Copy(io.Discard, c.nc) // until the server closes (or the deadline)
	cnt.garbage.Add(1)
}

// bomb is a zlib stream of 256 MiB of zeros (about 256 KiB), made once
// by the parent only.
var bomb = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 256 {
		w.Write(zeros)
	}
	w.Close()
	return buf.Bytes()
})

// zlibBomb sends a call whose payload inflates to 256 MiB.
func zlibBomb(addr string, cnt *counters) {
	c := open(addr, true)
	if c == nil {
		return
	}
	defer c.nc.Close()
	// a hand-made header: wire.Append would compress the payload again
	h := wire.Header{Type: wire.MsgInvoke, Flags: wire.FlagCompressed, Seq: 1, SerializerID: serial.IDSerpent, DataLen: len(bomb())}
	frame := append(headerBytes(h), bomb()...)
	c.nc.Write(frame)
	io.Copy(io.Discard, c.nc)
	cnt.bombs.Add(1)
}

func headerBytes(h wire.Header) []byte {
	b := make([]byte, wire.HeaderSize)
	copy(b, "PYRO")
	put16 := func(o int, v uint16) { b[o], b[o+1] = byte(v>>8), byte(v) }
	put16(4, wire.ProtocolVersion)
	put16(6, uint16(h.Type))
	put16(8, uint16(h.Flags))
	put16(10, h.Seq)
	b[12], b[13], b[14], b[15] = byte(h.DataLen>>24), byte(h.DataLen>>16), byte(h.DataLen>>8), byte(h.DataLen)
	put16(16, h.SerializerID)
	put16(18, uint16(h.AnnLen))
	put16(22, wire.Checksum(h))
	return b
}

var bigCall = callFrame(1, "bigarg", 0, strings.Repeat("p", 64<<10))

// pipeliner writes 64 KiB calls and never reads a reply, for up to 5 s.
func pipeliner(ctx context.Context, addr string, cnt *counters) {
	c := open(addr, true)
	if c == nil {
		return
	}
	defer c.nc.Close()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	for ctx.Err() == nil {
		if _, err := c.nc.Write(bigCall); err != nil {
			break
		}
	}
	cnt.pipeliners.Add(1)
}

// silent connects and says nothing until the server drops it.
func silent(ctx context.Context, addr string, cnt *counters) {
	c, err := dial(addr)
	if err != nil {
		return
	}
	defer c.nc.Close()
	if rand.IntN(2) == 0 && c.handshake() != nil {
		return
	}
	var b [1]byte
	c.nc.Read(b[:]) // the server's COMMTIMEOUT ends it (or the 15 s deadline)
	cnt.silent.Add(1)
}

// trickler sends a call a byte every 200 ms until the server drops it.
func trickler(ctx context.Context, addr string, cnt *counters) {
	c := open(addr, true)
	if c == nil {
		return
	}
	defer c.nc.Close()
	frame := callFrame(1, "timestwo", 0, strings.Repeat("t", 200))
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for _, b := range frame {
		if _, err := c.nc.Write([]byte{b}); err != nil {
			break
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
	cnt.tricklers.Add(1)
}

// vanisher sends a call and resets the connection without waiting.
func vanisher(addr string, rng *rand.Rand, cnt *counters) {
	c, err := dial(addr)
	if err != nil {
		return
	}
	if c.handshake() != nil {
		c.nc.Close()
		return
	}
	c.nc.Write(callFrame(1, "bigreply", 0))
	if tc, ok := c.nc.(*net.TCPConn); ok && rng.IntN(2) == 0 {
		tc.SetLinger(0) // RST instead of FIN
	}
	c.nc.Close()
	cnt.vanished.Add(1)
}
