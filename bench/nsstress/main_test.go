package main

import (
	"strings"
	"testing"
	"time"
)

// TestShortRun: a brief run against an in-process name server completes,
// reports every operation, and cleans up after itself.
func TestShortRun(t *testing.T) {
	var out strings.Builder
	if err := run("", "memory", "multiplex", "serpent", 4, 300*time.Millisecond, &out); err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if !strings.Contains(out.String(), o.name) {
			t.Errorf("report lacks %q:\n%s", o.name, out.String())
		}
	}
	if !strings.Contains(out.String(), "cleaned up") {
		t.Errorf("no cleanup line:\n%s", out.String())
	}
}
