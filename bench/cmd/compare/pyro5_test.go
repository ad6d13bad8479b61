package main

import (
	"testing"

	"github.com/gyro-rpc/gyro/wire"
)

// TestRunsIn: each Python daemon runs only the workloads of its own
// protocol generation; gyro's types and the echo-gnet reference run all.
func TestRunsIn(t *testing.T) {
	pyro4W := workload{name: "32x1 64B serpent"}
	pyro5W := workload{name: "32x1 64B pyro5 serpent", gen: wire.Pyro5}
	tests := []struct {
		target       string
		pyro4, pyro5 bool
	}{
		{"gyro-thread", true, true},
		{"gyro-multicore+metrics", true, true},
		{"echo-gnet", true, true},
		{"pyro4-thread", true, false},
		{"pyro4-multiplex", true, false},
		{"pyro5-thread", false, true},
		{"pyro5-multiplex", false, true},
		{"netrpc", true, false},
		{"echo-evio", true, false},
	}
	for _, tc := range tests {
		tg := target{name: tc.target, kind: kPyro}
		if got := runsIn(tg, pyro4W); got != tc.pyro4 {
			t.Errorf("runsIn(%s, Pyro4 workload) = %v, want %v", tc.target, got, tc.pyro4)
		}
		if got := runsIn(tg, pyro5W); got != tc.pyro5 {
			t.Errorf("runsIn(%s, Pyro5 workload) = %v, want %v", tc.target, got, tc.pyro5)
		}
	}
	if got := pyroRef(pyro4W); got != "pyro4-thread" {
		t.Errorf("Pyro4 workload reference %q", got)
	}
	if got := pyroRef(pyro5W); got != "pyro5-thread" {
		t.Errorf("Pyro5 workload reference %q", got)
	}
}
