package naming

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRegisterLeasedNeedsLeases: the memory and bolt stores refuse leased
// registrations, and store nothing.
func TestRegisterLeasedNeedsLeases(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		_, err := RegisterLeased(ctx, st, 5*time.Second, Registration{Name: "x", URI: "PYRO:x@localhost:1"})
		if !errors.Is(err, ErrLeasesUnsupported) {
			t.Errorf("%s: RegisterLeased error %v, want ErrLeasesUnsupported", name, err)
		}
		if n, _ := st.Count(ctx); n != 0 {
			t.Errorf("%s: %d registrations after a refused RegisterLeased", name, n)
		}
	}
}
