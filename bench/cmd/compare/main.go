// Package main is the compare command. It runs the same workloads, in one invocation, against
// gyro's three server types, Pyro4's and Pyro5's daemons (thread and multiplex), Go's
// net/rpc and raw echo servers of Pyro4's 24-byte framing on gnet, evio
// and gyro's loop, plus a plain ping-pong floor. Servers run as separate
// processes (bench/cmd/server, bench/pyro4server.py, bench/pyro5server.py), pinned to another
// core than the client when taskset is there. It prints a Markdown report.
//
//	go run ./bench/cmd/compare            # about 4-5 minutes
//	go run ./bench/cmd/compare -quick     # under a minute
//	go run ./bench/cmd/compare -targets gyro-thread,echo-gnet \
//		-workloads "32x1 64B serpent" -profile /tmp/prof   # CPU profiles of the servers
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gyro-rpc/gyro/internal/benchobj"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

var (
	quick    = flag.Bool("quick", false, "short runs (under a minute)")
	dur      = flag.Duration("d", 700*time.Millisecond, "measured time per repetition")
	warm     = flag.Duration("warm", 250*time.Millisecond, "warm-up per workload")
	reps     = flag.Int("reps", 5, "repetitions per workload (median and range)")
	only     = flag.String("targets", "", "comma-separated target names (default all)")
	onlyW    = flag.String("workloads", "", "comma-separated workload names, as in the report's headings (default all)")
	profDir  = flag.String("profile", "", "write a CPU profile of each Go server into this directory (<target>.pprof), for go tool pprof")
	idle     = flag.Int("idle", 10000, "idle connections for the RSS check (0 skips it)")
	pinned   = flag.Bool("pin", true, "pin client and servers to separate cores with taskset")
	pyScript = flag.String("pyro4", "", "path of pyro4server.py (default next to this source)")
	outFile  = flag.String("out", "", "also write the report into this markdown file, between its report markers (bench/RESULTS.md)")
	pngFile  = flag.String("png", "", "also draw calls/s per workload and target into this PNG file")
)

// kinds of targets: how the client talks to them
const (
	kPyro   = "pyro"   // Pyro4 protocol with a handshake
	kEcho   = "echo"   // echoes whole frames
	kRPC    = "netrpc" // Go net/rpc
	kFloor  = "floor"  // plain byte echo
	pinEnv  = "GYRO_BENCH_PINNED"
	cpuSrv  = "1"
	cpuClnt = "0"
)

// metricsSuffix names the targets that run a gyro type with package
// metrics observing every call.
const metricsSuffix = "+metrics"

type target struct {
	name, kind string
	cmd        []string
}

type workload struct {
	name  string
	conns int
	mode  string // seq, inflight, pipe
	size  int
	ser   int // serializer id in the numbering of gen
	gen   int // wire protocol: 0 is Pyro4, wire.Pyro5 speaks protocol 502
}

type result struct {
	calls   int64
	elapsed time.Duration
	lat     []time.Duration
	cpu     time.Duration
}

func (r result) rate() float64 { return float64(r.calls) / r.elapsed.Seconds() }

func main() {
	flag.Parse()
	if *quick {
		*dur, *warm, *reps = 120*time.Millisecond, 40*time.Millisecond, min(*reps, 3)
		if *idle > 2000 {
			*idle = 2000
		}
	}
	pin := *pinned && os.Getenv(pinEnv) != "" || *pinned && runtime.NumCPU() >= 2 && haveTaskset()
	if pin && os.Getenv(pinEnv) == "" {
		// re-run this command on the client core
		cmd := exec.Command("taskset", append([]string{"-c", cpuClnt, os.Args[0]}, os.Args[1:]...)...)
		cmd.Env = append(os.Environ(), pinEnv+"=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			os.Exit(1)
		}
		return
	}
	raiseNoFile()
	if err := run(pin); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func haveTaskset() bool { _, err := exec.LookPath("taskset"); return err == nil }

func run(pin bool) error {
	start := time.Now()
	dir, err := os.MkdirTemp("", "gyro-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srvBin := filepath.Join(dir, "server")
	build := exec.Command("go", "build", "-o", srvBin, "github.com/gyro-rpc/gyro/bench/cmd/server")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the server: %w", err)
	}
	py := *pyScript
	if py == "" {
		py = findPyroScript()
	}
	var targets []target
	for _, k := range []string{"gyro-thread", "gyro-multiplex", "gyro-multicore"} {
		targets = append(targets, target{k, kPyro, []string{srvBin, "-kind", k}})
	}
	// the same with Prometheus metrics on: the report gives the ratio
	for _, k := range []string{"gyro-thread", "gyro-multiplex", "gyro-multicore"} {
		targets = append(targets, target{k + metricsSuffix, kPyro, []string{srvBin, "-kind", k, "-metrics"}})
	}
	// and with TLS on: the report gives the TLS/plain ratio
	tlsT, err := tlsTargets(srvBin, dir, gyroKinds)
	if err != nil {
		return err
	}
	targets = append(targets, tlsT...)
	if py != "" {
		for _, st := range []string{"thread", "multiplex"} {
			targets = append(targets, target{"pyro4-" + st, kPyro, []string{"/usr/bin/python3", py, st}})
		}
	}
	targets = append(targets, pyro5Targets()...)
	targets = append(targets, target{"netrpc", kRPC, []string{srvBin, "-kind", "netrpc"}})
	for _, k := range []string{"echo-gnet", "echo-evio", "echo-loop"} {
		targets = append(targets, target{k, kEcho, []string{srvBin, "-kind", k}})
	}
	targets = append(targets, target{"pingpong", kFloor, []string{srvBin, "-kind", "pingpong"}})
	if *only != "" {
		want := strings.Split(*only, ",")
		targets = slices.DeleteFunc(targets, func(t target) bool { return !slices.Contains(want, t.name) })
	}
	if *profDir != "" {
		for i, t := range targets {
			if t.cmd[0] == srvBin {
				targets[i].cmd = append(slices.Clip(t.cmd), "-cpuprofile", filepath.Join(*profDir, t.name+".pprof"))
			}
		}
	}
	workloads := []workload{
		{"seq 64B serpent", 1, "seq", 64, serial.IDSerpent, 0},
		{"seq 64B marshal", 1, "seq", 64, serial.IDMarshal, 0},
		{"seq 64B json", 1, "seq", 64, serial.IDJSON, 0},
		{"seq 1KiB serpent", 1, "seq", 1024, serial.IDSerpent, 0},
		{"32x1 64B serpent", 32, "inflight", 64, serial.IDSerpent, 0},
		{"32x1 64B marshal", 32, "inflight", 64, serial.IDMarshal, 0},
		{"32x1 64B json", 32, "inflight", 64, serial.IDJSON, 0},
		{"32x1 1KiB serpent", 32, "inflight", 1024, serial.IDSerpent, 0},
		{"32 pipelined oneway 64B serpent", 32, "pipe", 64, serial.IDSerpent, 0},
		{"32 pipelined batch 64B serpent", 32, "batch", 64, serial.IDSerpent, 0},
		// Pyro5 clients of gyro's types, with Pyro5's own daemon as the
		// reference (runsIn: Pyro4's daemon cannot speak protocol 502)
		{"seq 64B pyro5 serpent", 1, "seq", 64, serial.ID5Serpent, wire.Pyro5},
		{"seq 64B pyro5 msgpack", 1, "seq", 64, serial.ID5Msgpack, wire.Pyro5},
		{"32x1 64B pyro5 serpent", 32, "inflight", 64, serial.ID5Serpent, wire.Pyro5},
		{"32x1 64B pyro5 msgpack", 32, "inflight", 64, serial.ID5Msgpack, wire.Pyro5},
		{"32 pipelined oneway 64B pyro5 serpent", 32, "pipe", 64, serial.ID5Serpent, wire.Pyro5},
		{"32 pipelined oneway 64B pyro5 msgpack", 32, "pipe", 64, serial.ID5Msgpack, wire.Pyro5},
	}
	if *onlyW != "" {
		want := strings.Split(*onlyW, ",")
		workloads = slices.DeleteFunc(workloads, func(w workload) bool { return !slices.Contains(want, w.name) })
	}
	// every server runs for the whole benchmark and repetitions take
	// turns across targets, so that noise from the machine spreads over
	// all of them instead of hitting one
	procs := make([]proc, len(targets))
	addrs := make([]string, len(targets))
	defer func() {
		for _, p := range procs {
			if p.cmd != nil {
				p.kill()
			}
		}
	}()
	for i, t := range targets {
		p, addr, err := startServer(t, pin)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		procs[i], addrs[i] = p, addr
	}
	res := map[string]map[string][]result{} // workload → target → reps
	for _, w := range workloads {
		t0 := time.Now()
		res[w.name] = map[string][]result{}
		var active []int
		for i, t := range targets {
			if t.kind != kPyro && w.ser != serial.IDSerpent && t.name != "echo-gnet" {
				// the serializer only matters to Pyro4 targets; echo-gnet,
				// the reference of every ratio, runs in every workload so
				// that ratios pair repetitions of the same round
				continue
			}
			if t.kind == kFloor && (w.mode != "seq" || w.size != 64) {
				continue
			}
			if !runsIn(t, w) {
				continue
			}
			if _, err := measure(t, addrs[i], w, *warm, 0); err != nil {
				return fmt.Errorf("%s %s: %w", t.name, w.name, err)
			}
			active = append(active, i)
		}
		for range *reps {
			for _, i := range active {
				t := targets[i]
				r, err := measure(t, addrs[i], w, *dur, procs[i].pid())
				if err != nil {
					return fmt.Errorf("%s %s: %w", t.name, w.name, err)
				}
				res[w.name][t.name] = append(res[w.name][t.name], r)
			}
		}
		fmt.Fprintf(os.Stderr, "%-34s %v\n", w.name, time.Since(t0).Round(time.Millisecond))
	}
	for i := range procs {
		procs[i].kill()
		procs[i].cmd = nil
	}
	rss := map[string]string{}
	if *idle > 0 {
		for _, k := range []string{"gyro-multiplex", "gyro-multicore"} {
			if *only != "" && !strings.Contains(*only, k) {
				continue
			}
			rss[k] = idleRSS(target{k, kPyro, []string{srvBin, "-kind", k}}, pin, *idle)
		}
	}
	allocs := dispatchAllocs()
	var peers string // the Go peers section (gopeers.go)
	if *gopeers {
		if peers, _, err = runGoPeers(srvBin, pin); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	out := io.MultiWriter(os.Stdout, &buf)
	report(out, targets, workloads, res, rss, allocs, pin, time.Since(start))
	io.WriteString(out, peers)
	if *outFile != "" {
		if err := spliceReport(*outFile, buf.Bytes()); err != nil {
			return err
		}
	}
	if *pngFile != "" {
		if err := writePlot(*pngFile, targets, workloads, res); err != nil {
			return err
		}
	}
	return nil
}

// dispatchAllocs runs the engine's session benchmark (parse, decode,
// dispatch, encode, frame; no network) and returns its allocs/op lines.
func dispatchAllocs() []string {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "BenchmarkSessionInvoke", "-benchmem",
		"-benchtime", "20000x", "./engine")
	cmd.Dir = ".." // the engine is in the root module; compare runs in bench/
	out, err := cmd.CombinedOutput()
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "BenchmarkSessionInvoke/") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
	}
	return lines
}

func findPyroScript() string {
	_, file, _, _ := runtime.Caller(0)
	for _, p := range []string{filepath.Join(filepath.Dir(file), "..", "..", "pyro4server.py"), "bench/pyro4server.py"} {
		if _, err := os.Stat(p); err == nil {
			if exec.Command("/usr/bin/python3", "-c", "import Pyro4").Run() == nil {
				return p
			}
		}
	}
	return ""
}

type proc struct{ cmd *exec.Cmd }

func (p proc) pid() int { return p.cmd.Process.Pid }

// kill stops the server: SIGTERM first, so that a profiling server can
// write its profile, then SIGKILL after a grace period.
func (p proc) kill() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

func startServer(t target, pin bool) (proc, string, error) {
	args := t.cmd
	if pin {
		args = append([]string{"taskset", "-c", cpuSrv}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return proc{}, "", err
	}
	if err := cmd.Start(); err != nil {
		return proc{}, "", err
	}
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	for err == nil && !strings.HasPrefix(line, "READY ") {
		line, err = br.ReadString('\n') // skip a server's own logging
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return proc{}, "", fmt.Errorf("server did not start: %q %v", line, err)
	}
	go io.Copy(io.Discard, br)
	return proc{cmd}, strings.TrimSpace(strings.TrimPrefix(line, "READY ")), nil
}

// cpuTime reads utime+stime of pid from /proc.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * time.Second / 100 // USER_HZ
}

// conn is one client connection of any kind.
type conn struct {
	kind   string
	nc     net.Conn
	br     *bufio.Reader
	req    []byte // one call's frame (or raw bytes)
	ow     []byte // a batch of oneway frames
	rc     *rpc.Client
	arg    string
	buf    []byte
	owSize int
	gen5   bool // speaks protocol 502
}

const owBatch = 64

func dial(t target, addr string, w workload) (*conn, error) {
	c := &conn{kind: t.kind, arg: strings.Repeat("x", w.size)}
	if t.kind == kRPC {
		rc, err := rpc.Dial("tcp", addr)
		c.rc = rc
		return c, err
	}
	nc, err := dialNet(t, addr)
	if err != nil {
		return nil, err
	}
	c.nc, c.br = nc, bufio.NewReaderSize(nc, 64<<10)
	if t.kind == kPyro && w.gen == wire.Pyro5 {
		return c, c.dial5(w)
	}
	if w.gen == wire.Pyro5 {
		w.ser = serial.IDSerpent // frame echoes: the reference in Pyro4 frames
	}
	codec, _ := serial.ByID(w.ser)
	if t.kind == kPyro {
		hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", benchobj.ObjectID), nil)
		f, _ := wire.Append(nil, &wire.Message{Type: wire.MsgConnect, SerializerID: uint16(w.ser), Data: hs}, nil)
		if _, err := nc.Write(f); err != nil {
			return nil, err
		}
		m, err := wire.ReadMessage(c.br, nil)
		if err != nil {
			return nil, err
		}
		if m.Type != wire.MsgConnectOK {
			return nil, fmt.Errorf("handshake refused: %v %q", m.Type, m.Data)
		}
	}
	data, err := codec.MarshalCall(nil, &serial.Call{Object: benchobj.ObjectID, Method: "echo", Args: []any{c.arg}, Kwargs: pyval.DictOf()}, nil)
	if err != nil {
		return nil, err
	}
	c.req, _ = wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Seq: 1, SerializerID: uint16(w.ser), Data: data}, nil)
	owData, _ := codec.MarshalCall(nil, &serial.Call{Object: benchobj.ObjectID, Method: "oneway", Args: []any{c.arg}, Kwargs: pyval.DictOf()}, nil)
	one, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagOneway, Seq: 2, SerializerID: uint16(w.ser), Data: owData}, nil)
	c.owSize = len(one)
	if w.mode == "batch" {
		// what Pyro4's batch proxy sends: one <batch> call, flagged
		// BATCH, with None kwargs and the calls as (name, args, kwargs)
		entries := make([]any, owBatch+1)
		for i := range entries {
			entries[i] = pyval.Tuple{"echo", pyval.Tuple{c.arg}, pyval.DictOf()}
		}
		bd, err := codec.MarshalCall(nil, &serial.Call{Object: benchobj.ObjectID, Method: "<batch>", Args: entries, KwargsNone: true}, nil)
		if err != nil {
			return nil, err
		}
		c.ow, _ = wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagBatch, Seq: 3, SerializerID: uint16(w.ser), Data: bd}, nil)
	} else {
		for range owBatch {
			c.ow = append(c.ow, one...)
		}
		c.ow = append(c.ow, c.req...)
	}
	if t.kind == kFloor {
		c.req = c.req[:min(len(c.req), w.size)]
	}
	return c, nil
}

func (c *conn) close() {
	if c.rc != nil {
		c.rc.Close()
	}
	if c.nc != nil {
		c.nc.Close()
	}
}

// call makes one call and waits for its reply.
func (c *conn) call() error {
	if c.rc != nil {
		var reply string
		return c.rc.Call("BenchRPC.Echo", &c.arg, &reply)
	}
	if _, err := c.nc.Write(c.req); err != nil {
		return err
	}
	if c.kind == kFloor {
		c.buf = slices.Grow(c.buf[:0], len(c.req))[:len(c.req)]
		_, err := io.ReadFull(c.br, c.buf)
		return err
	}
	return c.readFrame()
}

func (c *conn) readFrame() error {
	if c.gen5 {
		return c.readFrame5()
	}
	c.buf = slices.Grow(c.buf[:0], wire.HeaderSize)[:wire.HeaderSize]
	if _, err := io.ReadFull(c.br, c.buf); err != nil {
		return err
	}
	h, err := wire.ParseHeader(c.buf)
	if err != nil {
		return err
	}
	if h.Flags&wire.FlagException != 0 {
		return fmt.Errorf("remote exception")
	}
	_, err = c.br.Discard(h.FrameSize() - wire.HeaderSize)
	return err
}

// pipe sends rounds of owBatch oneway calls followed by one normal call,
// in one write, and waits for that call's reply: the oneways are
// pipelined, and the reply bounds the backlog. In the batch workload a
// round is one <batch> call of owBatch+1 echo calls instead. Echo servers
// echo the whole round. net/rpc has neither: it keeps owBatch+1 calls in
// flight.
func (c *conn) pipe(until time.Time) (int64, error) {
	var n int64
	if c.rc != nil {
		done := make(chan *rpc.Call, owBatch+1)
		var reply [owBatch + 1]string
		for time.Now().Before(until) {
			for i := range reply {
				c.rc.Go("BenchRPC.Echo", &c.arg, &reply[i], done)
			}
			for range reply {
				if call := <-done; call.Error != nil {
					return n, call.Error
				}
			}
			n += owBatch + 1
		}
		return n, nil
	}
	for time.Now().Before(until) {
		if _, err := c.nc.Write(c.ow); err != nil {
			return n, err
		}
		if c.kind == kEcho {
			if _, err := c.br.Discard(len(c.ow)); err != nil {
				return n, err
			}
		} else if err := c.readFrame(); err != nil {
			return n, err
		}
		n += owBatch + 1
	}
	return n, nil
}

// measure runs one workload for d and returns its counts.
func measure(t target, addr string, w workload, d time.Duration, pid int) (result, error) {
	conns := make([]*conn, w.conns)
	for i := range conns {
		c, err := dial(t, addr, w)
		if err != nil {
			for _, c := range conns[:i] {
				c.close()
			}
			return result{}, err
		}
		conns[i] = c
	}
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		r     result
		first error
	)
	cpu0 := cpuTime(pid)
	t0 := time.Now()
	until := t0.Add(d)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var n int64
			var err error
			if w.mode == "pipe" || w.mode == "batch" {
				n, err = c.pipe(until)
			} else {
				lat = make([]time.Duration, 0, 1<<14)
				for {
					s := time.Now()
					if s.After(until) {
						break
					}
					if err = c.call(); err != nil {
						break
					}
					lat = append(lat, time.Since(s))
					n++
				}
			}
			mu.Lock()
			r.calls += n
			r.lat = append(r.lat, lat...)
			if err != nil && first == nil {
				first = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(t0)
	r.cpu = cpuTime(pid) - cpu0
	return r, first
}

// idleRSS opens n idle connections to a fresh server and reads its RSS.
func idleRSS(t target, pin bool, n int) string {
	p, addr, err := startServer(t, pin)
	if err != nil {
		return "error: " + err.Error()
	}
	defer p.kill()
	before := rssKB(p.pid())
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fmt.Sprintf("error after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	// let the server accept and register every connection
	for i := 0; i < 50 && countFds(p.pid()) < n; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	rss, fds := rssKB(p.pid()), countFds(p.pid())
	// while they stay open, another client is served
	c, err := dial(t, addr, workload{name: "live client", conns: 1, mode: "seq", size: 64, ser: serial.IDSerpent})
	if err != nil {
		return fmt.Sprintf("error: live client beside %d idle connections: %v", n, err)
	}
	defer c.close()
	const calls = 1000
	start := time.Now()
	for range calls {
		if err := c.call(); err != nil {
			return fmt.Sprintf("error: live client beside %d idle connections: %v", n, err)
		}
	}
	return fmt.Sprintf("%d conns: RSS %.1f MB (%.1f MB before), %d fds; meanwhile %d echo calls of another client took %v",
		n, float64(rss)/1024, float64(before)/1024, fds, calls, time.Since(start).Round(time.Millisecond))
}

func rssKB(pid int) int {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.Atoi(f[1])
			return v
		}
	}
	return 0
}

func countFds(pid int) int {
	e, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	return len(e)
}

// spliceReport replaces what lies between the report markers of a markdown
// file, so the hand-written reading of the figures around them survives a
// regeneration.
func spliceReport(path string, report []byte) error {
	const begin, end = "<!-- report:", "<!-- /report -->"
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i := bytes.Index(old, []byte(begin))
	j := bytes.Index(old, []byte(end))
	if i < 0 || j < i {
		return fmt.Errorf("%s has no report markers", path)
	}
	i += bytes.IndexByte(old[i:], '\n') + 1
	var out bytes.Buffer
	out.Write(old[:i])
	out.Write(report)
	out.Write(old[j:])
	return os.WriteFile(path, out.Bytes(), 0o644)
}
