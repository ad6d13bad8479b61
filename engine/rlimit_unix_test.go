//go:build unix

package engine_test

import (
	"syscall"
	"testing"
)

// raiseFdLimit lifts RLIMIT_NOFILE to its hard limit, or skips when the
// machine cannot hold n more descriptors.
func raiseFdLimit(t *testing.T, n uint64) {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Skip(err)
	}
	if rl.Cur < rl.Max {
		old := rl
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
			t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
		}
	}
	if uint64(rl.Cur) < n {
		t.Skipf("RLIMIT_NOFILE %d is below the %d this test needs", rl.Cur, n)
	}
}
