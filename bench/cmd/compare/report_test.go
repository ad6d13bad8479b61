package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRateRatio(t *testing.T) {
	rates := func(rs ...int64) []result {
		out := make([]result, len(rs))
		for i, r := range rs {
			out[i] = result{calls: r, elapsed: time.Second}
		}
		return out
	}
	tests := []struct {
		name string
		a, b []result
		want float64
	}{
		// the load halves the rates of round 2: every round says 0.8
		{"steady ratio", rates(80, 40, 80), rates(100, 50, 100), 0.8},
		// the medians come from different rounds (90/100 = 0.9); the
		// rounds say 0.6, 0.9 and 95/120
		{"drift", rates(60, 90, 95), rates(100, 100, 120), 95.0 / 120},
		{"no pairs: medians", nil, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rateRatio(tc.a, tc.b, summarize(tc.a), summarize(tc.b))
			if got < tc.want-1e-9 || got > tc.want+1e-9 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// different workloads (no results for b): the medians' ratio
	if got := rateRatio(rates(50), nil, summary{rate: 50}, summary{rate: 100}); got != 0.5 {
		t.Errorf("unpaired: got %v, want 0.5", got)
	}
}

func TestTLSLines(t *testing.T) {
	ratios := map[[3]string]float64{
		{"32x1 64B serpent", "gyro-thread+tls", "gyro-thread"}:                     0.85,
		{"32x1 64B serpent", "gyro-multicore+tls", "gyro-multicore"}:               0.5,
		{"32 pipelined batch 64B serpent", "gyro-multiplex+tls", "gyro-multiplex"}: 0.7,
		// a ratio of a pair that is not TLS/plain of one type is not reported
		{"32x1 64B serpent", "gyro-multiplex+tls", "gyro-thread"}: 0.9,
	}
	vs := func(wl, a, b string) float64 { return ratios[[3]string{wl, a, b}] }
	got := tlsLines(vs, gyroKinds)
	want := []string{
		"- TLS/plain, 32x1 64B serpent gyro-thread: 0.85× the calls/s (≥ 0.7×: met)",
		"- TLS/plain, 32x1 64B serpent gyro-multicore: 0.50× the calls/s (≥ 0.7×: NOT met)",
		"- TLS/plain, 32 pipelined batch 64B serpent gyro-multiplex: 0.70× the calls/s (≥ 0.7×: met)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
