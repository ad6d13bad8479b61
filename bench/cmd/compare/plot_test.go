package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPlotGroups(t *testing.T) {
	workloads := []workload{
		{name: "32x1 64B serpent"},
		{name: onewayEchoWorkload, obj: echoObj},
		{name: "seq 64B serpent"}, // no gyro figures: left out
	}
	res := map[string]map[string][]result{
		"32x1 64B serpent": {
			"pyro4-thread":   steady(3, 10000, 0),
			"gyro-thread":    steady(3, 30000, 0),
			"gyro-multicore": steady(3, 20000, 0),
			"echo-gnet":      steady(3, 40000, 0),
		},
		onewayEchoWorkload: {
			pyro4Echo:                steady(3, 5000, 0),
			echoPrefix + "multiplex": steady(3, 500000, 0),
		},
		"seq 64B serpent": {"pyro4-thread": steady(3, 9000, 0)},
	}
	got := plotGroups(workloads, res)
	if len(got) != 2 {
		t.Fatalf("got %d groups, want 2: %+v", len(got), got)
	}
	want := []plotGroup{
		{workload: "32x1 64B serpent", ref: "pyro4-thread", bars: []plotBar{{"thread", 3, 0.75}, {"multicore", 2, 0.5}}},
		// no echo-gnet in this workload: no ratio to it
		{workload: onewayEchoWorkload, ref: pyro4Echo, bars: []plotBar{{"multiplex", 100, 0}}},
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.workload != w.workload || g.ref != w.ref || len(g.bars) != len(w.bars) {
			t.Fatalf("group %d = %+v, want %+v", i, g, w)
		}
		for j := range w.bars {
			b, wb := g.bars[j], w.bars[j]
			if b.series != wb.series || math.Abs(b.vsRef-wb.vsRef) > 1e-9 || math.Abs(b.vsEcho-wb.vsEcho) > 1e-9 {
				t.Errorf("group %d bar %d = %+v, want %+v", i, j, b, wb)
			}
		}
	}
}

func TestLogScale(t *testing.T) {
	lo, hi := decades([]float64{0.02, 3, 150, 0})
	if lo != 0.01 || hi != 1000 {
		t.Errorf("decades = %v, %v; want 0.01, 1000", lo, hi)
	}
	if lo, hi := decades([]float64{2, 5}); lo != 1 || hi != 10 {
		t.Errorf("decades always hold 1: %v, %v", lo, hi)
	}
	for _, tc := range []struct {
		v    float64
		want int
	}{{0.01, 0}, {0.1, 100}, {1, 200}, {1000, 500}, {0.001, 0}, {1e6, 500}} {
		if got := logPos(tc.v, 0.01, 1000, 500); got != tc.want {
			t.Errorf("logPos(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

// TestWritePlot draws a plot of a small run and reads it back.
func TestWritePlot(t *testing.T) {
	workloads := []workload{{name: "32x1 64B serpent"}}
	res := map[string]map[string][]result{"32x1 64B serpent": {
		"pyro4-thread": steady(3, 10000, 0), "gyro-thread": steady(3, 30000, 0), "echo-gnet": steady(3, 40000, 0),
	}}
	scale := []scaleCell{{target: "gyro-thread", conns: 1, s: summary{rate: 10000, p99: time.Millisecond, ok: true}}}
	path := filepath.Join(t.TempDir(), "plot.png")
	if err := writePlot(path, workloads, res, scale); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 200 {
		t.Errorf("plot is %v", b)
	}
}
