package main

import (
	"strings"
	"testing"
	"time"
)

// peerRows builds rows of one 64 B cell per number of callers from call
// counts per second, one repetition each.
func peerRows(rates map[int]map[string]int64) []peerRow {
	targets := peerTargets([]string{"multiplex"})
	var rows []peerRow
	for _, callers := range []int{1, 32} {
		for _, t := range targets {
			n, ok := rates[callers][t.name]
			if !ok {
				continue
			}
			r := peerResult{result: result{calls: n, elapsed: time.Second, cpu: time.Duration(n) * time.Microsecond,
				lat: []time.Duration{10 * time.Microsecond}}, clientCPU: 2 * time.Duration(n) * time.Microsecond}
			rows = append(rows, peerRowOf(peerCell{64, callers}, t, []peerResult{r}))
		}
	}
	return rows
}

func TestRenderPeers(t *testing.T) {
	rows := peerRows(map[int]map[string]int64{
		1: {
			"gyro-multiplex per-caller proxies": 300, "gyro-multiplex pipelined proxy": 200,
			"net/rpc per-caller clients": 150, "net/rpc shared client": 100,
			"grpc per-caller ClientConns": 50, "grpc shared ClientConn": 120,
		},
		32: {
			"gyro-multiplex per-caller proxies": 100, "gyro-multiplex pipelined proxy": 400,
			"net/rpc shared client":  500,
			"grpc shared ClientConn": 200,
		},
	})
	var b strings.Builder
	renderPeers(&b, rows, "test setup")
	out := b.String()
	for _, want := range []string{
		"### 64 B\n",
		"| 1 | gyro-multiplex per-caller proxies | 300 | 300–300 | 10.0 | 10.0 | 2.00 | 1.00 |\n",
		// best against best: 300/150 and 300/120; like for like per-caller
		// 300/150, 300/50; shared 200/100, 200/120
		"| 1 | gyro-multiplex per-caller proxies | net/rpc per-caller clients | 2.00× | grpc shared ClientConn | 2.50× | 2.00×, 6.00× | 2.00×, 1.67× |\n",
		// no per-caller peers at 32: those ratios are missing
		"| 32 | gyro-multiplex pipelined proxy | net/rpc shared client | 0.80× | grpc shared ClientConn | 2.00× | –, – | 0.80×, 2.00× |\n",
		"**NOT met**: behind or not measured at 64 B 32x1 vs net/rpc (0.80×).",
		"test setup",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}

	rows = peerRows(map[int]map[string]int64{1: {"gyro-multiplex pipelined proxy": 200, "net/rpc shared client": 100, "grpc shared ClientConn": 100}})
	b.Reset()
	renderPeers(&b, rows, "")
	if !strings.Contains(b.String(), "at every payload and concurrency): **met**.") {
		t.Errorf("goal not met in\n%s", b.String())
	}

	// the verdict goes with the printed ratio: 998 against 1000 prints 1.00×
	rows = peerRows(map[int]map[string]int64{1: {"gyro-multiplex pipelined proxy": 998, "net/rpc shared client": 1000, "grpc shared ClientConn": 100}})
	b.Reset()
	renderPeers(&b, rows, "")
	if !strings.Contains(b.String(), "at every payload and concurrency): **met**.") {
		t.Errorf("a ratio printed 1.00× judged behind in\n%s", b.String())
	}
	// a peer that was not measured is no win
	rows = peerRows(map[int]map[string]int64{1: {"gyro-multiplex pipelined proxy": 200, "net/rpc shared client": 100}})
	b.Reset()
	renderPeers(&b, rows, "")
	if !strings.Contains(b.String(), "**NOT met**: behind or not measured at 64 B 1x1 vs grpc (not measured).") {
		t.Errorf("a missing peer not reported in\n%s", b.String())
	}
}
