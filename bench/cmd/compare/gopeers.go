package main

// The Go peers section (issue 16, item 4): a Go client calling a Go server
// end to end, gyro's proxy and daemon against the two a Go user would pick
// instead, net/rpc (gob) and grpc-go (protobuf, unary), all calling an
// echo of the same bytes. Each side has its client shapes: one client
// (connection) per caller, and one shared client that multiplexes the
// callers over one connection (gyro's pipelining proxy, a net/rpc client,
// a grpc ClientConn), plus a small pool of pipelining proxies for gyro.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/rpc"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/benchobj"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

var (
	gopeers    = flag.Bool("gopeers", true, "run the Go peers section: gyro's proxy and daemon vs net/rpc and grpc-go, echo of 64 B, 1 KiB, 64 KiB at 1, 32, 256 callers")
	gpDur      = flag.Duration("gopeers-d", 400*time.Millisecond, "Go peers: measured time per repetition")
	gpReps     = flag.Int("gopeers-reps", 3, "Go peers: repetitions per cell")
	gpTypes    = flag.String("gopeers-gyro", "multiplex,multicore", "Go peers: gyro server types to run (thread too: thread,multiplex,multicore)")
	gpSer      = flag.String("gopeers-ser", "marshal", "Go peers: the serializer of gyro's proxy")
	gpPoolSize = flag.Int("gopeers-pool", 4, "Go peers: pipelining proxies in gyro's pool shape")
	gpCells    = flag.String("gopeers-cells", "", `Go peers: comma-separated cells to run, as "64 B 32x1" (default all)`)
	gpOnly     = flag.String("gopeers-targets", "", "Go peers: comma-separated client names to run, as in the tables (default all)")
)

// grpcEchoMethod is the method bench/cmd/peerserver's peer-grpc serves.
const grpcEchoMethod = "/gyro.bench.Echo/Echo"

// peer families, for the ratios
const (
	famGyro = "gyro"
	famRPC  = "net/rpc"
	famGRPC = "grpc"
)

// shapes of clients
const (
	shapePerCaller = "per-caller" // one client, one connection per caller
	shapeShared    = "shared"     // one client multiplexing every caller over one connection
	shapePool      = "pool"       // gyro: a few pipelining proxies, callers spread round-robin
)

// peerTarget is one client shape against one server process.
type peerTarget struct {
	name, family, shape string
	server              string // the server process, a kind of bench/cmd/server or bench/cmd/peerserver
}

// peerCell is one payload size at one number of callers.
type peerCell struct {
	size, callers int
}

// peerResult is one repetition: the server's CPU is in result.cpu.
type peerResult struct {
	result
	clientCPU time.Duration
}

// peerRow is the summary of one target in one cell, for the report and
// for plots.
type peerRow struct {
	cell              peerCell
	target            peerTarget
	sum               summary
	clientCPU, srvCPU time.Duration // per call
	rs                []result      // the repetitions, for paired ratios
}

var peerSizes = []int{64, 1024, 64 << 10}
var peerCallers = []int{1, 32, 256}

func peerTargets(types []string) []peerTarget {
	var ts []peerTarget
	for _, st := range types {
		srv := "gyro-" + st
		ts = append(ts,
			peerTarget{srv + " per-caller proxies", famGyro, shapePerCaller, srv},
			peerTarget{srv + " pipelined proxy", famGyro, shapeShared, srv},
			peerTarget{srv + " pool of pipelined", famGyro, shapePool, srv})
	}
	return append(ts,
		peerTarget{"net/rpc per-caller clients", famRPC, shapePerCaller, "peer-netrpc"},
		peerTarget{"net/rpc shared client", famRPC, shapeShared, "peer-netrpc"},
		peerTarget{"grpc per-caller ClientConns", famGRPC, shapePerCaller, "peer-grpc"},
		peerTarget{"grpc shared ClientConn", famGRPC, shapeShared, "peer-grpc"})
}

// runGoPeers runs the section and returns its Markdown and its rows. The
// servers are processes of srvBin (gyro) and peerBin (the peers), pinned
// like the others.
func runGoPeers(srvBin, peerBin string, pin bool) (string, []peerRow, error) {
	start := time.Now()
	d, reps, warmD := *gpDur, *gpReps, 100*time.Millisecond
	if *quick {
		d, reps, warmD = min(d, 80*time.Millisecond), min(reps, 2), 20*time.Millisecond
	}
	targets := peerTargets(strings.Split(*gpTypes, ","))
	if *gpOnly != "" {
		want := strings.Split(*gpOnly, ",")
		targets = slices.DeleteFunc(targets, func(t peerTarget) bool { return !slices.Contains(want, t.name) })
	}
	if *profDir != "" {
		// the clients' side: this process
		f, err := os.Create(filepath.Join(*profDir, "gopeers-client.pprof"))
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return "", nil, err
		}
		defer pprof.StopCPUProfile()
	}
	procs := map[string]proc{}
	addrs := map[string]string{}
	defer func() {
		for _, p := range procs {
			p.kill()
		}
	}()
	for _, t := range targets {
		if _, ok := procs[t.server]; ok {
			continue
		}
		bin := srvBin
		if strings.HasPrefix(t.server, "peer-") {
			bin = peerBin
		}
		cmd := []string{bin, "-kind", t.server}
		if t.server == "gyro-thread" {
			// a connection per caller, up to the most callers, on a
			// type whose pool bounds its connections
			cmd = append(cmd, "-threads", strconv.Itoa(slices.Max(peerCallers)+16))
		}
		if *profDir != "" {
			cmd = append(cmd, "-cpuprofile", filepath.Join(*profDir, "gopeers-"+t.server+".pprof"))
		}
		p, addr, err := startServer(target{name: t.server, cmd: cmd}, serverCPUs(pin))
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", t.server, err)
		}
		procs[t.server], addrs[t.server] = p, addr
	}
	var rows []peerRow
	for _, size := range peerSizes {
		for _, callers := range peerCallers {
			cell := peerCell{size, callers}
			if *gpCells != "" && !slices.Contains(strings.Split(*gpCells, ","), cell.String()) {
				continue
			}
			t0 := time.Now()
			res, err := runPeerCell(cell, targets, procs, addrs, d, reps, warmD)
			if err != nil {
				return "", nil, err
			}
			for i, t := range targets {
				rows = append(rows, peerRowOf(cell, t, res[i]))
			}
			fmt.Fprintf(os.Stderr, "gopeers %-14s %v\n", cell, time.Since(t0).Round(time.Millisecond))
		}
	}
	var b strings.Builder
	renderPeers(&b, rows, fmt.Sprintf("per repetition: clients made, warmed up for %v, measured for %v, closed; %d repetitions per cell; gyro serializer %s, pool of %d; took %v",
		warmD, d, reps, *gpSer, *gpPoolSize, time.Since(start).Round(time.Second)))
	return b.String(), rows, nil
}

func (c peerCell) String() string { return fmt.Sprintf("%s %dx1", sizeName(c.size), c.callers) }

func sizeName(n int) string {
	if n >= 1024 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// runPeerCell measures every target in one cell: reps rounds run every
// target in turn, so that ratios pair repetitions seconds apart. A target's
// clients exist only for its turn (made, warmed, measured, closed) and a
// collection runs before the measurement, so the heap one client shape
// leaves (256 connections' buffers) is not scanned on another's time.
func runPeerCell(cell peerCell, targets []peerTarget, procs map[string]proc, addrs map[string]string, d time.Duration, reps int, warmD time.Duration) ([][]peerResult, error) {
	payload := make([]byte, cell.size)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	res := make([][]peerResult, len(targets))
	for range reps {
		for i, t := range targets {
			r, err := peerTurn(t, addrs[t.server], procs[t.server].pid(), cell, payload, d, warmD)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", t.name, cell, err)
			}
			res[i] = append(res[i], r)
		}
	}
	return res, nil
}

// peerTurn is one repetition of target t.
func peerTurn(t peerTarget, addr string, pid int, cell peerCell, payload []byte, d, warmD time.Duration) (peerResult, error) {
	c, err := newPeerClient(t, addr, cell.callers, payload)
	if err != nil {
		return peerResult{}, err
	}
	defer c.close()
	if _, err := measurePeer(c, cell.callers, warmD, 0); err != nil {
		return peerResult{}, fmt.Errorf("warm-up: %w", err)
	}
	runtime.GC()
	return measurePeer(c, cell.callers, d, pid)
}

// peerClient makes calls for callers numbered 0 to callers-1; call is safe
// for concurrent use by different callers.
type peerClient interface {
	call(ctx context.Context, caller int) error
	close()
}

func newPeerClient(t peerTarget, addr string, callers int, payload []byte) (peerClient, error) {
	n := 1 // clients to make
	switch t.shape {
	case shapePerCaller:
		n = callers
	case shapePool:
		n = min(callers, *gpPoolSize)
	}
	switch t.family {
	case famGyro:
		c := &gyroPeer{payload: payload}
		cfg := config.Default()
		cfg.Serializer = *gpSer
		for range n {
			p, err := proxy.New("PYRO:"+benchobj.ObjectID+"@"+addr, proxy.Options{Config: &cfg, Pipeline: t.shape != shapePerCaller})
			if err != nil {
				c.close()
				return nil, err
			}
			c.ps = append(c.ps, p)
		}
		return c, nil
	case famRPC:
		c := &rpcPeer{payload: payload}
		for range n {
			rc, err := rpc.Dial("tcp", addr)
			if err != nil {
				c.close()
				return nil, err
			}
			c.cs = append(c.cs, rc)
		}
		return c, nil
	case famGRPC:
		c := &grpcPeer{req: wrapperspb.Bytes(payload)}
		for range n {
			cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				c.close()
				return nil, err
			}
			c.cs = append(c.cs, cc)
		}
		return c, nil
	}
	return nil, fmt.Errorf("unknown family %q", t.family)
}

var errEcho = errors.New("echo returned something else")

type gyroPeer struct {
	ps      []*proxy.Proxy
	payload []byte
}

func (g *gyroPeer) call(ctx context.Context, caller int) error {
	v, err := g.ps[caller%len(g.ps)].Call(ctx, "echo", g.payload)
	if err != nil {
		return err
	}
	if t, ok := v.(pyval.Tuple); !ok || len(t) != 1 {
		return errEcho
	} else if b, ok := t[0].([]byte); !ok || len(b) != len(g.payload) {
		return errEcho // serpent and json bring bytes back as a dict
	}
	return nil
}

func (g *gyroPeer) close() {
	for _, p := range g.ps {
		p.Close()
	}
}

type rpcPeer struct {
	cs      []*rpc.Client
	payload []byte
}

func (r *rpcPeer) call(_ context.Context, caller int) error {
	var reply []byte
	if err := r.cs[caller%len(r.cs)].Call("Peer.Echo", &r.payload, &reply); err != nil {
		return err
	}
	if len(reply) != len(r.payload) {
		return errEcho
	}
	return nil
}

func (r *rpcPeer) close() {
	for _, c := range r.cs {
		c.Close()
	}
}

type grpcPeer struct {
	cs  []*grpc.ClientConn
	req *wrapperspb.BytesValue
}

func (g *grpcPeer) call(ctx context.Context, caller int) error {
	resp := new(wrapperspb.BytesValue)
	if err := g.cs[caller%len(g.cs)].Invoke(ctx, grpcEchoMethod, g.req, resp); err != nil {
		return err
	}
	if len(resp.Value) != len(g.req.Value) {
		return errEcho
	}
	return nil
}

func (g *grpcPeer) close() {
	for _, c := range g.cs {
		c.Close()
	}
}

// measurePeer runs callers goroutines making sequential calls on c for d.
// The client's CPU is this process's over the run: it is pinned and runs
// nothing else meanwhile.
func measurePeer(c peerClient, callers int, d time.Duration, pid int) (peerResult, error) {
	ctx := context.Background()
	ccpu0 := processCPU()
	r, err := drive(callers, d, pid, func(i int, until time.Time) (int64, []time.Duration, error) {
		return seqCalls(until, callers, func() error { return c.call(ctx, i) })
	})
	return peerResult{result: r, clientCPU: processCPU() - ccpu0}, err
}

func peerRowOf(cell peerCell, t peerTarget, prs []peerResult) peerRow {
	rs := make([]result, len(prs))
	var ccpu time.Duration
	for i, r := range prs {
		rs[i] = r.result
		ccpu += r.clientCPU
	}
	row := peerRow{cell: cell, target: t, sum: summarize(rs), srvCPU: summarize(rs).cpuPerCall, rs: rs}
	var calls int64
	for _, r := range rs {
		calls += r.calls
	}
	if calls > 0 {
		row.clientCPU = ccpu / time.Duration(calls)
	}
	return row
}

// renderPeers writes the section: per payload a table of every target at
// every number of callers, then the ratios of gyro to each peer (best
// shape against best shape, and like for like) and whether gyro is ahead
// everywhere.
func renderPeers(w io.Writer, rows []peerRow, setup string) {
	fmt.Fprintf(w, "## Go peers: echo end to end, gyro vs net/rpc and grpc-go\n\n")
	fmt.Fprintf(w, "Go clients (in the compare process, on the client core) calling Go servers (one process each, on the server core): gyro's proxy calling a gyro daemon's echo, net/rpc (gob) and grpc-go (protobuf `BytesValue`, unary), all echoing the same bytes. Callers are goroutines making sequential calls. Shapes: per-caller = one client and connection per caller; shared = one client for all callers over one connection (gyro: `proxy.Options{Pipeline: true}`; net/rpc: one `*rpc.Client`; grpc: one `ClientConn`); pool = callers spread over a few pipelining proxies. CPU per call: client = getrusage of the compare process, server = /proc/<pid>/stat (10 ms ticks). Ratios: median of the ratios of repetitions run in the same round. %s.\n\n", setup)
	var sizes []int
	for _, r := range rows {
		if !slices.Contains(sizes, r.cell.size) {
			sizes = append(sizes, r.cell.size)
		}
	}
	behind := []string{}
	for _, size := range sizes {
		fmt.Fprintf(w, "### %s\n\n", sizeName(size))
		fmt.Fprintf(w, "| callers | client | calls/s | range | p50 µs | p99 µs | client CPU µs/call | server CPU µs/call |\n")
		fmt.Fprintf(w, "|---:|---|---:|---|---:|---:|---:|---:|\n")
		var callersList []int
		for _, r := range rows {
			if r.cell.size == size && !slices.Contains(callersList, r.cell.callers) {
				callersList = append(callersList, r.cell.callers)
			}
		}
		for _, n := range callersList {
			for _, r := range rows {
				if r.cell.size != size || r.cell.callers != n || !r.sum.ok {
					continue
				}
				fmt.Fprintf(w, "| %d | %s | %.0f | %.0f–%.0f | %s | %s | %s | %s |\n", n, r.target.name, r.sum.rate, r.sum.lo, r.sum.hi,
					us(r.sum.p50), us(r.sum.p99), us(r.clientCPU), us(r.srvCPU))
			}
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "| callers | best gyro | best net/rpc | gyro/net-rpc | best grpc | gyro/grpc | per-caller gyro/net-rpc, gyro/grpc | shared gyro/net-rpc, gyro/grpc |\n")
		fmt.Fprintf(w, "|---:|---|---|---:|---|---:|---:|---:|\n")
		for _, n := range callersList {
			var cellRows []peerRow
			for _, r := range rows {
				if r.cell.size == size && r.cell.callers == n && r.sum.ok {
					cellRows = append(cellRows, r)
				}
			}
			g, rpcB, grpcB := bestOf(cellRows, famGyro), bestOf(cellRows, famRPC), bestOf(cellRows, famGRPC)
			vsRPC, vsGRPC := pairRatio(g, rpcB), pairRatio(g, grpcB)
			like := func(shape string) string {
				gs, rs, cs := shapeOf(cellRows, famGyro, shape), shapeOf(cellRows, famRPC, shape), shapeOf(cellRows, famGRPC, shape)
				return ratio(pairRatio(gs, rs)) + ", " + ratio(pairRatio(gs, cs))
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", n, nameOf(g), nameOf(rpcB), ratio(vsRPC), nameOf(grpcB), ratio(vsGRPC),
				like(shapePerCaller), like(shapeShared))
			for _, v := range []struct {
				peer string
				best *peerRow
				r    float64
			}{{famRPC, rpcB, vsRPC}, {famGRPC, grpcB, vsGRPC}} {
				switch at := fmt.Sprintf("%s %dx1 vs %s", sizeName(size), n, v.peer); {
				case g == nil || v.best == nil:
					behind = append(behind, at+" (not measured)")
				case shown(v.r, 2) < 1: // the verdict goes with the printed figure
					behind = append(behind, fmt.Sprintf("%s (%.2f×)", at, v.r))
				}
			}
		}
		fmt.Fprintln(w)
	}
	if len(behind) == 0 {
		fmt.Fprintf(w, "Goal (gyro's best shape ahead of both peers' best at every payload and concurrency): **met**.\n\n")
	} else {
		fmt.Fprintf(w, "Goal (gyro's best shape ahead of both peers' best at every payload and concurrency): **NOT met**: behind or not measured at %s.\n\n", strings.Join(behind, "; "))
	}
}

// bestOf returns the row of family fam with the highest median rate.
func bestOf(rows []peerRow, fam string) *peerRow {
	var best *peerRow
	for i := range rows {
		if rows[i].target.family == fam && (best == nil || rows[i].sum.rate > best.sum.rate) {
			best = &rows[i]
		}
	}
	return best
}

// shapeOf returns the best row of family fam in shape.
func shapeOf(rows []peerRow, fam, shape string) *peerRow {
	var match []peerRow
	for _, r := range rows {
		if r.target.shape == shape {
			match = append(match, r)
		}
	}
	return bestOf(match, fam)
}

func pairRatio(a, b *peerRow) float64 {
	if a == nil || b == nil {
		return 0
	}
	return rateRatio(a.rs, b.rs, a.sum, b.sum)
}

func nameOf(r *peerRow) string {
	if r == nil {
		return "–"
	}
	return r.target.name
}
