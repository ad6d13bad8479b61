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

// TestServeSimpleLeasedNeedsLeases: ServeSimple with a lease on a store
// without leases fails before it serves or registers anything.
func TestServeSimpleLeasedNeedsLeases(t *testing.T) {
	st := NewMemoryStorage()
	err := ServeSimple(context.Background(), []Object{{Obj: &struct{}{}, Name: "x"}},
		ServeSimpleOptions{Host: "127.0.0.1", Store: st, LeaseTTL: 5 * time.Second})
	if !errors.Is(err, ErrLeasesUnsupported) {
		t.Fatalf("ServeSimple error %v, want ErrLeasesUnsupported", err)
	}
	if n, _ := st.Count(context.Background()); n != 0 {
		t.Errorf("%d registrations after the refusal", n)
	}
}
