package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gyro-rpc/gyro/serial"
)

// The scaling section: calls/s and latency of N concurrent sequential
// clients (a connection each, one call at a time) per server type, and
// the multicore type on one core against two.

// scalingSection and coresSection name the sections for -workloads.
const (
	scalingSection = "scaling"
	coresSection   = "multicore cores"
)

// scaleLevels are the numbers of concurrent clients of the scaling
// section.
var scaleLevels = []int{1, 32, 1000, 10000}

// scaleWorkload is one echo call of 64 B serpent at a time on each of n
// connections.
func scaleWorkload(n int) workload {
	return workload{name: fmt.Sprintf("%d clients", n), conns: n, mode: "seq", size: 64, ser: serial.IDSerpent}
}

// scaleCell is one target at one number of clients.
type scaleCell struct {
	target string
	conns  int
	s      summary
	dial   time.Duration // how long opening the connections took
	note   string        // why it did not run, or what failed
}

// scalingTargets are the servers of the scaling section: gyro's types and
// Pyro4's multiplex daemon. The thread type serves a connection per
// goroutine up to THREADPOOL_SIZE, so it gets room for the most clients.
func scalingTargets(srvBin, py string) []target {
	pool := strconv.Itoa(slices.Max(scaleLevels) + 100)
	ts := []target{
		{name: "gyro-thread", kind: kPyro, cmd: []string{srvBin, "-kind", "gyro-thread", "-threads", pool}},
		{name: "gyro-multiplex", kind: kPyro, cmd: []string{srvBin, "-kind", "gyro-multiplex"}},
		{name: "gyro-multicore", kind: kPyro, cmd: []string{srvBin, "-kind", "gyro-multicore"}},
	}
	if py != "" {
		ts = append(ts, target{name: "pyro4-multiplex", kind: kPyro, cmd: []string{"/usr/bin/python3", py, "multiplex"}})
	}
	return ts
}

// runScaling measures every target at every level, each target on a
// fresh server that holds all the clients of a level at once.
func runScaling(targets []target, cpus string) []scaleCell {
	var cells []scaleCell
	for _, t := range targets {
		t0 := time.Now()
		p, addr, err := startServer(t, cpus)
		if err != nil {
			for _, n := range scaleLevels { // a cell per level, as for any failure
				cells = append(cells, scaleCell{target: t.name, conns: n, note: "did not start: " + err.Error()})
			}
			continue
		}
		for _, n := range scaleLevels {
			c := scaleCell{target: t.name, conns: n}
			c.s, c.dial, err = scaleOne(t, addr, n, p.pid())
			if err != nil {
				c.note = err.Error()
			}
			cells = append(cells, c)
		}
		p.kill()
		fmt.Fprintf(os.Stderr, "%-34s %v\n", "scaling "+t.name, time.Since(t0).Round(time.Millisecond))
	}
	return cells
}

// scaleOne opens n clients, warms them up and measures *reps repetitions
// on the same connections.
func scaleOne(t target, addr string, n, pid int) (summary, time.Duration, error) {
	w := scaleWorkload(n)
	d0 := time.Now()
	conns, err := dialAll(t, addr, w, n)
	if err != nil {
		return summary{}, 0, err
	}
	defer closeAll(conns)
	took := time.Since(d0)
	if _, err := load(conns, w, *warm, 0); err != nil {
		return summary{}, took, err
	}
	var rs []result
	for range *reps {
		r, err := load(conns, w, *dur, pid)
		if err != nil {
			return summary{}, took, err
		}
		rs = append(rs, r)
	}
	return summarize(rs), took, nil
}

// coresRun is the multicore type on one core and on two, and the raw
// gnet echo on one core, with the same client, on one workload.
type coresRun struct {
	workload      string
	one, two, gnt []result
}

// coresWorkloads are the workloads of the cores section.
func coresWorkloads() []workload {
	return []workload{
		{name: "32x1 64B serpent", conns: 32, mode: "inflight", size: 64, ser: serial.IDSerpent},
		scaleWorkload(1000),
	}
}

// Names of the cores section's servers.
const (
	mc1  = "gyro-multicore, 1 core"
	mc2  = "gyro-multicore, 2 cores"
	gnt1 = "echo-gnet, 1 core"
)

// runCores runs gyro-multicore pinned to the server's core and allowed
// both cores (which the client, on CPU 0, then shares), and echo-gnet on
// the server's core as the ceiling of what the client can drive; rounds
// take turns as in the main workloads, so that ratios pair repetitions.
func runCores(srvBin string) ([]coresRun, error) {
	servers := []target{
		{name: mc1, kind: kPyro, cmd: []string{srvBin, "-kind", "gyro-multicore"}},
		{name: mc2, kind: kPyro, cmd: []string{srvBin, "-kind", "gyro-multicore"}},
		{name: gnt1, kind: kEcho, cmd: []string{srvBin, "-kind", "echo-gnet"}},
	}
	procs, addrs, err := startAll(servers, func(i int) string {
		if servers[i].name == mc2 {
			return cpuClnt + "," + cpuSrv
		}
		return cpuSrv
	})
	if err != nil {
		return nil, err
	}
	defer killAll(procs)
	var out []coresRun
	for _, w := range coresWorkloads() {
		t0 := time.Now()
		conns := make([][]*conn, len(servers))
		for i, s := range servers {
			cs, err := dialAll(s, addrs[i], w, w.conns)
			if err != nil {
				for _, cs := range conns {
					closeAll(cs)
				}
				return nil, fmt.Errorf("%s %s: %w", s.name, w.name, err)
			}
			conns[i] = cs
			if _, err := load(cs, w, *warm, 0); err != nil {
				return nil, fmt.Errorf("%s %s: %w", s.name, w.name, err)
			}
		}
		run := coresRun{workload: w.name}
		for range *reps {
			for i, s := range servers {
				r, err := load(conns[i], w, *dur, procs[i].pid())
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", s.name, w.name, err)
				}
				switch s.name {
				case mc1:
					run.one = append(run.one, r)
				case mc2:
					run.two = append(run.two, r)
				default:
					run.gnt = append(run.gnt, r)
				}
			}
		}
		for _, cs := range conns {
			closeAll(cs)
		}
		out = append(out, run)
		fmt.Fprintf(os.Stderr, "%-34s %v\n", "cores "+w.name, time.Since(t0).Round(time.Millisecond))
	}
	return out, nil
}

// The projection to more cores is Amdahl's law fitted to the one
// measured step: a speedup s2 from one core to two gives the parallel
// fraction p = 2(1 - 1/s2), and n cores speed up by 1/((1-p) + p/n).
// The projected rate is capped by the ceiling, what the one-core client
// drives against a server that does nothing but echo.

// amdahlFraction is the parallel fraction that explains speedup s2 on two
// cores, within [0, 1].
func amdahlFraction(s2 float64) float64 {
	if s2 <= 0 {
		return 0
	}
	return math.Min(1, math.Max(0, 2*(1-1/s2)))
}

// amdahlSpeedup is the speedup on n cores of a parallel fraction p.
func amdahlSpeedup(p float64, n int) float64 {
	return 1 / ((1 - p) + p/float64(n))
}

// projectRate projects the one-core rate to n cores from the measured
// two-core speedup, capped by ceiling (0: none) or by rate1 when the
// client drove that much; capped reports the cap.
func projectRate(rate1, s2, ceiling float64, n int) (rate float64, capped bool) {
	rate = rate1 * amdahlSpeedup(amdahlFraction(s2), n)
	if ceiling > 0 {
		ceiling = max(ceiling, rate1)
	}
	if ceiling > 0 && rate > ceiling {
		return ceiling, true
	}
	return rate, false
}

// sections are the report's parts beyond the per-workload tables.
type sections struct {
	scale     []scaleCell
	cores     []coresRun
	coresNote string // why the cores section did not run
}

// reportScaling writes the scaling table: a row per target, a column per
// number of clients.
func reportScaling(w io.Writer, cells []scaleCell) {
	if len(cells) == 0 {
		return
	}
	fmt.Fprintf(w, "## Scaling with connections\n\n")
	fmt.Fprintf(w, "Concurrent sequential clients, each a connection making one 64 B serpent echo call at a time, all opened before the measured repetitions and kept across them; one client process on CPU %s (goroutines), the server on CPU %s. Cells: calls/s of the median repetition, p99 latency, server CPU µs per call.\n\n", cpuClnt, cpuSrv)
	fmt.Fprintf(w, "| target |")
	for _, n := range scaleLevels {
		fmt.Fprintf(w, " %s |", clients(n))
	}
	fmt.Fprintf(w, "\n|---|")
	for range scaleLevels {
		fmt.Fprintf(w, "---:|")
	}
	fmt.Fprintln(w)
	var notes []string
	for _, t := range scaleTargetsOf(cells) {
		fmt.Fprintf(w, "| %s |", t)
		for _, n := range scaleLevels {
			c, ok := scaleCellOf(cells, t, n)
			switch {
			case !ok:
				fmt.Fprintf(w, " – |")
			case c.note != "":
				fmt.Fprintf(w, " – (%d) |", len(notes)+1)
				notes = append(notes, fmt.Sprintf("%s at %s clients: %s", t, thousands(n), c.note))
			default:
				fmt.Fprintf(w, " %.0f/s, p99 %s, %s µs |", c.s.rate, fmtLatency(c.s.p99), us(c.s.cpuPerCall))
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	for i, n := range notes {
		fmt.Fprintf(w, "%d. %s\n", i+1, n)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Not run: Pyro4's thread daemon, whose THREADPOOL_SIZE (200 here) bounds its connections, so it refuses the larger levels by design.\n\n")
}

// scaleTargetsOf lists the targets of the cells in their order.
func scaleTargetsOf(cells []scaleCell) []string {
	var ts []string
	for _, c := range cells {
		if !slices.Contains(ts, c.target) {
			ts = append(ts, c.target)
		}
	}
	return ts
}

func scaleCellOf(cells []scaleCell, target string, n int) (scaleCell, bool) {
	for _, c := range cells {
		if c.target == target && c.conns == n {
			return c, true
		}
	}
	return scaleCell{}, false
}

// scalingLine is the targets list's line on the scaling table: every
// gyro type serves every level.
func scalingLine(cells []scaleCell) string {
	if len(cells) == 0 {
		return ""
	}
	var failed []string
	for _, c := range cells {
		if strings.HasPrefix(c.target, "gyro-") && (c.note != "" || c.s.rate == 0) {
			failed = append(failed, fmt.Sprintf("%s at %s", c.target, thousands(c.conns)))
		}
	}
	line := fmt.Sprintf("- scaling: every gyro type serves 1 to %s concurrent clients (\"Scaling with connections\")", thousands(slices.Max(scaleLevels)))
	if len(failed) > 0 {
		return line + ": NOT met (" + strings.Join(failed, ", ") + ")"
	}
	return line + ": met"
}

// reportCores writes the multicore type's one-core and two-core figures
// and the projection to more cores.
func reportCores(w io.Writer, sec sections) {
	if sec.coresNote != "" {
		fmt.Fprintf(w, "## gyro-multicore on 1 and 2 cores\n\nNot run: %s\n\n", sec.coresNote)
		return
	}
	if len(sec.cores) == 0 {
		return
	}
	fmt.Fprintf(w, "## gyro-multicore on 1 and 2 cores\n\n")
	fmt.Fprintf(w, "The same server pinned to CPU %s (1 core) and allowed CPUs %s,%s (2 cores; gnet then runs one event loop per core). The client stays on CPU %s, so with 2 cores the server shares a core with its client: the factor understates what a second core of its own would give. echo-gnet on CPU %s, a server that only echoes frames, shows what this one-core client can drive at all.\n\n", cpuSrv, cpuClnt, cpuSrv, cpuClnt, cpuSrv)
	fmt.Fprintf(w, "| workload | 1 core calls/s | 2 cores calls/s | factor 2/1 | server CPU µs/call, 1 core | 2 cores | server cores busy, 1 core | 2 cores | echo-gnet (1 core) calls/s |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var bound []string
	for _, r := range sec.cores {
		s1, s2, sg := summarize(r.one), summarize(r.two), summarize(r.gnt)
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %s | %s | %s | %.2f | %.2f | %.0f |\n", r.workload, s1.rate, s2.rate,
			ratio(rateRatio(r.two, r.one, s2, s1)), us(s1.cpuPerCall), us(s2.cpuPerCall),
			busy(s1), busy(s2), sg.rate)
		if clientBound(s1.rate, sg.rate) {
			bound = append(bound, r.workload)
		}
	}
	fmt.Fprintln(w)
	if len(bound) > 0 {
		fmt.Fprintf(w, "Client-bound on 1 core (%s): the 1-core server already runs at %.0f%% or more of the rate the client reaches against echo-gnet, so a second core cannot raise calls/s here, and the factor says more about this machine (2 CPUs, one of them the client's) than about the server; the CPU-cost model below does not depend on it.\n\n",
			strings.Join(bound, ", "), 100*clientBoundShare)
	}
	fmt.Fprintf(w, "### Projection to 16 and 64 cores (a model, not a measurement)\n\n")
	fmt.Fprintf(w, "Two models, from the figures above. Amdahl: the factor s from 1 to 2 cores gives the parallel fraction p = 2(1 − 1/s) (within 0–1), and n cores give 1/((1 − p) + p/n) times the 1-core rate; the 2-core step shares a core with the client, so p is a low estimate. CPU cost: n cores, all busy serving, divided by the server CPU per call measured on 2 cores (where the loops already pay for running on several cores); an upper bound that assumes the work spreads evenly and nothing else is shared. Either is then capped by what the one-core client of this run drives against echo-gnet; a real run on such a machine needs a client as big, and meets the loopback's and the kernel's own limits, which neither model has.\n\n")
	fmt.Fprintf(w, "| workload | p | Amdahl 16 / 64 cores | CPU cost 16 / 64 cores | capped by this client, Amdahl / CPU cost at 64 cores |\n")
	fmt.Fprintf(w, "|---|---:|---|---|---|\n")
	for _, r := range sec.cores {
		s1, s2, sg := summarize(r.one), summarize(r.two), summarize(r.gnt)
		f := rateRatio(r.two, r.one, s2, s1)
		p := amdahlFraction(f)
		am64, amCapped := projectRate(s1.rate, f, sg.rate, 64)
		cost64 := cpuCostRate(s2.cpuPerCall, 64)
		costCapped := min(cost64, max(sg.rate, s1.rate))
		fmt.Fprintf(w, "| %s | %.2f | %.0f / %.0f | %.0f / %.0f | %s / %s |\n", r.workload, p,
			s1.rate*amdahlSpeedup(p, 16), s1.rate*amdahlSpeedup(p, 64),
			cpuCostRate(s2.cpuPerCall, 16), cost64,
			cappedStr(am64, amCapped), cappedStr(costCapped, costCapped < cost64))
	}
	fmt.Fprintln(w)
}

// clientBoundShare is the share of the client's ceiling above which the
// one-core server counts as client-bound.
const clientBoundShare = 0.9

func clientBound(rate1, ceiling float64) bool {
	return ceiling > 0 && rate1 >= clientBoundShare*ceiling
}

// busy is how many cores the server kept busy: calls/s × CPU per call.
func busy(s summary) float64 { return s.rate * s.cpuPerCall.Seconds() }

// cpuCostRate is the rate n busy cores serve at cpu per call (0 when cpu
// was not measured).
func cpuCostRate(cpu time.Duration, n int) float64 {
	if cpu <= 0 {
		return 0
	}
	return float64(n) / cpu.Seconds()
}

func cappedStr(rate float64, capped bool) string {
	if capped {
		return fmt.Sprintf("%.0f (client-bound)", rate)
	}
	return fmt.Sprintf("%.0f", rate)
}

func clients(n int) string {
	if n == 1 {
		return "1 client"
	}
	return thousands(n) + " clients"
}

// thousands writes n with a comma between thousands.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fmtLatency is a latency in µs below a millisecond, in ms above.
func fmtLatency(d time.Duration) string {
	if d < time.Millisecond {
		return us(d) + " µs"
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
