package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestAmdahl(t *testing.T) {
	tests := []struct {
		s2, p, s16 float64
	}{
		{2, 1, 16},                         // perfectly parallel
		{1, 0, 1},                          // no gain from a second core
		{0.8, 0, 1},                        // slower on two: no parallel part
		{4.0 / 3, 0.5, 1 / (0.5 + 0.5/16)}, // half parallel
		{2.5, 1, 16},                       // more than linear: capped at p = 1
	}
	for _, tc := range tests {
		p := amdahlFraction(tc.s2)
		if math.Abs(p-tc.p) > 1e-9 {
			t.Errorf("amdahlFraction(%v) = %v, want %v", tc.s2, p, tc.p)
		}
		if s := amdahlSpeedup(p, 16); math.Abs(s-tc.s16) > 1e-9 {
			t.Errorf("amdahlSpeedup(%v, 16) = %v, want %v", p, s, tc.s16)
		}
	}
	// the fitted model gives back the measured step
	if s := amdahlSpeedup(amdahlFraction(1.5), 2); math.Abs(s-1.5) > 1e-9 {
		t.Errorf("2 cores from a 1.5x fit: %v", s)
	}
	if r, capped := projectRate(1000, 2, 5000, 16); r != 5000 || !capped {
		t.Errorf("projectRate over the ceiling = %v, %v; want 5000, capped", r, capped)
	}
	// the one-core server already ran faster than the echo did: the client
	// drives at least that
	if r, capped := projectRate(6000, 2, 5000, 16); r != 6000 || !capped {
		t.Errorf("projectRate with the 1-core rate over the ceiling = %v, %v; want 6000, capped", r, capped)
	}
	if r, capped := projectRate(1000, 4.0/3, 0, 64); capped || math.Abs(r-1000/(0.5+0.5/64)) > 1e-6 {
		t.Errorf("projectRate without a ceiling = %v, %v", r, capped)
	}
}

func TestReportScaling(t *testing.T) {
	cells := []scaleCell{
		{target: "gyro-thread", conns: 1, s: summary{rate: 10000, p99: 200 * time.Microsecond, cpuPerCall: 50 * time.Microsecond, ok: true}},
		{target: "gyro-thread", conns: 10000, s: summary{rate: 30000, p99: 120 * time.Millisecond, cpuPerCall: 20 * time.Microsecond, ok: true}},
		{target: "pyro4-multiplex", conns: 10000, note: "connection 17 of 10000: refused"},
	}
	var b bytes.Buffer
	reportScaling(&b, cells)
	got := b.String()
	for _, want := range []string{
		"| target | 1 client | 32 clients | 1,000 clients | 10,000 clients |",
		"| gyro-thread | 10000/s, p99 200.0 µs, 50.0 µs | – | – | 30000/s, p99 120.0 ms, 20.0 µs |",
		"| pyro4-multiplex | – | – | – | – (1) |",
		"1. pyro4-multiplex at 10,000 clients: connection 17 of 10000: refused",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if l := scalingLine(cells); !strings.HasSuffix(l, ": met") {
		t.Errorf("scaling line with a Pyro4 failure only: %q", l)
	}
	cells = append(cells, scaleCell{target: "gyro-multicore", conns: 1000, note: "refused"})
	if l := scalingLine(cells); !strings.Contains(l, "NOT met (gyro-multicore at 1,000)") {
		t.Errorf("scaling line with a gyro failure: %q", l)
	}
}

func TestPipelinedLines(t *testing.T) {
	sum := map[string]map[string]summary{
		onewayEchoWorkload: {
			pyro4Echo:                {cpuPerCall: 150 * time.Microsecond},
			echoPrefix + "thread":    {cpuPerCall: time.Microsecond},
			echoPrefix + "multiplex": {cpuPerCall: 2 * time.Microsecond},
		},
		pipelinedCalls: {
			"gyro-thread":    {cpuPerCall: 2600 * time.Nanosecond},
			"gyro-multiplex": {cpuPerCall: 2000 * time.Nanosecond},
		},
	}
	// 99.985 is printed 100.0: the verdict goes with the printed figure
	sum[onewayEchoWorkload][pyro4Echo] = summary{cpuPerCall: 99985 * time.Nanosecond}
	sum[onewayEchoWorkload][echoPrefix+"thread"] = summary{cpuPerCall: 1000 * time.Nanosecond}
	got := pipelinedLines(sum)
	want := []string{
		"- server CPU per oneway_echo call (" + onewayEchoWorkload + "), gyro echoserver -t thread: 1.00 µs; 100.0× less than Pyro4's test echo server (≥ 100×: met)",
		"- server CPU per oneway_echo call (" + onewayEchoWorkload + "), gyro echoserver -t multiplex: 2.00 µs; 50.0× less than Pyro4's test echo server (≥ 100×: NOT met)",
		"- server CPU per call (" + pipelinedCalls + "), thread/multiplex: 1.30× (within 1.3× either way: met)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReadyAddr(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"127.0.0.1:4000", "127.0.0.1:4000", ""},
		{"PYRO:test.echoserver@127.0.0.1:36011", "127.0.0.1:36011", ""},
		{"PYRO:test.echoserver", "", "no location"},
		{"PYRO:test.echoserver@127.0.0.1", "", "missing port"},
	}
	for _, tc := range tests {
		got, err := readyAddr(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("readyAddr(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("readyAddr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 32: "32", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReportCores(t *testing.T) {
	// 32×1: the 1-core server runs at the client's ceiling (client-bound),
	// 20 µs of CPU per call on 2 cores; 1,000 clients: 1.5× on 2 cores
	runs := []coresRun{
		{workload: "32x1 64B serpent", one: steady(3, 40000, 12*time.Microsecond), two: steady(3, 40000, 20*time.Microsecond), gnt: steady(3, 41000, 10*time.Microsecond)},
		{workload: "1000 clients", one: steady(3, 20000, 16*time.Microsecond), two: steady(3, 30000, 25*time.Microsecond), gnt: steady(3, 60000, 10*time.Microsecond)},
	}
	var b bytes.Buffer
	reportCores(&b, sections{cores: runs})
	got := b.String()
	for _, want := range []string{
		"| 32x1 64B serpent | 40000 | 40000 | 1.00× | 12.0 | 20.0 | 0.48 | 0.80 | 41000 |",
		"Client-bound on 1 core (32x1 64B serpent)",
		// p = 0: Amdahl stays at the 1-core rate; CPU cost: 16 / 20 µs,
		// 64 / 20 µs; both capped by the client's 41,000
		"| 32x1 64B serpent | 0.00 | 40000 / 40000 | 800000 / 3200000 | 40000 / 41000 (client-bound) |",
		// s = 1.5: p = 2/3, 1/(1/3 + 2/3/16) = 2.67×, 1/(1/3 + 2/3/64) = 2.91×
		"| 1000 clients | 0.67 | 53333 / 58182 | 640000 / 2560000 | 58182 / 60000 (client-bound) |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	b.Reset()
	reportCores(&b, sections{coresNote: "needs taskset"})
	if !strings.Contains(b.String(), "Not run: needs taskset") {
		t.Errorf("no note: %q", b.String())
	}
}
