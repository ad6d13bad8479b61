package main

import (
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
