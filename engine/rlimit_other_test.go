//go:build !unix

package engine_test

import "testing"

// raiseFdLimit: there is no RLIMIT_NOFILE to raise here, and no way to
// know that n descriptors fit.
func raiseFdLimit(t *testing.T, n uint64) {
	t.Helper()
	t.Skipf("needs %d descriptors; no RLIMIT_NOFILE on this system", n)
}
