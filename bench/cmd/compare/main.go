// Package main is the compare command. It runs the same workloads, in one invocation, against
// gyro's three server types, Pyro4's and Pyro5's daemons (thread and multiplex), Go's
// net/rpc and raw echo servers of Pyro4's 24-byte framing on gnet, evio
// and gyro's loop, plus a plain ping-pong floor; and Pyro4's test echo
// server against `gyro echoserver` on oneway_echo calls. Servers run as separate
// processes (bench/cmd/server, built twice: with the nometrics tag for the plain gyro targets and
// without it for the +metrics ones; bench/cmd/peerserver for the Go peers; bench/pyro4server.py,
// bench/pyro5server.py), pinned to another
// core than the client when taskset is there. Then two sections: scaling
// with 1 to 10,000 concurrent clients per server type, and the multicore
// type on one core and on two, with a projection to more cores. It prints
// a Markdown report; -out, -readme and -png write it into RESULTS.md, a
// summary into README.md and a plot.
//
//	go run ./bench/cmd/compare            # about 19 minutes
//	go run ./bench/cmd/compare -quick     # about 2 minutes
//	go run ./bench/cmd/compare -targets gyro-thread,echo-gnet \
//		-workloads "32x1 64B serpent" -profile /tmp/prof   # CPU profiles of the servers
//	go run ./bench/cmd/compare -workloads scaling,"multicore cores"   # the sections alone
//
// An A/B of a change in one run, against a server built from the revision
// before it (the machine's speed drifts too much between runs for two
// runs to compare):
//
//	git worktree add /tmp/base HEAD && (cd /tmp/base/bench && go build -tags nometrics -o /tmp/base-server ./cmd/server)
//	go run ./bench/cmd/compare -baseline /tmp/base-server \
//		-targets gyro-multiplex,gyro-multiplex@base,echo-gnet -workloads "32 pipelined batch 64B serpent"
package main

import (
	"bufio"
	"bytes"
	"cmp"
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
	onlyW    = flag.String("workloads", "", "comma-separated workload names, as in the report's headings, and sections \""+scalingSection+"\" and \""+coresSection+"\" (default all)")
	baseBin  = flag.String("baseline", "", "a server binary (bench/cmd/server, built with -tags nometrics as compare builds its own) from another revision: its gyro kinds join the run as <kind>@base, for an A/B of a change in one run")
	profDir  = flag.String("profile", "", "write a CPU profile of each Go server into this directory (<target>.pprof), for go tool pprof")
	idle     = flag.Int("idle", 10000, "idle connections for the RSS check (0 skips it)")
	pinned   = flag.Bool("pin", true, "pin client and servers to separate cores with taskset")
	pyScript = flag.String("pyro4", "", "path of pyro4server.py (default next to this source)")
	outFile  = flag.String("out", "", "also write the report into this markdown file, between its report markers (bench/RESULTS.md)")
	pngFile  = flag.String("png", "", "also draw gyro's calls/s over Pyro's and the raw echo's per workload, and the scaling runs, into this PNG file")
	readme   = flag.String("readme", "", "also write a summary table of the key workloads into this markdown file, between its bench-summary markers (README.md)")
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
	// obj is the object the target serves when it is not bench.py's
	// (the echo servers serve Pyro4's test.echoserver)
	obj string
	// readyPrefix starts the line that gives the target's address
	// ("READY " when empty); what follows is host:port or a PYRO: URI
	readyPrefix string
}

type workload struct {
	name  string
	conns int
	mode  string // seq, inflight, pipe
	size  int
	ser   int // serializer id in the numbering of gen
	gen   int // wire protocol: 0 is Pyro4, wire.Pyro5 speaks protocol 502
	// obj and ow name the object called and, in pipe rounds, its oneway
	// method: bench.py's object and its oneway() when empty
	obj, ow string
	// depth is the number of echo calls a round of mode "calls" writes at
	// once and then reads the replies of
	depth int
}

// object is the id of the object w calls.
func (w workload) object() string {
	if w.obj == "" {
		return benchobj.ObjectID
	}
	return w.obj
}

// onewayMethod is the oneway method a pipe round of w calls.
func (w workload) onewayMethod() string {
	if w.ow == "" {
		return "oneway"
	}
	return w.ow
}

// pipelined reports whether w writes rounds of several calls at once
// (no per-call latency).
func (w workload) pipelined() bool {
	return w.mode == "pipe" || w.mode == "batch" || w.mode == "calls"
}

// perRound is the number of calls in one round of a pipelined workload,
// and replies the number of reply frames a Pyro target sends for it.
func (w workload) perRound() (calls, replies int) {
	if w.mode == "calls" {
		return w.depth, w.depth
	}
	return owBatch + 1, 1
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
	// The gyro daemons run from a build that links neither Prometheus nor
	// grpc-go (see bench/cmd/server's doc), the +metrics ones from one
	// that links Prometheus, the Go peers from bench/cmd/peerserver.
	srvBin, metricsBin, peerBin := filepath.Join(dir, "server"), filepath.Join(dir, "server-metrics"), filepath.Join(dir, "peerserver")
	for _, b := range [][]string{
		{"-tags", "nometrics", "-o", srvBin, "github.com/gyro-rpc/gyro/bench/cmd/server"},
		{"-o", metricsBin, "github.com/gyro-rpc/gyro/bench/cmd/server"},
		{"-o", peerBin, "github.com/gyro-rpc/gyro/bench/cmd/peerserver"},
	} {
		build := exec.Command("go", append([]string{"build"}, b...)...)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building %s: %w", b[len(b)-1], err)
		}
	}
	py := *pyScript
	if py == "" {
		py = findPyroScript()
	}
	workloads := allWorkloads()
	workloads = slices.DeleteFunc(workloads, func(w workload) bool { return !wantSection(w.name) })
	var targets []target
	for _, k := range []string{"gyro-thread", "gyro-multiplex", "gyro-multicore"} {
		targets = append(targets, target{name: k, kind: kPyro, cmd: []string{srvBin, "-kind", k}})
	}
	if *baseBin != "" {
		for _, k := range []string{"gyro-thread", "gyro-multiplex", "gyro-multicore"} {
			targets = append(targets, target{name: k + "@base", kind: kPyro, cmd: []string{*baseBin, "-kind", k}})
		}
	}
	// the same with Prometheus metrics on: the report gives the ratio
	for _, k := range []string{"gyro-thread", "gyro-multiplex", "gyro-multicore"} {
		targets = append(targets, target{name: k + metricsSuffix, kind: kPyro, cmd: []string{metricsBin, "-kind", k, "-metrics"}})
	}
	// and with TLS on: the report gives the TLS/plain ratio
	tlsT, err := tlsTargets(srvBin, dir, gyroKinds)
	if err != nil {
		return err
	}
	targets = append(targets, tlsT...)
	if py != "" {
		for _, st := range []string{"thread", "multiplex"} {
			targets = append(targets, target{name: "pyro4-" + st, kind: kPyro, cmd: []string{"/usr/bin/python3", py, st}})
		}
	}
	targets = append(targets, pyro5Targets()...)
	targets = append(targets, target{name: "netrpc", kind: kRPC, cmd: []string{srvBin, "-kind", "netrpc"}})
	for _, k := range []string{"echo-gnet", "echo-evio", "echo-loop"} {
		targets = append(targets, target{name: k, kind: kEcho, cmd: []string{srvBin, "-kind", k}})
	}
	targets = append(targets, target{name: "pingpong", kind: kFloor, cmd: []string{srvBin, "-kind", "pingpong"}})
	if slices.ContainsFunc(workloads, func(w workload) bool { return w.obj == echoObj }) {
		gyroBin, err := buildGyro(dir)
		if err != nil {
			return err
		}
		targets = append(targets, echoTargets(gyroBin, py != "")...)
	}
	targets = slices.DeleteFunc(targets, func(t target) bool { return !wantTarget(t.name) })
	if len(workloads) == 0 {
		targets = nil // only the sections below were asked for
	}
	if *profDir != "" {
		for i, t := range targets {
			if t.cmd[0] == srvBin || t.cmd[0] == metricsBin || t.cmd[0] == *baseBin {
				targets[i].cmd = append(slices.Clip(t.cmd), "-cpuprofile", filepath.Join(*profDir, t.name+".pprof"))
			}
		}
	}
	// every server runs for the whole benchmark and repetitions take
	// turns across targets, so that noise from the machine spreads over
	// all of them instead of hitting one
	procs, addrs, err := startAll(targets, func(int) string { return serverCPUs(pin) })
	if err != nil {
		return err
	}
	defer killAll(procs)
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
		for rep := range *reps {
			// every other round runs the targets in reverse: the
			// machine's speed drifts within a round too, and a fixed
			// order would hand that drift to the paired ratios as a
			// steady bias of the later targets against the earlier
			for k := range active {
				i := active[k]
				if rep%2 == 1 {
					i = active[len(active)-1-k]
				}
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
	killAll(procs)
	var sec sections
	if wantSection(scalingSection) {
		sts := slices.DeleteFunc(scalingTargets(srvBin, py), func(t target) bool { return !wantTarget(t.name) })
		sec.scale = runScaling(sts, serverCPUs(pin))
	}
	if wantSection(coresSection) && wantTarget("gyro-multicore") {
		if pin {
			if sec.cores, err = runCores(srvBin); err != nil {
				return fmt.Errorf("cores: %w", err)
			}
		} else {
			sec.coresNote = "needs taskset and 2 CPUs to pin the server to one core and then two"
		}
	}
	rss := map[string]string{}
	if *idle > 0 {
		for _, k := range []string{"gyro-multiplex", "gyro-multicore"} {
			if *only != "" && !strings.Contains(*only, k) {
				continue
			}
			rss[k] = idleRSS(target{name: k, kind: kPyro, cmd: []string{srvBin, "-kind", k}}, pin, *idle)
		}
	}
	allocs := dispatchAllocs()
	var peers string // the Go peers section (gopeers.go)
	if *gopeers {
		if peers, _, err = runGoPeers(srvBin, peerBin, pin); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	out := io.MultiWriter(os.Stdout, &buf)
	report(out, targets, workloads, res, sec, rss, allocs, pin, time.Since(start))
	io.WriteString(out, peers)
	if *outFile != "" {
		if err := spliceFile(*outFile, reportBegin, reportEnd, buf.Bytes()); err != nil {
			return err
		}
	}
	if *readme != "" {
		table := summaryTable(workloads, res, sec.scale, start)
		if err := spliceFile(*readme, summaryBegin, summaryEnd, []byte(table)); err != nil {
			return err
		}
	}
	if *pngFile != "" {
		if err := writePlot(*pngFile, workloads, res, sec.scale); err != nil {
			return err
		}
	}
	return nil
}

// allWorkloads are the workloads of a full run, in the report's order.
func allWorkloads() []workload {
	return []workload{
		{name: "seq 64B serpent", conns: 1, mode: "seq", size: 64, ser: serial.IDSerpent},
		{name: "seq 64B marshal", conns: 1, mode: "seq", size: 64, ser: serial.IDMarshal},
		{name: "seq 64B json", conns: 1, mode: "seq", size: 64, ser: serial.IDJSON},
		{name: "seq 1KiB serpent", conns: 1, mode: "seq", size: 1024, ser: serial.IDSerpent},
		{name: "32x1 64B serpent", conns: 32, mode: "inflight", size: 64, ser: serial.IDSerpent},
		{name: "32x1 64B marshal", conns: 32, mode: "inflight", size: 64, ser: serial.IDMarshal},
		{name: "32x1 64B json", conns: 32, mode: "inflight", size: 64, ser: serial.IDJSON},
		{name: "32x1 1KiB serpent", conns: 32, mode: "inflight", size: 1024, ser: serial.IDSerpent},
		{name: "32 pipelined oneway 64B serpent", conns: 32, mode: "pipe", size: 64, ser: serial.IDSerpent},
		{name: "32 pipelined batch 64B serpent", conns: 32, mode: "batch", size: 64, ser: serial.IDSerpent},
		// 16 normal calls in flight on each connection, written at once
		{name: pipelinedCalls, conns: 32, mode: "calls", depth: 16, size: 64, ser: serial.IDSerpent},
		// Pyro4's test echo server against gyro echoserver (echoTargets)
		{name: onewayEchoWorkload, conns: 32, mode: "pipe", size: 64, ser: serial.IDSerpent, obj: echoObj, ow: "oneway_echo"},
		// Pyro5 clients of gyro's types, with Pyro5's own daemon as the
		// reference (runsIn: Pyro4's daemon cannot speak protocol 502)
		{name: "seq 64B pyro5 serpent", conns: 1, mode: "seq", size: 64, ser: serial.ID5Serpent, gen: wire.Pyro5},
		{name: "seq 64B pyro5 msgpack", conns: 1, mode: "seq", size: 64, ser: serial.ID5Msgpack, gen: wire.Pyro5},
		{name: "32x1 64B pyro5 serpent", conns: 32, mode: "inflight", size: 64, ser: serial.ID5Serpent, gen: wire.Pyro5},
		{name: "32x1 64B pyro5 msgpack", conns: 32, mode: "inflight", size: 64, ser: serial.ID5Msgpack, gen: wire.Pyro5},
		{name: "32 pipelined oneway 64B pyro5 serpent", conns: 32, mode: "pipe", size: 64, ser: serial.ID5Serpent, gen: wire.Pyro5},
		{name: "32 pipelined oneway 64B pyro5 msgpack", conns: 32, mode: "pipe", size: 64, ser: serial.ID5Msgpack, gen: wire.Pyro5},
	}
}

// wantTarget reports whether -targets selects the target named name.
func wantTarget(name string) bool {
	return *only == "" || slices.Contains(strings.Split(*only, ","), name)
}

// wantSection reports whether -workloads selects a workload or section.
func wantSection(name string) bool {
	return *onlyW == "" || slices.Contains(strings.Split(*onlyW, ","), name)
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

// startAll starts every target, target i pinned to cpus(i), and returns
// them with their addresses; on an error it stops those it started.
func startAll(ts []target, cpus func(i int) string) ([]proc, []string, error) {
	procs := make([]proc, len(ts))
	addrs := make([]string, len(ts))
	for i, t := range ts {
		p, addr, err := startServer(t, cpus(i))
		if err != nil {
			killAll(procs)
			return nil, nil, fmt.Errorf("%s: %w", t.name, err)
		}
		procs[i], addrs[i] = p, addr
	}
	return procs, addrs, nil
}

// killAll stops the servers that still run.
func killAll(procs []proc) {
	for i := range procs {
		if procs[i].cmd != nil {
			procs[i].kill()
			procs[i].cmd = nil
		}
	}
}

// serverCPUs is the CPU list servers are pinned to, "" when not pinned.
func serverCPUs(pin bool) string {
	if pin {
		return cpuSrv
	}
	return ""
}

// startServer starts a target pinned to the CPU list cpus ("" for none)
// and returns it with the address its ready line gives.
func startServer(t target, cpus string) (proc, string, error) {
	args := t.cmd
	if cpus != "" {
		args = append([]string{"taskset", "-c", cpus}, args...)
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
	prefix := cmp.Or(t.readyPrefix, "READY ")
	line, err := br.ReadString('\n')
	for err == nil && !strings.HasPrefix(line, prefix) {
		line, err = br.ReadString('\n') // skip a server's own logging
	}
	addr, aerr := readyAddr(strings.TrimSpace(strings.TrimPrefix(line, prefix)))
	if err != nil || aerr != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return proc{}, "", fmt.Errorf("server did not start: %q %v", line, cmp.Or(err, aerr))
	}
	go io.Copy(io.Discard, br)
	return proc{cmd}, addr, nil
}

// readyAddr is the host:port of a ready line's address, which is either
// that or a PYRO: URI (the echo servers print their object's URI).
func readyAddr(s string) (string, error) {
	if !strings.HasPrefix(s, "PYRO:") {
		return s, nil
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", fmt.Errorf("no location in URI %q", s)
	}
	addr := s[at+1:]
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", fmt.Errorf("URI %q: %w", s, err)
	}
	return addr, nil
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
	kind string
	nc   net.Conn
	br   *bufio.Reader
	req  []byte // one call's frame (or raw bytes)
	ow   []byte // a pipelined round of frames
	rc   *rpc.Client
	arg  string
	buf  []byte
	gen5 bool // speaks protocol 502
}

const owBatch = 64

// pipelinedCalls is the workload of 16 normal calls in flight on each of
// 32 connections.
const pipelinedCalls = "32x16 pipelined 64B serpent"

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
	// thousands of connections of the scaling runs each answer one small
	// call at a time: a small buffer keeps the client's memory in check
	bufSize := 64 << 10
	if w.conns > 64 {
		bufSize = 4 << 10
	}
	c.nc, c.br = nc, bufio.NewReaderSize(nc, bufSize)
	if t.kind == kPyro && w.gen == wire.Pyro5 {
		return c, c.dial5(w)
	}
	if w.gen == wire.Pyro5 {
		w.ser = serial.IDSerpent // frame echoes: the reference in Pyro4 frames
	}
	codec, _ := serial.ByID(w.ser)
	obj := w.object()
	if t.kind == kPyro {
		hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", obj), nil)
		f, _ := wire.Append(nil, &wire.Message{Type: wire.MsgConnect, SerializerID: uint16(w.ser), Data: hs}, nil)
		if _, err := nc.Write(f); err != nil {
			nc.Close()
			return nil, err
		}
		m, err := wire.ReadMessage(c.br, nil)
		if err != nil {
			nc.Close()
			return nil, err
		}
		if m.Type != wire.MsgConnectOK {
			nc.Close()
			return nil, fmt.Errorf("handshake refused: %v %q", m.Type, m.Data)
		}
	}
	data, err := codec.MarshalCall(nil, &serial.Call{Object: obj, Method: "echo", Args: []any{c.arg}, Kwargs: pyval.DictOf()}, nil)
	if err != nil {
		return nil, err
	}
	c.req, _ = wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Seq: 1, SerializerID: uint16(w.ser), Data: data}, nil)
	switch w.mode {
	case "batch":
		// what Pyro4's batch proxy sends: one <batch> call, flagged
		// BATCH, with None kwargs and the calls as (name, args, kwargs)
		entries := make([]any, owBatch+1)
		for i := range entries {
			entries[i] = pyval.Tuple{"echo", pyval.Tuple{c.arg}, pyval.DictOf()}
		}
		bd, err := codec.MarshalCall(nil, &serial.Call{Object: obj, Method: "<batch>", Args: entries, KwargsNone: true}, nil)
		if err != nil {
			return nil, err
		}
		c.ow, _ = wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagBatch, Seq: 3, SerializerID: uint16(w.ser), Data: bd}, nil)
	case "pipe":
		owData, _ := codec.MarshalCall(nil, &serial.Call{Object: obj, Method: w.onewayMethod(), Args: []any{c.arg}, Kwargs: pyval.DictOf()}, nil)
		one, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagOneway, Seq: 2, SerializerID: uint16(w.ser), Data: owData}, nil)
		for range owBatch {
			c.ow = append(c.ow, one...)
		}
		c.ow = append(c.ow, c.req...)
	case "calls":
		// depth normal calls in one write, as a client with that many
		// calls in flight on one connection sends them
		for range w.depth {
			c.ow = append(c.ow, c.req...)
		}
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

// pipe sends rounds in one write each and waits for their replies. In the
// pipe workloads a round is owBatch oneway calls followed by one normal
// call, and only that call's reply is awaited: the oneways are pipelined,
// and the reply bounds the backlog. In the batch workload a round is one
// <batch> call of owBatch+1 echo calls instead, and in the calls workload
// w.depth normal calls, each answered. Echo servers echo the whole round.
// net/rpc has neither oneway nor batch: it keeps a round's calls in
// flight.
func (c *conn) pipe(until time.Time, w workload) (int64, error) {
	var n int64
	calls, replies := w.perRound()
	if c.rc != nil {
		done := make(chan *rpc.Call, calls)
		reply := make([]string, calls)
		for time.Now().Before(until) {
			for i := range reply {
				c.rc.Go("BenchRPC.Echo", &c.arg, &reply[i], done)
			}
			for range reply {
				if call := <-done; call.Error != nil {
					return n, call.Error
				}
			}
			n += int64(calls)
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
		} else {
			for range replies {
				if err := c.readFrame(); err != nil {
					return n, err
				}
			}
		}
		n += int64(calls)
	}
	return n, nil
}

// measure runs one workload for d on fresh connections and returns its
// counts.
func measure(t target, addr string, w workload, d time.Duration, pid int) (result, error) {
	conns, err := dialAll(t, addr, w, w.conns)
	if err != nil {
		return result{}, err
	}
	defer closeAll(conns)
	return load(conns, w, d, pid)
}

// dialAll opens n connections to a target, a few at a time so that
// thousands of them do not overflow the server's accept queue.
func dialAll(t target, addr string, w workload, n int) ([]*conn, error) {
	conns := make([]*conn, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			conns[i], errs[i] = dial(t, addr, w)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("connection %d of %d: %w", i+1, n, err)
		}
	}
	return conns, nil
}

func closeAll(conns []*conn) {
	for _, c := range conns {
		if c != nil {
			c.close()
		}
	}
}

// load runs w on open connections for d and returns its counts, with the
// CPU time of process pid (0: none) over that time.
func load(conns []*conn, w workload, d time.Duration, pid int) (result, error) {
	return drive(len(conns), d, pid, func(i int, until time.Time) (int64, []time.Duration, error) {
		if w.pipelined() {
			n, err := conns[i].pipe(until, w)
			return n, nil, err
		}
		return seqCalls(until, len(conns), conns[i].call)
	})
}

// drive runs work on n goroutines for d and sums what they did: calls,
// latencies and the first error; the CPU is pid's over the run (none
// without a pid).
func drive(n int, d time.Duration, pid int, work func(i int, until time.Time) (int64, []time.Duration, error)) (result, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		r     result
		first error
	)
	var cpu0 time.Duration
	if pid > 0 {
		cpu0 = cpuTime(pid)
	}
	t0 := time.Now()
	until := t0.Add(d)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls, lat, err := work(i, until)
			mu.Lock()
			r.calls += calls
			r.lat = append(r.lat, lat...)
			if err != nil && first == nil {
				first = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(t0)
	if pid > 0 {
		r.cpu = cpuTime(pid) - cpu0
	}
	return r, first
}

// seqCalls makes call after call until until, timing each; of is how many
// goroutines do so at once, which sizes the latencies kept up front.
func seqCalls(until time.Time, of int, call func() error) (int64, []time.Duration, error) {
	// a latency per call: room for a short run up front with few
	// callers, grown on demand with many
	latCap := 1 << 14
	if of > 64 {
		latCap = 64
	}
	lat := make([]time.Duration, 0, latCap)
	for {
		s := time.Now()
		if s.After(until) {
			return int64(len(lat)), lat, nil
		}
		if err := call(); err != nil {
			return int64(len(lat)), lat, err
		}
		lat = append(lat, time.Since(s))
	}
}

// idleRSS opens n idle connections to a fresh server and reads its RSS.
func idleRSS(t target, pin bool, n int) string {
	p, addr, err := startServer(t, serverCPUs(pin))
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
